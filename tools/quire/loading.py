"""Reading YAML text into :class:`~tools.quire.nodes.Node` trees, quire's rules applied.

Merge keys, aliases, ``!*Include``, a tag before a compact mapping and
duplicate keys are handled here; a syntax error becomes one problem worded by
:mod:`tools.quire.syntax`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.nodes import Node as YamlNode

from ..problems import Problem, Severity
from .indentation import even_block_scalars
from .indentation import problems as indentation_problems
from .nodes import TOP, Node
from .syntax import key_path, syntax_problem


def _local_tag(node: YamlNode) -> str | None:
    tag: object = node.tag  # a ruamel Tag (its text in .value), or a plain string
    text: str | None = getattr(tag, "value", None) if hasattr(tag, "value") else str(tag)
    if text is None or text.startswith("tag:yaml.org,2002:"):
        return None
    return text


class _Converter:
    def __init__(self, filename: str, problems: list[Problem],
                 include_dir: Path | None, depth: int, empty_twice: bool = False) -> None:
        self.empty_twice = empty_twice
        self.filename = filename
        self.problems = problems
        self.include_dir = include_dir
        self.depth = depth
        self.memo: dict[int, Node] = {}

    def error(self, line: int, key: str, message: str, severity: Severity = "error",
              column: int = 0, rule: str = "") -> None:
        self.problems.append(Problem(self.filename, line, key, message, severity,
                                     column, rule))

    def convert(self, node: YamlNode, key: str = TOP) -> Node:
        cached = self.memo.get(id(node))
        if cached is not None:
            return cached
        line = node.start_mark.line + 1
        tag = _local_tag(node)
        if isinstance(node, ScalarNode):
            if tag == "!*Include":
                result = self.include(node.value, line, key)
            elif tag is not None and tag.startswith("!*"):
                self.error(line, key, f"{tag} is not followed by this validator; "
                           "its content is not checked", "warning", rule="not-followed")
                result = Node("null", None, None, line)
            elif node.style is None and node.value in ("", "~", "null"):
                # the text ("" or "~" or "null") is kept: quire reads an empty list or
                # mapping value as empty, but ~ as null
                result = Node("null", tag, node.value, line)
            else:
                result = Node("scalar", tag, node.value, line, quoted=node.style is not None)
        elif isinstance(node, SequenceNode):
            result = Node("seq", tag, [], line)
            self.memo[id(node)] = result
            for index, item in enumerate(node.value):
                result.value.append(self.convert(item, f"{key}[{index}]"))
        else:
            assert isinstance(node, MappingNode)
            pairs = list(node.value)
            if tag is None and pairs and isinstance(pairs[0][0], ScalarNode):
                first_tag = _local_tag(pairs[0][0])
                if first_tag is not None and not first_tag.startswith("!*"):
                    # quire: a tag before a compact mapping belongs to the mapping
                    tag = first_tag
                    key_node = pairs[0][0]
                    pairs[0] = (ScalarNode("tag:yaml.org,2002:str", key_node.value,
                                           key_node.start_mark, key_node.end_mark,
                                           style=key_node.style), pairs[0][1])
            result = Node("map", tag, [], line)
            self.memo[id(node)] = result
            self.fill_mapping(result, pairs, key)
        self.memo[id(node)] = result
        if not result.column:
            result.column = node.start_mark.column + 1
        return result

    def fill_mapping(self, target: Node, pairs: list[tuple[YamlNode, YamlNode]],
                     key: str, merging: bool = False) -> None:
        seen = {k for k, _ in target.value}
        merges: list[YamlNode] = []
        for knode, vnode in pairs:
            if not isinstance(knode, ScalarNode):
                self.error(knode.start_mark.line + 1, key,
                           "mapping keys must be scalars (quire does not support others)",
                           rule="yaml-syntax")
                continue
            if knode.value == "<<" and knode.style is None:
                if merges and not merging:
                    self.error(knode.start_mark.line + 1, join_key(key, "<<"),
                               "duplicate key: a second '<<' in one mapping; quire refuses "
                               "it (merge several with '<<: [*a, *b]')",
                               column=knode.start_mark.column + 1, rule="duplicate-key")
                merges.append(vnode)
                continue
            name = knode.value
            kline = knode.start_mark.line + 1
            if name in seen:
                earlier = next((v for k, v in target.value if k == name), None)
                if not merging and not (self.empty_twice and _empty(vnode)
                                        and earlier is not None and earlier.kind == "null"
                                        and earlier.value == ""):
                    # vagga 0.8.1's quire lets a key with no value at all be written twice
                    first = target.key_lines.get(name)
                    where = f" first written at line {first}" if first else ""
                    self.error(kline, join_key(key, name),
                               f"duplicate key:{where}; quire refuses a key written twice",
                               column=knode.start_mark.column + 1, rule="duplicate-key")
                continue
            seen.add(name)
            child = self.convert(vnode, join_key(key, name))
            if not child.owner_line:
                child.owner_line = kline
            target.value.append((name, child))
            target.key_lines[name] = kline
        for merge in merges:
            self.merge(target, merge, key)

    def merge(self, target: Node, source: YamlNode, key: str) -> None:
        if isinstance(source, MappingNode):
            self.fill_mapping(target, list(source.value), key, merging=True)
        elif isinstance(source, SequenceNode):
            for item in source.value:
                self.merge(target, item, key)
        elif isinstance(source, ScalarNode) and _local_tag(source) == "!*Include":
            included = self.convert(source, key)
            if included.kind == "map":
                for name, value in included.value:
                    if name not in target.key_lines:
                        target.value.append((name, value))
                        target.key_lines[name] = included.key_lines.get(name, value.line)
            elif included.kind != "null":
                self.error(source.start_mark.line + 1, join_key(key, "<<"),
                           "an included merge value must be a mapping", rule="merge-key")
        else:
            self.error(source.start_mark.line + 1, join_key(key, "<<"),
                       "value of a merge key must be a mapping or a list of mappings",
                       rule="merge-key")

    def include(self, name: str, line: int, key: str) -> Node:
        if self.include_dir is None:
            self.error(line, key, "!*Include is not followed here; content not checked",
                       "warning", rule="not-followed")
            return Node("null", None, None, line)
        path = Path(name)
        if path.is_absolute() or ".." in path.parts or self.depth > 8:
            self.error(line, key, f"!*Include {name!r}: only relative paths without '..'",
                       rule="include")
            return Node("null", None, None, line)
        full = self.include_dir / path
        try:
            text = full.read_text()
        except OSError as exc:
            self.error(line, key, f"!*Include {name!r}: {exc.strerror}", rule="include")
            return Node("null", None, None, line)
        node, problems = load(text, str(full), include_dir=full.parent,
                              empty_twice=self.empty_twice, _depth=self.depth + 1)
        self.problems.extend(problems)
        return node if node is not None else Node("null", None, None, line)


def _empty(node: YamlNode) -> bool:
    """Whether *node* is a value left out entirely (``key:`` and nothing)."""
    return isinstance(node, ScalarNode) and node.style is None and node.value == "" \
        and _local_tag(node) is None


def join_key(key: str, name: object) -> str:
    """The dotted path of *name* under *key* (``containers.web``; *name* alone at the top)."""
    return str(name) if key == TOP else f"{key}.{name}"


def load(text: str, filename: str, *, include_dir: Path | None = None,
         empty_twice: bool = False, _depth: int = 0) -> tuple[Node | None, list[Problem]]:
    """Parse ``text`` (the file ``filename``) into a :class:`~tools.quire.nodes.Node` tree.

    Returns ``(None, problems)`` for an empty document or a YAML syntax
    error; syntax errors name the line. ``!*Include`` is followed relative
    to ``include_dir`` when given.
    """
    problems: list[Problem] = []
    yaml = YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate anchors: quire redefines them too
            root = yaml.compose(even_block_scalars(text))
    except YAMLError as exc:
        problems.append(syntax_problem(exc, text, filename))
        return None, problems
    except (ValueError, TypeError, RecursionError, AttributeError) as exc:
        problems.append(Problem(filename, 1, TOP, f"YAML error: {exc}", rule="yaml-syntax"))
        return None, problems
    # what YAML reads but quire's own tokenizer refuses (YAML's own errors, above, are
    # explained better from the parser's marks)
    for line, column, said, advice in indentation_problems(text):
        problems.append(Problem(filename, line, key_path(text, line),
                                f"YAML syntax error: {advice} (quire: {said})",
                                column=column, rule="yaml-syntax"))
        return None, problems
    if root is None:
        return None, problems
    try:
        node = _Converter(filename, problems, include_dir, _depth, empty_twice).convert(root)
    except RecursionError:
        problems.append(Problem(filename, 1, TOP, "YAML nesting is too deep",
                                rule="yaml-syntax"))
        return None, problems
    return node, problems


def read_source(text_or_path: str | Path, filename: str | None) -> tuple[str | None, str,
                                                                          list[Problem]]:
    """Resolve the ``text_or_path`` convention of validator APIs.

    A :class:`~pathlib.Path` is read from disk (a missing file becomes a
    problem); a ``str`` is the text itself. Returns ``(text, filename, problems)``.
    """
    if isinstance(text_or_path, Path):
        name = filename or str(text_or_path)
        try:
            return text_or_path.read_text(), name, []
        except UnicodeDecodeError:
            return None, name, [Problem(name, 1, TOP, "file is not UTF-8 text", rule="unreadable")]
        except OSError as exc:
            return None, name, [Problem(name, 1, TOP, f"cannot read: {exc.strerror}",
                                        rule="unreadable")]
    return text_or_path, filename or "<string>", []
