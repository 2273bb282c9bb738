"""YAML the way quire reads it: the config language shared by lithos, vagga and verwalter.

quire (the Rust library those tools use) reads YAML with a few rules of its
own. This module loads a file with :mod:`ruamel.yaml` (keeping line
numbers) and applies them, then checks the result against a small schema
language that mirrors quire's validators. Every problem comes back as a
:class:`tools.problems.Problem`; nothing raises on bad input.

The rules, as read from quire 0.4 and checked against it:

* a structure key ``foo_bar`` may be written ``foo-bar`` or ``foo_bar``;
* keys of a structure starting with ``_`` are ignored (anchors live there),
  any other unknown key is an error;
* booleans are exactly ``true`` or ``false`` (``yes``, ``on``, ``True`` are
  not booleans; in a string field they are plain strings);
* numeric fields take integers with an optional unit suffix (``k`` 10^3,
  ``M`` 10^6, ``G`` 10^9, ``ki`` 2^10, ``Mi`` 2^20, ``Gi`` 2^30; ``Ki`` is
  *not* a suffix), or a ``0x``/``0o``/``0b`` prefix; no floats. ``_`` is
  skipped after the first digit (``1_000``): the humannum 0.1.0 crate that
  lithos 0.18.4, vagga 0.8.1 and verwalter 0.13.4 are built with does this,
  and the real ``lithos_check`` 0.18.4 accepts it;
* only ``~`` and ``null`` (unquoted) and an empty value are null;
* local tags (``!Tmpfs``, ``!Readonly``) select variants of enums;
* merge keys ``<<:`` and aliases work; an anchor defined twice is
  redefined by the second definition (no error);
* a tag written before a compact mapping (``- !AptTrust keys: [..]``)
  applies to the whole mapping, not to its first key;
* a key written twice in one mapping is an error (keys brought in by a merge
  key ``<<`` never override the mapping's own).

Public API (stable, used by other modules):

* :func:`load` ``(text, filename) -> (Node | None, list[Problem])``
* :func:`parse_int` ``(text) -> int`` (raises :class:`ValueError`)
* the schema classes :class:`Struct`, :class:`Mapping`, :class:`Seq`,
  :class:`Str`, :class:`Int`, :class:`Bool`, :class:`Enum`, :class:`Anything`,
  and :func:`check` ``(node, schema, filename) -> (value, list[Problem])``
* :func:`read_checked` ``(text_or_path, filename, schema) -> (value, filename, problems)``:
  read, load and check in one go
* :func:`dump` ``(data) -> str`` writing :class:`Tagged` values as local tags.

>>> node, problems = load("size: 100Mi\\n_x: &a 1\\n", "f.yaml")
>>> value, problems = check(node, Struct({"size": Int()}), "f.yaml")
>>> value["size"], problems
(104857600, [])
>>> node, _ = load("size: 1.5\\n", "f.yaml")
>>> [str(p) for p in check(node, Struct({"size": Int()}), "f.yaml")[1]]
['f.yaml:1: size: not an integer: "1.5" (floats are not accepted here)']
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.nodes import Node as YamlNode
from ruamel.yaml.tag import Tag

from .problems import Problem, Severity

NodeKind = Literal["map", "seq", "scalar", "null"]

#: Unit suffixes of quire's numeric fields, in the order quire tries them.
UNIT_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("k", 1000), ("M", 1000**2), ("G", 1000**3),
    ("ki", 1024), ("Mi", 1024**2), ("Gi", 1024**3),
)

TOP = "(top)"


@dataclass
class Node:
    """One YAML node after quire's preprocessing.

    ``value`` is a list of ``(key, Node)`` pairs for a mapping (merge keys
    already applied, first duplicate wins), a list of nodes for a sequence,
    and the text for a scalar. ``tag`` is the local tag (``"!Tmpfs"``) or
    ``None``. ``line`` is 1-based.
    """

    kind: NodeKind
    tag: str | None
    value: Any
    line: int
    quoted: bool = False
    key_lines: dict[str, int] = field(default_factory=dict)
    owner_line: int = 0
    column: int = 0

    def get(self, key: str) -> Node | None:
        """The value under ``key`` of a mapping node, or ``None``."""
        if self.kind != "map":
            return None
        for k, v in self.value:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class Tagged:
    """A value written with a local tag, for :func:`dump` (``!Tmpfs {size: 1}``)."""

    tag: str
    value: Any = None


class Record(dict):
    """A checked mapping: a ``dict`` that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]
    tag: str | None = None
    #: keys whose value was wrong (already reported): replaced by the default in a
    #: structure, left out of a free mapping; later checks skip them instead of
    #: reporting follow-up problems
    invalid: set[str]

    def line_of(self, key: str) -> int:
        """The line of ``key`` (the mapping's own line when absent)."""
        return self.lines.get(key, self.line)


