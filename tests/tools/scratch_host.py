"""A real local host confined to a scratch directory, for tests of Host-based code.

It runs real bash with the scratch directory as working directory; paths the
code under test passes relative to that directory stay inside it. It fakes
no tool: whatever the command runs is the real program on this machine.
"""

from __future__ import annotations

from pathlib import Path

from tools.hosts import LocalHost


class ScratchHost(LocalHost):
    """A :class:`tools.hosts.Host` whose filesystem view starts at *cwd*."""

    def __init__(self, name: str, cwd: Path) -> None:
        super().__init__(name, cwd)
        self.cwd = cwd
        cwd.mkdir(parents=True, exist_ok=True)
