"""Line edits of a source file, applied bottom-up (accept mode writes observed output back).

Which lines of a block to replace is its kind's business (the ``accept_edits``
hook); applying them, and failing cleanly when they cannot be made, is here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace source lines ``first..last`` (1-based, inclusive) by ``lines``.

    ``last == first - 1`` inserts before ``first``.
    """

    first: int
    last: int
    lines: tuple[str, ...]


class AcceptError(ValueError):
    """A block cannot be rewritten (its source lines are unknown, or its kind cannot)."""


def apply_edits(lines: list[str], edits: Iterable[Edit]) -> list[str]:
    """Apply edits bottom-up so earlier line numbers stay valid.

    >>> apply_edits(["a", "b", "c"], [Edit(2, 2, ("x", "y")), Edit(4, 3, ("z",))])
    ['a', 'x', 'y', 'c', 'z']
    """
    result = list(lines)
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        result[edit.first - 1: edit.last] = list(edit.lines)
    return result