class Items(list):
    """A checked sequence: a ``list`` that remembers its line and each item's line.

    Items that failed their check are left out and ``complete`` is False.
    """

    line: int = 0
    lines: list[int]
    #: the position of each kept item in the list as written (items that failed are gone)
    indexes: list[int]
    complete: bool = True


class TagValue:
    """A checked enum variant: ``tag`` without the ``!``, the checked ``value``, ``line``."""

    def __init__(self, tag: str, value: Any, line: int) -> None:
        self.tag = tag
        self.value = value
        self.line = line

    def __repr__(self) -> str:
        return f"TagValue({self.tag!r}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TagValue) and other.tag == self.tag
                and other.value == self.value)

    __hash__ = None  # type: ignore[assignment]  # equal by value, so unhashable


# --------------------------------------------------------------------------- loading


def _local_tag(node: YamlNode) -> str | None:
    tag: object = node.tag  # a ruamel Tag (its text in .value), or a plain string
    text: str | None = getattr(tag, "value", None) if hasattr(tag, "value") else str(tag)
    if text is None or text.startswith("tag:yaml.org,2002:"):
        return None
    return text


class _Converter:
    def __init__(self, filename: str, problems: list[Problem],
                 include_dir: Path | None, depth: int) -> None:
        self.filename = filename
        self.problems = problems
        self.include_dir = include_dir
        self.depth = depth
        self.memo: dict[int, Node] = {}

    def error(self, line: int, key: str, message: str, severity: Severity = "error",
              column: int = 0) -> None:
        self.problems.append(Problem(self.filename, line, key, message, severity,
                                     column))

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
                           "its content is not checked", "warning")
                result = Node("null", None, None, line)
            elif node.style is None and node.value in ("", "~", "null"):
                result = Node("null", tag, None, line)
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
                           "mapping keys must be scalars (quire does not support others)")
                continue
            if knode.value == "<<" and knode.style is None:
                merges.append(vnode)
                continue
            name = knode.value
            kline = knode.start_mark.line + 1
            if name in seen:
                if not merging:
                    first = target.key_lines.get(name)
                    where = f" first written at line {first}" if first else ""
                    self.error(kline, _join(key, name),
                               f"duplicate key:{where}; quire refuses a key written twice",
                               column=knode.start_mark.column + 1)
                continue
            seen.add(name)
            child = self.convert(vnode, _join(key, name))
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
                self.error(source.start_mark.line + 1, _join(key, "<<"),
                           "an included merge value must be a mapping")
        else:
            self.error(source.start_mark.line + 1, _join(key, "<<"),
                       "value of a merge key must be a mapping or a list of mappings")

    def include(self, name: str, line: int, key: str) -> Node:
        if self.include_dir is None:
            self.error(line, key, "!*Include is not followed here; content not checked",
                       "warning")
            return Node("null", None, None, line)
        path = Path(name)
        if path.is_absolute() or ".." in path.parts or self.depth > 8:
            self.error(line, key, f"!*Include {name!r}: only relative paths without '..'")
            return Node("null", None, None, line)
        full = self.include_dir / path
        try:
            text = full.read_text()
        except OSError as exc:
            self.error(line, key, f"!*Include {name!r}: {exc.strerror}")
            return Node("null", None, None, line)
        node, problems = load(text, str(full), include_dir=full.parent, _depth=self.depth + 1)
        self.problems.extend(problems)
        return node if node is not None else Node("null", None, None, line)


def _join(key: str, name: object) -> str:
    return str(name) if key == TOP else f"{key}.{name}"


def load(text: str, filename: str, *, include_dir: Path | None = None,
         _depth: int = 0) -> tuple[Node | None, list[Problem]]:
    """Parse ``text`` (the file ``filename``) into a :class:`Node` tree.

    Returns ``(None, problems)`` for an empty document or a YAML syntax
    error; syntax errors name the line. ``!*Include`` is followed relative
    to ``include_dir`` when given.
    """
    problems: list[Problem] = []
    yaml = YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate anchors: quire redefines them too
            root = yaml.compose(text)
    except YAMLError as exc:
        problems.append(syntax_problem(exc, text, filename))
        return None, problems
    except (ValueError, TypeError, RecursionError, AttributeError) as exc:
        problems.append(Problem(filename, 1, TOP, f"YAML error: {exc}"))
        return None, problems
    if root is None:
        return None, problems
    try:
        node = _Converter(filename, problems, include_dir, _depth).convert(root)
    except RecursionError:
        problems.append(Problem(filename, 1, TOP, "YAML nesting is too deep"))
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
            return None, name, [Problem(name, 1, TOP, "file is not UTF-8 text")]
        except OSError as exc:
            return None, name, [Problem(name, 1, TOP, f"cannot read: {exc.strerror}")]
    return text_or_path, filename or "<string>", []


