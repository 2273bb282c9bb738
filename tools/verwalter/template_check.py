"""Handlebars templates checked as strictly as the handlebars verwalter 0.13.4 links.

verwalter renders with the Rust ``handlebars`` crate, whose parser refuses a
block that is opened and never closed (``{{#each roles}}`` without
``{{/each}}``), a closing tag that closes nothing or the wrong block, a
``{{`` never closed, and an empty or malformed expression. pybars3, which the
render preview renders with, accepts several of those and renders an empty
file; so ``validate`` scans templates itself, here, and reports each mistake
at the template's own line (rule ``template-syntax``). Scanning is also fast:
it needs no parser generator at import time, which pybars3 does (0.6 s).

:func:`variables` lists the names a template reads from the top of its
context (not those read inside ``{{#each}}`` or ``{{#with}}``, which are the
current item's), with their lines, so :func:`unknown_variable_problems` can
name one no schedule gives (rule ``template-variable``: the crate renders a
missing variable as an empty string, so a typo silently empties a value).

>>> [str(p) for p in syntax_problems("a {{#each roles}}\\n{{name}}\\n", "t.hbs")]
['t.hbs:1:3: handlebars: {{#each}} is never closed: add {{/each}}']
>>> sorted(variables("{{image}} {{#each xs}}{{name}}{{../port}}{{/each}}"))
['image', 'port', 'xs']
>>> [p.key for p in unknown_variable_problems("{{#each d}}{{imagee}}{{/each}}", "t.hbs",
...                                          {"d": {"web": {"image": "x"}}}, "a schedule")]
['imagee']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..problems import Problem

BUILTIN_HELPERS = frozenset({"if", "unless", "each", "with", "lookup", "log", "raw", "else",
                             "eq", "ne", "gt", "gte", "lt", "lte", "and", "or", "not", "len",
                             "json", "default", "round", "inline", "partial"})
"""Helpers of the handlebars crate and of verwalter's renderer: a name used as a helper
is not a variable."""

SCOPING = frozenset({"each", "with"})
"""Blocks whose body reads names from the current item, not from the top."""

_TAG = re.compile(r"\{\{(\{|~)?")
_TOKEN = re.compile(r"""\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\(|\)|\|[^|]*\||"""
                    r"""[\w@.\-/\[\]]+=|[\w@.\-/\[\]]+|\S)""")
_NAME = re.compile(r"(?:\.\./)*(?:@?[A-Za-z_][\w\-]*|this|\.)(?:[./][\w\-@\[\]]+)*$")
_LITERAL = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(\.\d+)?|true|false|null)$""")


@dataclass(frozen=True)
class _Tag:
    line: int
    column: int
    body: str
    """What is between the braces, without ``~`` marks."""


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _tags(text: str, problems: list[tuple[int, int, str, str]]) -> Iterator[_Tag]:
    """The mustaches of *text*, comments skipped; an unterminated one is a problem."""
    position = 0
    while True:
        match = _TAG.search(text, position)
        if match is None:
            return
        start = match.start()
        if text.startswith("{{!--", start) or text.startswith("{{~!--", start):
            end = text.find("--", text.find("!--", start) + 3)
            end = text.find("}}", end) if end >= 0 else -1
        elif text.startswith("{{!", start) or text.startswith("{{~!", start):
            end = text.find("}}", start)
        else:
            closer = "}}}" if match.group(1) == "{" else "}}"
            end = text.find(closer, match.end())
            if end >= 0:
                inner = text[match.end():end].strip()
                inner = inner[:-1] if inner.endswith("~") else inner
                line, column = _line_col(text, start)
                yield _Tag(line, column, inner.strip())
                position = end + len(closer)
                continue
        if end < 0:
            line, column = _line_col(text, start)
            problems.append((line, column, "handlebars",
                             "this '{{' is never closed with '}}'"))
            return
        position = end + 2


def _tokens(body: str) -> list[str]:
    return [token.strip() for token in _TOKEN.findall(body) if token.strip()]


