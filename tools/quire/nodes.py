"""The tree quire's preprocessing leaves, and the values a checked tree becomes.

:class:`Node` is one YAML node after merge keys, tags and nulls are read the
quire way; :class:`Record`, :class:`Items` and :class:`TagValue` are what the
schema classes of :mod:`tools.quire.schema` turn nodes into; :class:`Tagged`
is a value :func:`tools.quire.writing.dump` writes with a local tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NodeKind = Literal["map", "seq", "scalar", "null"]

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
    """A value written with a local tag, for :func:`~tools.quire.writing.dump`
    (``!Tmpfs {size: 1}``)."""

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