# --------------------------------------------------------------------------- syntax errors

_SYNTAX_KEY = "yaml"
"""The key of a syntax error that sits outside every mapping key."""
_KEY_RE = re.compile(r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'"""
                     r"""|(?P<plain>[^\s#'"\[\]{},&*!|>%@`-][^#]*?|-[^\s#][^#]*?))"""
                     r"""\s*:(?:\s|$)""")
"""A key at the start of a line's content: quoted, or plain up to its ``:``."""
_ITEM = "-"


def _entries(line: str) -> list[tuple[int, str, str | None]]:
    """The block structure a line opens: ``(column, "-", None)`` for each list dash and
    ``(column, "key", name)`` for a key, left to right (0-based columns)."""
    result: list[tuple[int, str, str | None]] = []
    col = len(line) - len(line.lstrip(" \t"))
    while line.startswith("- ", col) or line[col:].rstrip() == "-":
        result.append((col, _ITEM, None))
        col += 1
        col += len(line[col:]) - len(line[col:].lstrip(" "))
    rest = line[col:]
    if rest.startswith("!"):  # a tag before a compact mapping: ``- !Copy source: x``
        tag_end = rest.find(" ")
        if tag_end > 0:
            col += tag_end + 1
            rest = line[col:]
    match = _KEY_RE.match(rest)
    if match and not rest.startswith("#"):
        name = match.group("dq") or match.group("sq") or match.group("plain") or ""
        result.append((col, "key", name.strip()))
    return result


def _value_after_key(line: str) -> str:
    """The inline value after the last key of a line ('' when none)."""
    entries = _entries(line)
    if not entries or entries[-1][1] != "key":
        return ""
    match = _KEY_RE.match(line[entries[-1][0]:])
    assert match is not None
    return line[entries[-1][0] + match.end():].split(" #", 1)[0].strip()


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def key_path(text: str, line: int, own: str | None = None) -> str:
    """The dotted key path (``containers.web.setup[2]``) of the block that holds 1-based
    *line* of *text*, found from indentation alone (it works on text that does not parse).

    The line's own key is included; *own* names what the line was meant to be a key
    for, when it is not written as one (a key missing its ``:``).

    >>> key_path("containers:\\n  web:\\n    setup:\\n    - !Sh a\\n    - !Sh b\\n", 5)
    'containers.web.setup[1]'
    """
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return own or _SYNTAX_KEY
    parts: list[str] = []
    entries = _entries(lines[line - 1])
    if own is not None:
        parts.append(own)
    limit = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
    for col, kind, name in reversed(entries):
        if kind == "key" and own is None:
            parts.insert(0, str(name))
        elif kind == _ITEM:
            parts.insert(0, f"[{_item_index(lines, line - 1, col)}]")
        limit = col
    item_at = entries[0][0] if entries and entries[0][1] == _ITEM else None
    for index in range(line - 2, -1, -1):
        if not _meaningful(lines[index]):
            continue
        for col, kind, name in reversed(_entries(lines[index])):
            compact_parent = (kind == "key" and col == item_at
                              and not _value_after_key(lines[index]))
            if col < limit or compact_parent:
                if kind == "key":
                    parts.insert(0, str(name))
                    item_at = None
                else:
                    parts.insert(0, f"[{_item_index(lines, index, col)}]")
                    item_at = col
                limit = col
        indent = len(lines[index]) - len(lines[index].lstrip(" "))
        if indent < limit and not _entries(lines[index]):
            limit = indent  # a continuation line of a scalar, or a flow collection
        if limit == 0 and item_at is None:
            break
    path = ""
    for part in parts:
        path += part if part.startswith("[") or not path else f".{part}"
    return path or _SYNTAX_KEY


def _item_index(lines: list[str], index: int, col: int) -> int:
    """How many list items at column *col* come before the one on line *index*."""
    count = 0
    for earlier in range(index - 1, -1, -1):
        if not _meaningful(lines[earlier]):
            continue
        entries = _entries(lines[earlier])
        indent = len(lines[earlier]) - len(lines[earlier].lstrip(" "))
        if any(c == col and k == _ITEM for c, k, _ in entries):
            count += 1
        elif indent < col or any(c == col and k == "key" for c, k, _ in entries):
            break
    return count