def _expression_problem(tokens: list[str]) -> str | None:
    """Why an expression's tokens are malformed, or None."""
    if not tokens:
        return "an empty expression"
    depth = 0
    for token in tokens:
        depth += token == "("
        depth -= token == ")"
        if depth < 0:
            return "a ')' that closes nothing"
        if token.startswith("|") or token in ("(", ")") or token.endswith("="):
            continue
        if token == "as":
            continue
        if not (_NAME.match(token) or _LITERAL.match(token)):
            return f"{token!r} is not a name, path or literal"
    if depth:
        return "a '(' that is never closed"
    return None


@dataclass
class _Scan:
    problems: list[tuple[int, int, str, str]]
    reads: list[tuple[str, int, tuple[tuple[str, str], ...]]]
    """Each path read: the path as written, its line, and the ``(helper, path)`` of the
    ``each``/``with`` blocks around it, outermost first."""


def _scan(text: str) -> _Scan:
    problems: list[tuple[int, int, str, str]] = []
    reads: list[tuple[str, int, tuple[tuple[str, str], ...]]] = []
    stack: list[tuple[str, _Tag, str]] = []
    for tag in _tags(text, problems):
        body = tag.body
        if body.startswith(("#>", "#*", ">", "&", "#")) and body[:2] in ("#>", "#*"):
            body = body[2:]
        kind = body[:1]
        if kind in ("#", "/", "^", ">", "&"):
            body = body[1:].strip()
        if kind == "/":
            name = body.strip()
            if not stack:
                problems.append((tag.line, tag.column, "handlebars",
                                 f"{{{{/{name}}}}} closes no block"))
            elif stack[-1][0] != name:
                opened, where, _ = stack[-1]
                problems.append((tag.line, tag.column, "handlebars",
                                 f"{{{{/{name}}}}} where {{{{#{opened}}}}} of line "
                                 f"{where.line} must be closed first"))
                if any(frame[0] == name for frame in stack):  # said once, not again
                    while stack.pop()[0] != name:
                        pass
            else:
                stack.pop()
            continue
        tokens = _tokens(body)
        if (kind == "^" and not tokens) or body == "else" or body.startswith("else "):
            tokens = tokens[1:] if tokens[:1] == ["else"] else tokens
            if not tokens:
                continue
        wrong = _expression_problem(tokens) if kind != ">" else None
        if wrong is not None:
            problems.append((tag.line, tag.column, "handlebars", wrong))
            continue
        scopes = tuple((opened, param) for opened, _, param in stack if opened in SCOPING)
        read = list(_read_paths(tokens, kind))
        reads += [(path, tag.line, scopes) for path in read]
        if kind == "#":
            stack.append((tokens[0], tag, read[0] if read else ""))
    for opened, where, _ in stack:
        problems.append((where.line, where.column, "handlebars",
                         f"{{{{#{opened}}}}} is never closed: add {{{{/{opened}}}}}"))
    return _Scan(problems, reads)


def _read_paths(tokens: list[str], kind: str) -> Iterator[str]:
    """The paths an expression reads (helpers, literals, hash keys, block params and
    ``@`` data left out), in order."""
    plain = [t for t in tokens if t not in ("(", ")", "as") and not t.startswith("|")
             and not t.endswith("=")]
    if kind == ">":
        return
    if kind in ("#", "^") or (len(plain) > 1 and plain[0] in BUILTIN_HELPERS):
        plain = plain[1:] if plain and plain[0] in BUILTIN_HELPERS else plain
    for index, token in enumerate(tokens):
        if token == "(" and index + 1 < len(tokens) and tokens[index + 1] in plain:
            plain.remove(tokens[index + 1])  # a subexpression's helper
    for token in plain:
        if _LITERAL.match(token) or token.startswith("@") or token in ("this", "."):
            continue
        yield token


_UNKNOWN = object()
"""A context whose keys cannot be told from the sample (nothing to judge by)."""


