"""Transcripts: what every session on every host was sent and said, for files and warnings.

Kept per (host, session); written to ``<builddir>/deploydocs/transcripts/`` by the
report, and the tail of a failed block's session goes into its warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deploydocs.masking import Masker


class Transcripts:
    """The transcript lines of one run, by (host, session).

    >>> t = Transcripts(Masker())
    >>> t.note("node1", "files", "# wrote /etc/x")
    >>> t.tail("node1", "files", 5)
    ['# wrote /etc/x']
    """

    def __init__(self, masker: Masker, lines: dict[tuple[str, str], list[str]] | None = None
                 ) -> None:
        self.masker = masker
        self.lines: dict[tuple[str, str], list[str]] = {} if lines is None else lines

    def of(self, host: str, session: str) -> list[str]:
        """The (growing) transcript of one session."""
        return self.lines.setdefault((host, session), [])

    def start(self, hosts: Sequence[str], session: str) -> None:
        """Give the hosts' *session* a transcript each, in host order, before their
        workers (:mod:`deploydocs.parallel`) add lines in whatever order they run.

        >>> t = Transcripts(Masker())
        >>> t.start(["node2", "node1"], "files"); list(t.lines)
        [('node2', 'files'), ('node1', 'files')]
        """
        for host in hosts:
            self.of(host, session)

    def note(self, host: str, session: str, line: str) -> None:
        """Add one line that is not a command (a file written, a session restored)."""
        self.of(host, session).append(line)

    def command(self, host: str, session: str, command: str, result: Any,
                observed: str) -> None:
        """Add a command, its (masked) output, exit status, duration and stderr."""
        lines = self.of(host, session)
        lines.append(f"$ {self.masker.mask(command)}")
        lines.extend(observed.rstrip("\n").split("\n") if observed.strip() else [])
        note = " TIMED OUT" if result.timed_out else ""
        lines.append(f"[exit {result.exit_status}, {result.duration:.2f}s{note}]")
        if result.stderr.strip():
            lines.append(f"[stderr] {self.masker.mask(result.stderr.strip())}")

    def tail(self, host: str, session: str, count: int) -> list[str]:
        """The last *count* lines of a session (none if it never ran)."""
        return list(self.lines.get((host, session), [])[-count:])
