"""A real local host confined to a scratch directory, for tests of Host-based code.

It runs real bash with the scratch directory as working directory; paths the
code under test passes relative to that directory stay inside it. It fakes
no tool: whatever the command runs is the real program on this machine.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from tools.lab.base import CommandResult, HostInfo


class ScratchHost:
    """A :class:`tools.lab.base.Host` whose filesystem view starts at *cwd*."""

    def __init__(self, name: str, cwd: Path) -> None:
        self.name = name
        self.cwd = cwd
        cwd.mkdir(parents=True, exist_ok=True)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run *command* with ``bash -c`` in the scratch directory."""
        started = time.monotonic()
        try:
            proc = subprocess.run(["bash", "-c", command], cwd=self.cwd, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            return CommandResult(command, 124, str(exc.stdout or ""), str(exc.stderr or ""),
                                 time.monotonic() - started, timed_out=True)
        return CommandResult(command, proc.returncode, proc.stdout, proc.stderr,
                             time.monotonic() - started)

    def shell_argv(self) -> list[str]:
        """A bash reading commands on stdin, started in the scratch directory."""
        return ["bash", "-c", f"cd {self.cwd} && exec bash"]

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* under the scratch directory (relative paths), atomically."""
        target = self.cwd / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp.", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)

    def info(self) -> HostInfo:
        """Name and scratch directory."""
        return HostInfo(self.name, str(self.cwd))
