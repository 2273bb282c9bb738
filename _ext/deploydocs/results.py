"""What a run hands to the report: records, transcripts, failures, heals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deploydocs.blocks import Block
from deploydocs.records import BlockRecord


@dataclass
class Failure:
    """A failed block, with everything the warning needs."""

    block: Block
    record: BlockRecord
    message: str
    host: str = ""
    transcript_tail: list[str] = field(default_factory=list)
    diagnostics: str = ""
    lineno: int = 0
    """The line to point at (the failing command's), when not the directive's."""


@dataclass
class RunResult:
    """What a run produced: per-block records, transcripts, failures."""

    records: dict[tuple[str, str], BlockRecord] = field(default_factory=dict)
    """(docname, block id) → the block's record."""
    transcripts: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    heals: list[str] = field(default_factory=list)
    """Heals performed, in order, with why (for the log and tests)."""
    differences: dict[tuple[str, str], Mapping[int, str]] = field(default_factory=dict)
    """(docname, block id) → command index → observed output that differed from the page
    and was tolerated (accept mode writes it into the page)."""