def _token_name(found: str) -> str:
    names = {"<stream end>": "the end of the file", "<block mapping start>": "a new key",
             "<block sequence start>": "a list", "<block end>": "the end of a block",
             "<scalar>": "a value"}
    return names.get(found, found)


def _quoted(text: str) -> str:
    """The last thing the parser's message quotes (the token or character it found)."""
    found = re.findall(r"'((?:[^'\\]|\\.)+)'", text)
    return found[-1] if found else ""


def _unclosed_bracket(text: str, before: tuple[int, int]) -> tuple[int, int, str] | None:
    """The innermost ``[`` or ``{`` still open at 1-based ``(line, column)`` *before*,
    outside quotes and comments: ``(line, column, bracket)``."""
    stack: list[tuple[int, int, str]] = []
    for number, line in enumerate(text.splitlines()[: before[0]], 1):
        quote = ""
        for index, char in enumerate(line):
            if (number, index + 1) >= before:
                break
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"" and (index == 0 or line[index - 1] in " \t[{,:"):
                quote = char
            elif char == "#" and (index == 0 or line[index - 1] in " \t"):
                break
            elif char in "[{":
                stack.append((number, index + 1, char))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def explain_syntax_error(exc: Exception, text: str) -> tuple[int, int, str, str]:
    """Say in plain words where and why *text* is not valid YAML.

    Returns ``(line, column, key, message)``, 1-based, pointing at the mistake itself:
    the bracket or quote that is never closed, the key that lacks its ``:``, the line
    whose indentation fits no block above it (not where the parser gave up, which is
    often a line or more further down). *key* is the enclosing key path.
    """
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    pmark = getattr(exc, "problem_mark", None)
    cmark = getattr(exc, "context_mark", None)
    lines = text.splitlines()
    mark = pmark or cmark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def at(where: Any) -> tuple[int, int]:
        return (where.line + 1, where.column + 1) if where is not None else (line, column)

    def source(number: int) -> str:
        return lines[number - 1] if 1 <= number <= len(lines) else ""

    own: str | None = None
    found = _token_name(_quoted(problem))
    if "cannot start any token" in problem:
        char = _quoted(problem)
        if char in ("\\t", "\t"):
            message = "a tab character: YAML indents and separates with spaces only"
        else:
            message = (f"{char or 'this character'} cannot start an unquoted value "
                       "(YAML reserves it); put the value in quotes")
    elif "quoted scalar" in context and "unexpected" in problem:
        line, column = at(cmark)
        message = "this quoted string is never closed: its closing quote is missing"
    elif "escape character" in problem:
        message = (f"unknown escape sequence in a double-quoted string "
                   f"(\\{_quoted(problem)}); write \\\\ for a backslash, or use single quotes")
    elif context.startswith("while parsing a flow"):
        bracket = "[" if "sequence" in context else "{"
        line, column = at(cmark)
        if "flow node" in context:  # the parser's mark is where it gave up: find the '['
            opened = _unclosed_bracket(text, at(pmark))
            if opened is not None:
                line, column, bracket = opened
        closer = "]" if bracket == "[" else "}"
        where = ("before the end of the file" if found == "the end of the file" else
                 f"before {found!r} at line {at(pmark)[0]}, column {at(pmark)[1]}")
        message = (f"this '{bracket}' is never closed: add '{closer}' (or a ',' between "
                   f"items) {where}")
    elif "mapping values are not allowed" in problem:
        before = source(line)[: column - 1]
        previous = next((n for n in range(line - 1, 0, -1) if _meaningful(source(n))), 0)
        prev_text = source(previous)
        indent = len(source(line)) - len(source(line).lstrip(" "))
        prev_indent = len(prev_text) - len(prev_text.lstrip(" "))
        if any(kind == "key" for _, kind, _ in _entries(before)):
            message = ("a second ': ' on this line: YAML would read a mapping inside the "
                       "value; put the value in quotes")
        elif previous and not any(k == "key" for _, k, _ in _entries(prev_text)) \
                and not prev_text.rstrip().endswith((",", "[", "{", "|", ">", "-")):
            word = prev_text.strip().lstrip("- ").strip()
            message = (f"{word!r} has no ':' after it, so YAML reads it and line {line} "
                       "as one text; add ':' (or make it a list item with '- ')")
            own = word
            line, column = previous, len(prev_text.rstrip()) + 1
        elif previous and _value_after_key(prev_text) and indent > prev_indent:
            name = _entries(prev_text)[-1][2]
            message = (f"this line is indented under {name!r} (line {previous}), which "
                       "already has a value; indent it like its sibling keys")
            column = indent + 1
        else:
            message = ("a ':' where no key can start; if it belongs to the value, put the "
                       "value in quotes")
    elif "could not find expected ':'" in problem and "simple key" in context:
        line = at(cmark)[0]
        text_line = source(line)
        word = text_line.strip().lstrip("- ").strip()
        own = word
        column = len(text_line.rstrip()) + 1
        message = (f"{word!r} is not a key: ':' is missing after it (or '- ' before it, "
                   "for a list item)")
    elif problem.startswith("expected <block end>"):
        start = at(cmark)
        if found in ("a new key", "a list", "a value"):
            indent = len(source(line)) - len(source(line).lstrip(" "))
            column = indent + 1
            spaces = f"{indent} space" + ("" if indent == 1 else "s")
            message = (f"the indentation of this line ({spaces}) matches no block "
                       f"above it; align it with its siblings (the block that starts at "
                       f"line {start[0]} is at column {start[1]})")
        elif found == "-":
            message = (f"a list item where the mapping of line {start[0]} expects a key: "
                       "indent it under a key that has no value yet")
        elif found in ("]", "}"):
            message = f"a '{found}' that closes no bracket"
        else:
            message = (f"{found!r} does not fit the block that starts at line {start[0]}, "
                       f"column {start[1]}")
    elif "undefined alias" in problem:
        name = _quoted(problem)
        message = f"*{name} refers to no anchor &{name} defined before it"
    elif "single document" in context or "another document" in problem:
        message = ("a second YAML document starts here: these tools read one document "
                   "a file")
    elif "anchor" in context or "alias" in context:
        line, column = at(cmark)
        message = "an anchor (&) or alias (*) needs a name right after it"
    elif "tag" in context:
        line, column = at(cmark)
        message = "a malformed tag: write it as !Name, followed by a space"
    elif "block scalar" in context:
        message = "the block text (| or >) is malformed here: check its indentation"
    else:
        detail = problem or context or type(exc).__name__
        message = f"not valid YAML here (the parser says: {detail})"
    return line, column, key_path(text, line, own), message


