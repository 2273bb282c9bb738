"""The nouns of the pipeline: a :class:`Block` as written on a page.

A directive turns its text into one :class:`Block`, a plain, picklable data
object that knows nothing about Sphinx or the lab. Everything downstream
(planning, running, comparing, reporting, rewriting) works on these.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Which directive a block came from."""

    RUN = "lab-run"
    FILE = "lab-file"
    CHECK = "lab-check"
    FAULT = "lab-fault"
    HEAL = "lab-heal"


@dataclass(frozen=True)
class Command:
    """One ``$ command`` of a ``lab-run`` block and the output written below it.

    :param text: the command as the reader types it (continuations joined with newlines).
    :param expected: the expected output lines, exactly as written.
    :param lineno: 1-based line in the source file of the ``$`` line.
    :param output_lines: 1-based source lines holding the expected output (for rewriting).
    """

    text: str
    expected: tuple[str, ...] = ()
    lineno: int = 0
    output_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Options:
    """The options of any lab directive, with their defaults."""

    session: str = "default"
    timeout: float = 60.0
    exit: int | None = 0
    """Expected exit status of the last command; ``None`` means any."""
    wait_until: float | None = None
    captures: tuple[tuple[str, str], ...] = ()
    """(NAME, regex with one group) pairs."""
    requires: tuple[str, ...] = ()
    hide: bool = False
    normalize: tuple[str, ...] = ()
    unordered: bool = False
    stand_in: str = ""
    instead_of: tuple[str, ...] = ()
    """Real tools this (stand-in) block replaces: it is skipped when they did the job."""
    needs_internet: str = ""
    """What the block downloads; it is not run unless the lab reaches the internet."""
    # lab-file
    owner: str = "root:root"
    mode: int = 0o644
    validate: str = ""
    language: str = ""
    # lab-fault
    action: str = ""


@dataclass(frozen=True)
class Block:
    """One lab directive as written: where it is, where it runs, what it expects.

    :param kind: the directive.
    :param docname: the Sphinx document name (``tutorial/first``).
    :param source: the path of the file the block is written in.
    :param lineno: 1-based line of the directive.
    :param hosts: host names as written (``all`` is expanded by the planner).
    :param argument: the directive's argument (host list, or the path of a ``lab-file``).
    :param content: the block's body lines, as written (indentation removed).
    :param content_lines: the 1-based source line of each body line.
    :param commands: for ``lab-run``, the parsed commands.
    :param checks: for ``lab-check``, the check lines.
    :param options: the directive options.
    """

    kind: Kind
    docname: str
    source: str
    lineno: int
    hosts: tuple[str, ...]
    argument: str = ""
    content: tuple[str, ...] = ()
    content_lines: tuple[int, ...] = ()
    commands: tuple[Command, ...] = ()
    checks: tuple[str, ...] = ()
    options: Options = field(default_factory=Options)
    raw_options: tuple[tuple[str, str], ...] = ()
    """The options as written, for hashing and display."""

    @property
    def source_hash(self) -> str:
        """A short hash of what the author wrote; a record is valid only for this hash."""
        payload = json.dumps(
            [self.kind.value, self.argument, sorted(self.raw_options), list(self.content)]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def location(self) -> str:
        """``source:line`` for messages."""
        return f"{self.source}:{self.lineno}"

    @property
    def session(self) -> str:
        """The session name the block runs in."""
        return self.options.session

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (for the plan output and debugging)."""
        return asdict(self)