def _step(context: object, part: str) -> object:
    if isinstance(context, dict):
        return context.get(part, KeyError(part))
    if isinstance(context, list) and part.isdigit() and int(part) < len(context):
        return context[int(part)]
    return _UNKNOWN


def _item_of(collection: object) -> object:
    """What ``{{#each}}`` makes the context: one item standing for all (the union of
    their keys when every item is a mapping)."""
    items = list(collection.values()) if isinstance(collection, dict) else \
        collection if isinstance(collection, list) else []
    if not items or not all(isinstance(item, dict) for item in items):
        return _UNKNOWN
    merged: dict[str, object] = {}
    for item in items:
        merged.update(item)
    return merged


def _resolve(stack: list[object], path: str) -> object:
    """The value *path* names with *stack* the contexts (innermost last); a KeyError
    for the first part that is missing."""
    ups = 0
    while path.startswith("../"):
        ups, path = ups + 1, path[3:]
    if path.startswith("@root"):
        context, path = stack[0], path[5:]
    else:
        context = stack[max(len(stack) - 1 - ups, 0)]
    for part in (p for p in re.split(r"[./\[\]]", path) if p and p != "this"):
        if context is _UNKNOWN or isinstance(context, KeyError):
            return context
        context = _step(context, part)
    return context


def _missing(top: dict[str, object], path: str,
             scopes: tuple[tuple[str, str], ...]) -> str | None:
    """The first name of *path* that the sample context does not have, or None."""
    stack: list[object] = [top]
    for helper, param in scopes:
        value = _resolve(stack, param) if param else _UNKNOWN
        if isinstance(value, KeyError):
            value = _UNKNOWN  # reported where the block reads it
        stack.append(_item_of(value) if helper == "each" else value)
    found = _resolve(stack, path)
    return str(found.args[0]) if isinstance(found, KeyError) else None


def syntax_problems(text: str, filename: str) -> list[Problem]:
    """What the handlebars of verwalter 0.13.4 would refuse in *text*, at its lines."""
    return [Problem(filename, line, key, message, column=column, rule="template-syntax")
            for line, column, key, message in _scan(text).problems]


def variables(text: str) -> dict[str, int]:
    """The names *text* reads from the top of its context (outside ``each``/``with``
    blocks, or through ``../``), each with the first line it is read on."""
    found: dict[str, int] = {}
    for path, line, scopes in _scan(text).reads:
        ups = path.count("../")
        if ups >= len(scopes):
            root = re.split(r"[./\[]", path[3 * ups:])[0]
            if root and root != "this":
                found.setdefault(root, line)
    return found


def unknown_variable_problems(text: str, filename: str, context: dict[str, object],
                              source: str) -> list[Problem]:
    """A warning for each name *text* reads that *context* (the variables *source*, a
    schedule, gives a role) does not have, at the template line that reads it, with a
    did-you-mean; names inside ``each``/``with`` are judged against the items the
    sample gives, when they are mappings."""
    problems = []
    seen: set[str] = set()
    for path, line, scopes in _scan(text).reads:
        name = _missing(context, path, scopes)
        if name is None or name in seen:
            continue
        seen.add(name)
        parent = _parent_keys(context, path, scopes)
        close = difflib.get_close_matches(name, sorted(parent), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(Problem(filename, line, name,
                                f"no variable {name!r} in {source}{hint}; verwalter's "
                                "handlebars renders it as an empty string", "warning",
                                rule="template-variable"))
    return problems


def _parent_keys(top: dict[str, object], path: str,
                 scopes: tuple[tuple[str, str], ...]) -> set[str]:
    """The keys beside the missing name, for a did-you-mean."""
    stack: list[object] = [top]
    for helper, param in scopes:
        value = _resolve(stack, param) if param else _UNKNOWN
        stack.append(_item_of(value) if helper == "each" else value)
    head = path.rsplit(".", 1)[0] if "." in path.lstrip("./") else ""
    context = _resolve(stack, head) if head else stack[max(len(stack) - 1 -
                                                           path.count("../"), 0)]
    return set(context) if isinstance(context, dict) else set()