def syntax_problem(exc: Exception, text: str, filename: str) -> Problem:
    """:func:`explain_syntax_error` as a :class:`~tools.problems.Problem`."""
    line, column, key, message = explain_syntax_error(exc, text)
    return Problem(filename, line, key, f"YAML syntax error: {message}", column=column)


# --------------------------------------------------------------------------- numbers

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _digits(text: str, radix: int) -> int:
    sign = 1
    if text[:1] == "+":
        text = text[1:]
    elif text[:1] == "-":
        sign, text = -1, text[1:]
    if not text:
        raise ValueError("no digits")
    value = 0
    for index, char in enumerate(text.lower()):
        if char == "_" and index > 0:
            continue  # humannum 0.1.0 skips "_" after the first digit
        digit = _DIGITS.find(char)
        if digit < 0 or digit >= radix:
            raise ValueError(f"invalid digit {char!r}")
        value = value * radix + digit
    return sign * value


def parse_int(text: str) -> int:
    """Parse an integer the way quire's numeric fields do (humannum 0.1.0).

    >>> parse_int("100Mi"), parse_int("4k"), parse_int("0o755"), parse_int("0x10")
    (104857600, 4000, 493, 16)
    >>> parse_int("1_000"), parse_int(" 16 Mi ")
    (1000, 16777216)
    >>> parse_int("1.5")
    Traceback (most recent call last):
    ValueError: invalid digit '.'
    """
    text = text.strip()
    multiplier = 1
    for suffix, value in UNIT_SUFFIXES:
        if len(suffix) < len(text) and text.endswith(suffix):
            multiplier, text = value, text[: -len(suffix)].rstrip()
            break
    radix = {"0x": 16, "0o": 8, "0b": 2}.get(text[:2], 10) if len(text) > 2 else 10
    if radix != 10:
        text = text[2:]
    return _digits(text, radix) * multiplier


# --------------------------------------------------------------------------- schemas

INVALID = object()


