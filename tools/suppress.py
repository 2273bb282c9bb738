"""Inline suppression: a comment that silences named rules on one line.

Write ``deploydocs-tools: ignore[RULE, ...]`` in a comment at the end of the line
a problem is reported on, or alone on the line just above it; without
``[...]`` every rule is silenced there. The marker is looked for in the text,
so it works in any comment syntax: ``# ...`` in YAML, ``-- ...`` in Lua,
``{{!-- ... --}}`` in a handlebars template.

>>> lines = ["a: 1", "b: 2  # deploydocs-tools: ignore[unknown-key]",
...          "# deploydocs-tools: ignore", "c: 3"]
>>> silenced(lines, 2, "unknown-key"), silenced(lines, 2, "wrong-type"), silenced(lines, 4, "x")
(True, False, True)
>>> silenced(lines, 1, "unknown-key")
False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .problems import Problem

_MARKER = re.compile(r"deploydocs-tools:\s*ignore(?:\[(?P<rules>[^\]]*)\])?")
"""The inline marker; its optional ``[...]`` holds comma-separated rule ids."""


def _names(line: str) -> set[str] | None:
    """The rules a line's marker silences: a set, empty for every rule; None without one."""
    match = _MARKER.search(line)
    if match is None:
        return None
    listed = match.group("rules")
    return set() if listed is None else {name.strip() for name in listed.split(",")
                                         if name.strip()}


def _is_comment_only(line: str) -> bool:
    return line.lstrip().startswith(("#", "--", "{{!"))


def silenced(lines: Sequence[str], line: int, rule: str) -> bool:
    """Whether 1-based *line* of *lines* (or a comment line above it) silences *rule*."""
    candidates = []
    if 1 <= line <= len(lines):
        candidates.append(lines[line - 1])
    if 2 <= line <= len(lines) + 1 and _is_comment_only(lines[line - 2]):
        candidates.append(lines[line - 2])
    for text in candidates:
        names = _names(text)
        if names is not None and (not names or rule in names):
            return True
    return False


def file_lines(name: str) -> list[str]:
    """The lines of the file *name* (none when it cannot be read)."""
    try:
        return Path(name).read_text(errors="replace").splitlines()
    except OSError:
        return []


def without_silenced(problems: Sequence[Problem], *, ignore: frozenset[str] = frozenset(),
                     read: Callable[[str], list[str]] = file_lines) -> list[Problem]:
    """*problems* less those whose rule is in *ignore*, or that are silenced in their own file.

    *read* gives a file's lines by the name problems use (standard input's text
    is passed in that way); each file is read once.
    """
    cache: dict[str, list[str]] = {}
    kept = []
    for problem in problems:
        if problem.rule in ignore:
            continue
        if problem.file not in cache:
            cache[problem.file] = read(problem.file)
        if problem.rule and silenced(cache[problem.file], problem.line, problem.rule):
            continue
        kept.append(problem)
    return kept


def with_rule(problems: Sequence[Problem], rule: str) -> list[Problem]:
    """*problems*, those with no rule id given *rule*."""
    return [p if p.rule else replace(p, rule=rule) for p in problems]
