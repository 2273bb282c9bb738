"""Compare observed output with the expected output written on the page.

Exact by default, line by line, trailing whitespace ignored. ``...`` on a
line of its own matches any number of lines (none included); ``...`` inside
a line matches any text. Named normalizers (:mod:`deploydocs.normalize`) are
applied to both sides first. ``unordered`` compares lines as a multiset.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from deploydocs.normalize import normalize

WILDCARD = "..."


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one command's output."""

    matched: bool
    diff: str = ""


def split_lines(text: str) -> list[str]:
    """Output text → lines with trailing whitespace removed, no trailing empty lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@lru_cache(maxsize=4096)
def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in expected.split(WILDCARD)]
    return re.compile(".*".join(parts) + r"\Z", re.S)


def _line_matches(expected: str, observed: str) -> bool:
    if WILDCARD not in expected:
        return expected == observed
    return _line_pattern(expected).match(observed) is not None


def lines_match(expected: Sequence[str], observed: Sequence[str]) -> bool:
    """Ordered match with ``...`` wildcards (a small dynamic programme).

    >>> lines_match(["a", "...", "z"], ["a", "b", "c", "z"])
    True
    >>> lines_match(["started ... ok"], ["started node1 ok"])
    True
    >>> lines_match(["a"], ["a", "b"])
    False
    """
    n, m = len(expected), len(observed)
    # reach[j]: expected[:i] can match observed[:j]
    reach = [True] + [False] * m
    for i in range(n):
        line = expected[i].strip() if expected[i].strip() == WILDCARD else expected[i]
        nxt = [False] * (m + 1)
        if line == WILDCARD:
            seen = False
            for j in range(m + 1):
                seen = seen or reach[j]
                nxt[j] = seen
        else:
            for j in range(m):
                if reach[j] and _line_matches(line, observed[j]):
                    nxt[j + 1] = True
        reach = nxt
    return reach[m]


def unordered_match(expected: Sequence[str], observed: Sequence[str]) -> bool:
    """Multiset match: every expected line matches a distinct observed line.

    Without a ``...`` line, no observed line may be left over.

    >>> unordered_match(["b", "a"], ["a", "b"])
    True
    >>> unordered_match(["a", "..."], ["b", "a", "c"])
    True
    >>> unordered_match(["a"], ["a", "a"])
    False
    """
    rest = list(observed)
    open_ended = False
    # Exact lines first so a wildcard line cannot steal their partner.
    for line in sorted(expected, key=lambda e: WILDCARD in e):
        if line.strip() == WILDCARD:
            open_ended = True
            continue
        for index, candidate in enumerate(rest):
            if _line_matches(line, candidate):
                del rest[index]
                break
        else:
            return False
    return open_ended or not rest


def compare_output(
    expected: Sequence[str],
    observed: str,
    *,
    normalizers: Sequence[str] = (),
    unordered: bool = False,
    label_expected: str = "expected",
    label_observed: str = "observed",
) -> Comparison:
    """Compare *observed* with the *expected* lines; return whether they match and a diff.

    The diff shows the text as written and as observed (not normalized).

    >>> compare_output(["pid 1"], "pid 2\\n", normalizers=["pids"]).matched
    True
    >>> print(compare_output(["a"], "b\\n").diff)
    --- expected
    +++ observed
    @@ -1 +1 @@
    -a
    +b
    """
    raw_expected = [line.rstrip() for line in expected]
    raw_observed = split_lines(observed)
    norm_expected = [normalize(line, normalizers) for line in raw_expected]
    norm_observed = split_lines(normalize("\n".join(raw_observed), normalizers))
    if unordered:
        matched = unordered_match(norm_expected, norm_observed)
    else:
        matched = lines_match(norm_expected, norm_observed)
    if matched:
        return Comparison(True)
    diff = "\n".join(
        difflib.unified_diff(raw_expected, raw_observed, label_expected, label_observed,
                             lineterm="")
    )
    return Comparison(False, diff)
