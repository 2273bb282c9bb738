"""Indentation as quire's own tokenizer reads it, where that differs from YAML's.

quire (0.4, in lithos 0.18.4 and vagga 0.8.1) does not use a YAML library: its
tokenizer tracks indentation the way Python does, with a stack of levels, and a
list item's ``- `` opens a level at the column of its content. Compared with the
YAML specification (which :mod:`ruamel.yaml` follows) that makes three differences,
each seen on the real ``vagga _list``:

* a line that goes back to a column no enclosing level is at is refused
  ("Unindent doesn't match any outer indentation level"), where YAML may read it as
  the continuation of a plain scalar or of the item above;
* a list item at the content column of an item holding a tagged value is refused
  ("Expected unindent, got SequenceEntry"), where YAML reads both as one text (at
  any other column, or after a plain text, quire reads it as YAML does);
* after an item holding only a tag (``- !Env``), the tag's value must start at the
  item's content column; deeper is refused ("Expected scalar, sequence or mapping,
  got Indent");

and about block scalars (``run: |``), one leniency and one more strictness: their
lines may be indented less than the first one, as long as they are deeper than the
key (or an item's content); YAML ends the scalar there. A line after the block that
is deeper than the line opening it is refused ("Expected unindent").
:func:`problems` finds the first three; :func:`even_block_scalars` pads the fourth
so that the YAML parser reads what quire reads.

>>> [p[2] for p in problems("a:\\n  - !X\\n   - y\\n")]
["Unindent doesn't match any outer indentation level"]
>>> even_block_scalars("run: |\\n    a\\n   b\\n")
'run: |\\n    a\\n    b\\n'
"""

from __future__ import annotations

import re

_BLOCK_SCALAR = re.compile(r"(?:^|[:\-]\s)\s*(?:!\S+\s+)?[|>][-+0-9]*\s*(?:#.*)?$")
_ITEM = re.compile(r"-(?:\s+|$)")
_TAG_ONLY = re.compile(r"!\S+\s*(?:#.*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_scalars(lines: list[str]) -> tuple[set[int], dict[int, int]]:
    """The 0-based indexes of the content lines of block scalars (``|`` and ``>``), and
    for the first meaningful line after each one, the indentation of the line that
    opened it (that line may go no deeper: quire says "Expected unindent")."""
    inside: set[int] = set()
    after: dict[int, int] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        if _meaningful(line) and _BLOCK_SCALAR.search(line.split(" #", 1)[0].rstrip()):
            owner = _indent(line)
            parent = owner
            rest = line[owner:]
            while item := _ITEM.match(rest):  # an item's text goes deeper than its content
                parent += item.end()
                rest = rest[item.end():]
            following = index + 1
            while following < len(lines) and (not lines[following].strip()
                                              or _indent(lines[following]) > parent):
                inside.add(following)
                following += 1
            while following < len(lines) and not _meaningful(lines[following]):
                following += 1
            if following < len(lines):
                after[following] = owner
            index = following
        else:
            index += 1
    return inside, after


def _block_scalar_lines(lines: list[str]) -> set[int]:
    return _block_scalars(lines)[0]


def even_block_scalars(text: str) -> str:
    """*text* with the lines of each block scalar indented at least as deep as its first
    line (what quire accepts and YAML does not); same lines, same line numbers."""
    lines = text.split("\n")
    inside = sorted(_block_scalar_lines(lines))
    first_indent: int | None = None
    previous = -2
    for index in inside:
        if index != previous + 1:
            first_indent = None
        previous = index
        if not lines[index].strip():
            continue
        if first_indent is None:
            first_indent = _indent(lines[index])
        elif _indent(lines[index]) < first_indent:
            lines[index] = " " * (first_indent - _indent(lines[index])) + lines[index]
    return "\n".join(lines)


def _structure_follows(rest: str) -> bool:
    """Whether an item's content opens a level at its column: a nested item, a mapping
    or a tagged value (a plain text just goes on, on deeper lines)."""
    rest = rest.split(" #", 1)[0].strip()
    return bool(rest) and (bool(_ITEM.match(rest)) or rest.startswith("!")
                           or bool(re.match(r"[^\s\[{'\"][^:]*:(\s|$)", rest)))


def _opens_flow(line: str) -> int:
    """How many more brackets a line opens than it closes (quotes not considered)."""
    code = line.split(" #", 1)[0]
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def problems(text: str) -> list[tuple[int, int, str, str]]:
    """Where quire's tokenizer refuses *text*'s indentation and YAML does not:
    ``(line, column, what quire says, what to do)``, 1-based; at most the first."""
    lines = text.split("\n")
    skip, after_block = _block_scalars(lines)
    levels = [0]
    depth = 0
    previous: str | None = None
    for index, line in enumerate(lines):
        if index in skip or not _meaningful(line) or line.lstrip().startswith("---"):
            continue
        if depth > 0:  # inside a flow collection: indentation means nothing there
            depth = max(depth + _opens_flow(line), 0)
            continue
        indent = _indent(line)
        number = index + 1
        if index in after_block and indent > after_block[index]:
            return [(number, indent + 1, "Expected unindent, got PlainString",
                     f"the text block (|) above ended at this line, which is deeper than "
                     f"the line that opened it: indent the block's lines deeper than "
                     f"column {after_block[index] + 1}, or this line like its siblings")]
        if previous is not None:
            prev_indent = _indent(previous)
            prev_rest = previous[prev_indent:]
            item = _ITEM.match(prev_rest)
            if item and line[indent:].startswith("-") and _ITEM.match(line[indent:]) \
                    and indent == prev_indent + item.end():
                value = prev_rest[item.end():].split(" #", 1)[0].strip()
                if value.startswith("!") and not _TAG_ONLY.match(value) \
                        and ": " not in value:
                    return [(number, indent + 1, "Expected unindent, got SequenceEntry",
                             f"a list item indented under the item of line {number - 1}, "
                             "which already has a value; align it with that item")]
            if item and _TAG_ONLY.match(prev_rest[item.end():]) and \
                    indent > prev_indent + item.end():
                return [(number, indent + 1,
                         "Expected scalar, sequence or mapping, got Indent",
                         f"the value of the tag on line {number - 1} starts at column "
                         f"{prev_indent + item.end() + 1}; indent it to there")]
        if indent < levels[-1]:
            while levels and levels[-1] > indent:
                levels.pop()
            if not levels or levels[-1] != indent:
                return [(number, indent + 1, "Unindent doesn't match any outer "
                         "indentation level", "line it up with a line above at its level")]
        elif indent > levels[-1]:
            levels.append(indent)
        column = indent
        rest = line[indent:]
        while (item := _ITEM.match(rest)) and _structure_follows(rest[item.end():]):
            column += item.end()
            rest = rest[item.end():]
            levels.append(column)
        depth = max(_opens_flow(line), 0)
        previous = line
    return []