class Checker:
    """Collects problems while a node tree is checked against a schema."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def error(self, line: int, key: str, message: str, severity: Severity = "error",
              column: int = 0) -> None:
        """Record one problem (*column* 1-based, 0 when unknown)."""
        self.problems.append(Problem(self.filename, line, key, message, severity,
                                     column))


class Schema:
    """Base of the schema classes: ``check`` returns the value or :data:`INVALID`."""

    optional: bool = False
    default: Any = None
    has_default: bool = False

    def check(self, node: Node, ctx: Checker, key: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    def missing(self) -> Any:
        """The value used when the key is absent (INVALID when required)."""
        if self.has_default:
            return self.default
        if self.optional:
            return None
        return INVALID

    def null(self, node: Node, ctx: Checker, key: str) -> Any:
        """What an explicit null means here."""
        if self.optional:
            return None
        ctx.error(node.line, key, "must not be null")
        return INVALID

    def default_or_null(self, node: Node, ctx: Checker, key: str) -> Any:
        """A null scalar: the default when there is one and the null has no tag, else
        what :meth:`null` says."""
        if self.has_default and node.tag is None:
            return self.default
        return self.null(node, ctx, key)


def _describe(node: Node) -> str:
    return {"map": "a mapping", "seq": "a list", "null": "null"}.get(
        node.kind, repr(node.value))


class Anything(Schema):
    """Any value (lithos ``metadata``); converted to plain Python data."""

    optional = True

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        return plain(node)


class Str(Schema):
    """A scalar (quire ``Scalar``): text, or None when ``optional`` and null."""

    def __init__(self, *, optional: bool = False, default: Any = None,
                 has_default: bool | None = None,
                 validate: Callable[[str], str | None] | None = None) -> None:
        self.optional = optional
        self.default = default
        self.has_default = default is not None if has_default is None else has_default
        self.validate = validate

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind != "scalar":
            ctx.error(node.line, key, f"must be a scalar, not {_describe(node)}")
            return INVALID
        if node.tag is not None:
            ctx.error(node.line, key, f"unexpected tag {node.tag}")
            return INVALID
        if self.validate is not None:
            message = self.validate(node.value)
            if message:
                ctx.error(node.line, key, message)
                return INVALID
        return node.value


class Int(Schema):
    """An integer. ``units=True`` is quire's ``Numeric`` (units, 0x/0o/0b);
    ``units=False`` is a plain Rust integer field (decimal digits only)."""

    def __init__(self, *, min: int | None = None, max: int | None = None,
                 default: int | None = None, optional: bool = False,
                 units: bool = True) -> None:
        self.min, self.max = min, max
        self.default = default
        self.has_default = default is not None
        self.optional = optional
        self.units = units

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind != "scalar" or node.tag is not None:
            ctx.error(node.line, key, f"must be an integer, not {_describe(node)}")
            return INVALID
        text = node.value
        try:
            value = parse_int(text) if self.units else _plain_int(text)
        except ValueError:
            hint = ""
            if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", text, re.I):
                hint = " (floats are not accepted here)"
            elif self.units is False and re.fullmatch(r"\w+", text):
                hint = " (a plain decimal number is expected)"
            ctx.error(node.line, key, f"not an integer: {text!r}{hint}".replace("'", '"'))
            return INVALID
        if self.min is not None and value < self.min:
            ctx.error(node.line, key, f"must be at least {self.min}, got {value}")
            return INVALID
        if self.max is not None and value > self.max:
            ctx.error(node.line, key, f"must be at most {self.max}, got {value}")
            return INVALID
        return value


def _plain_int(text: str) -> int:
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise ValueError(text)
    return int(text)


class Bool(Schema):
    """``true`` or ``false``, nothing else."""

    def __init__(self, *, default: bool | None = None, optional: bool = False) -> None:
        self.default = default
        self.has_default = default is not None
        self.optional = optional

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null":
            return self.default_or_null(node, ctx, key)
        if node.kind == "scalar" and node.tag is None and node.value in ("true", "false"):
            return node.value == "true"
        ctx.error(node.line, key, f"must be true or false, not {_describe(node)}")
        return INVALID


class Seq(Schema):
    """A list of ``item``; null or absent is the empty list."""

    def __init__(self, item: Schema, *, min_length: int = 0) -> None:
        self.item = item
        self.min_length = min_length
        self.has_default = min_length == 0
        self.default = None

    def missing(self) -> Any:
        return _items([], [], 0) if self.has_default else INVALID

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null" and node.tag is None:
            result = _items([], [], node.line)
        elif node.kind != "seq" or node.tag is not None:
            ctx.error(node.line, key, f"must be a list, not {_describe(node)}")
            return INVALID
        else:
            values, lines, indexes = [], [], []
            for index, item in enumerate(node.value):
                value = self.item.check(item, ctx, f"{key}[{index}]")
                if value is not INVALID:
                    values.append(value)
                    lines.append(item.line)
                    indexes.append(index)
            result = _items(values, lines, node.line, indexes)
            result.complete = len(values) == len(node.value)
        if len(result) < self.min_length:
            ctx.error(node.line, key, f"needs at least {self.min_length} item(s)")
        return result


def _items(values: list[Any], lines: list[int], line: int,
           indexes: list[int] | None = None) -> Items:
    result = Items(values)
    result.lines = lines
    result.line = line
    result.indexes = list(range(len(values))) if indexes is None else indexes
    return result


def _record(line: int, tag: str | None = None) -> Record:
    result = Record()
    result.lines = {}
    result.line = line
    result.tag = tag
    result.invalid = set()
    return result


class Mapping(Schema):
    """A mapping with free keys (quire ``Mapping``); null or absent is empty."""

    def __init__(self, value: Schema, *, key: Callable[[str], str | None] | None = None) -> None:
        self.value = value
        self.key_check = key
        self.has_default = True

    def missing(self) -> Any:
        return _record(0)

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "null" and node.tag is None:
            return _record(node.line)
        if node.kind != "map" or node.tag is not None:
            ctx.error(node.line, key, f"must be a mapping, not {_describe(node)}")
            return INVALID
        result = _record(node.line)
        for name, child in node.value:
            child_key = _join(key, name)
            if self.key_check is not None:
                message = self.key_check(name)
                if message:
                    ctx.error(node.key_lines.get(name, child.line), child_key, message)
                    continue
            value = self.value.check(child, ctx, child_key)
            if value is not INVALID:
                result[name] = value
                result.lines[name] = node.key_lines.get(name, child.line)
            else:
                result.invalid.add(name)
        return result


class Struct(Schema):
    """A structure with known keys (quire ``Structure``).

    ``members`` maps dashed names to schemas; a key may be written with
    dashes or underscores. Keys starting with ``_`` are ignored; other
    unknown keys are errors. The result is a :class:`Record` with dashed keys.
    """

    def __init__(self, members: dict[str, Schema], *, optional: bool = False,
                 from_scalar: Callable[[Node], Node] | None = None) -> None:
        self.members = members
        self.optional = optional
        self.has_default = False
        self.from_scalar = from_scalar

    def missing(self) -> Any:
        if self.optional:
            return None
        return self._defaults(0, None, None, TOP)

    def _defaults(self, line: int, ctx: Checker | None, node: Node | None, key: str) -> Any:
        result = _record(line)
        ok = True
        for name, schema in self.members.items():
            value = schema.missing()
            if value is INVALID:
                ok = False
                if ctx is not None:
                    ctx.error(line, _join(key, name), "is required")
            else:
                result[name] = value
        return result if ok else INVALID

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        if node.kind == "scalar" and self.from_scalar is not None:
            node = self.from_scalar(node)
        if node.kind == "null":
            if self.optional and node.tag is None:
                return None
            return self._defaults(node.line, ctx, node, key)
        if node.kind != "map":
            ctx.error(node.line, key, f"must be a mapping, not {_describe(node)}")
            return INVALID
        given = dict(node.value)
        result = _record(node.line, node.tag)
        ok = True
        used: set[str] = set()
        for name, schema in self.members.items():
            under = name.replace("-", "_")
            spelled = under if under in given else name if name in given else None
            if spelled is None:
                value = schema.missing()
                if value is INVALID:
                    ctx.error(node.owner_line or node.line, _join(key, name), "is required")
                    ok = False
                else:
                    result[name] = value
                continue
            used.add(spelled)
            child = given[spelled]
            value = schema.check(child, ctx, _join(key, spelled))
            if value is INVALID:
                # reported already; go on with the default so later checks still run
                fallback = schema.missing()
                if fallback is INVALID:
                    ok = False
                else:
                    result[name] = fallback
                    result.invalid.add(name)
                continue
            result[name] = value
            result.lines[name] = node.key_lines.get(spelled, child.line)
            if isinstance(value, Items) and not value.complete:
                result.invalid.add(name)
        for name, child in node.value:
            if name in used or str(name).startswith("_"):
                continue
            ctx.error(node.key_lines.get(name, child.line), _join(key, name),
                      "unknown key" + _did_you_mean(name, self.members))
        return result if ok else INVALID


def _did_you_mean(name: str, members: dict[str, Schema]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name).replace("_", "-"), list(members), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _tag_hint(name: str, options: dict[str, Schema | None]) -> str:
    """``(did you mean !X?)`` for a close tag among *options*, else the list of them."""
    import difflib

    lowered = {option.lower(): option for option in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=2, cutoff=0.6)
    if close:
        return f" (did you mean {' or '.join('!' + lowered[c] for c in close)}?)"
    names = ["!" + option for option in options]
    if len(names) > 12:
        return f"; expected one of {', '.join(names[:12])} or {len(names) - 12} more"
    return "; expected one of " + ", ".join(names)


class Enum(Schema):
    """A tagged choice (quire ``Enum``): ``!Variant value``.

    ``options`` maps the tag name (without ``!``) to the schema of its value,
    or ``None`` for a variant without a value. With ``allow_plain`` an
    untagged scalar naming a value-less variant is also accepted.
    """

    def __init__(self, options: dict[str, Schema | None], *, allow_plain: bool = False,
                 optional: bool = False, default: str | None = None) -> None:
        self.options = options
        self.allow_plain = allow_plain
        self.optional = optional
        self.default = TagValue(default, None, 0) if default else None
        self.has_default = default is not None

    def check(self, node: Node, ctx: Checker, key: str) -> Any:
        names = ", ".join("!" + n for n in self.options)
        if node.tag is None:
            if node.kind == "null":
                if self.has_default:
                    return self.default
                return self.null(node, ctx, key)
            if (self.allow_plain and node.kind == "scalar"
                    and self.options.get(node.value, 0) is None):
                return TagValue(node.value, None, node.line)
            ctx.error(node.line, key, f"needs a tag, one of {names}")
            return INVALID
        name = node.tag[1:]
        if name not in self.options:
            ctx.error(node.line, key, f"unknown tag {node.tag}" + _tag_hint(name, self.options),
                      column=node.column)
            return INVALID
        schema = self.options[name]
        if schema is None:
            if node.kind != "null":
                ctx.error(node.line, key, f"{node.tag} takes no value")
                return INVALID
            return TagValue(name, None, node.line)
        bare = Node(node.kind, None, node.value, node.line, node.quoted, node.key_lines)
        value = schema.check(bare, ctx, key)
        if value is INVALID:
            return INVALID
        return TagValue(name, value, node.line)


def check(node: Node | None, schema: Schema, filename: str,
          key: str = TOP) -> tuple[Any, list[Problem]]:
    """Check ``node`` against ``schema``; return ``(value or INVALID, problems)``.

    An empty document (``node`` is None) is checked as an implicit null.
    """
    ctx = Checker(filename)
    if node is None:
        node = Node("null", None, None, 1)
    value = schema.check(node, ctx, key)
    return value, ctx.problems


def read_checked(text_or_path: str | Path, filename: str | None, schema: Schema, *,
                 include_dir: Path | None = None) -> tuple[Any, str, list[Problem]]:
    """Read (:func:`read_source`), :func:`load` and :func:`check` one file against *schema*.

    Returns ``(value, filename, problems)``; *value* is :data:`INVALID` when
    the file cannot be read, does not parse, or does not fit the schema.
    """
    text, name, problems = read_source(text_or_path, filename)
    if text is None:
        return INVALID, name, problems
    node, problems = load(text, name, include_dir=include_dir)
    if any(p.severity == "error" for p in problems):
        return INVALID, name, problems
    value, more = check(node, schema, name)
    return value, name, problems + more


def plain(node: Node | None) -> Any:
    """The node as plain Python data (tags dropped, scalars as strings)."""
    if node is None or node.kind == "null":
        return None
    if node.kind == "scalar":
        return node.value
    if node.kind == "seq":
        return [plain(item) for item in node.value]
    return {str(k): plain(v) for k, v in node.value}


# --------------------------------------------------------------------------- writing


def _to_ruamel(data: Any) -> Any:
    if isinstance(data, Tagged):
        inner = data.value
        if inner is None:
            return TaggedScalar("", tag=data.tag)
        if isinstance(inner, dict):
            result = CommentedMap((k, _to_ruamel(v)) for k, v in inner.items())
            result.yaml_set_ctag(Tag(suffix=data.tag))
            if not inner:
                result.fa.set_flow_style()
            return result
        if isinstance(inner, list):
            sequence = CommentedSeq(_to_ruamel(v) for v in inner)
            sequence.yaml_set_ctag(Tag(suffix=data.tag))
            return sequence
        return TaggedScalar(str(inner), tag=data.tag)
    if isinstance(data, dict):
        result = CommentedMap((k, _to_ruamel(v)) for k, v in data.items())
        if not data:
            result.fa.set_flow_style()
        return result
    if isinstance(data, list | tuple):
        sequence = CommentedSeq(_to_ruamel(v) for v in data)
        if not data:
            sequence.fa.set_flow_style()
        return sequence
    return data


def dump(data: Any) -> str:
    """Write ``data`` as YAML text, :class:`Tagged` values as local tags.

    >>> print(dump({"volumes": {"/tmp": Tagged("!Tmpfs", {"size": "16Mi"})}}), end="")
    volumes:
      /tmp: !Tmpfs
        size: 16Mi
    """
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(_to_ruamel(data), out)
    return out.getvalue()
