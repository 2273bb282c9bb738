"""Plain-words explanations of YAML syntax errors, pointing at the mistake itself.

The parser reports where it gave up, which is often a line or more after the
mistake; :func:`explain_syntax_error` works back from the text to the
bracket, quote, colon or indentation at fault, and :func:`key_path` names the
enclosing key from indentation alone (so it works on text that does not parse).
"""

from __future__ import annotations

import re
from typing import Any

from ..problems import Problem

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


def _spaces(count: int) -> str:
    return f"{count} space" + ("" if count == 1 else "s")


def _indent_of(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _astray_line(lines: list[str], start: int, block_indent: int, stop: int) -> int | None:
    """The line that was mis-indented when the parser, in the block mapping that starts
    at 1-based line *start* with keys at *block_indent*, gave up at line *stop*; None
    when *stop* itself is the one.

    An indentation that is odd (where *stop*'s is even) marks the moved line. The block's
    first line is the culprit when it alone sits at *block_indent* and *stop* is deeper
    (the first key was pulled out); the first line after *start* is, when *stop* is
    shallower than every line between them (the lines between were pushed in).
    """
    if not 1 <= start < stop <= len(lines):
        return None
    stop_indent = _indent_of(lines[stop - 1])
    if stop_indent <= block_indent or stop_indent % 2:
        return None
    between = [(number, _indent_of(text))
               for number, text in enumerate(lines[start:stop - 1], start + 1)
               if _meaningful(text)]
    if block_indent % 2 and _indent_of(lines[start - 1]) == block_indent and \
            all(indent != block_indent for _, indent in between):
        return start
    if between:
        deepest_first = min(indent for _, indent in between)
        if stop_indent < deepest_first:
            return next(number for number, indent in between if indent == deepest_first)
    return None


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
        elif previous and _value_after_key(prev_text) and indent > prev_indent \
                and prev_indent % 2 and not indent % 2:
            # the key above was pulled out by a space: it is the one to move
            message = (f"this line is indented {_spaces(prev_indent)}, but the key after "
                       f"it (line {line}) is at {indent}: indent it like its sibling keys")
            line, column = previous, prev_indent + 1
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
            astray = _astray_line(lines, start[0], start[1] - 1, line)
            if astray is not None:
                # the parser gives up at the first line that is right, after the wrong one
                moved = _indent_of(source(astray))
                message = (f"this line is indented {_spaces(moved)}, but the line(s) at "
                           f"its level go on at {_spaces(indent)} (line {line}): indent "
                           f"it like them")
                line, column = astray, moved + 1
            else:
                column = indent + 1
                message = (f"the indentation of this line ({_spaces(indent)}) matches no "
                           f"block above it; align it with its siblings (the block that "
                           f"starts at line {start[0]} is at column {start[1]})")
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
    return Problem(filename, line, key, f"YAML syntax error: {message}", column=column,
                   rule="yaml-syntax")
