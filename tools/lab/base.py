"""What every lab backend provides, and what its callers may rely on.

A backend gives named hosts. A host runs one command and returns a
:class:`CommandResult`, and can spawn a long-lived shell (the argv of a
process whose stdin/stdout/stderr are the shell's) that
``tools.lab.session`` turns into a persistent session.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

LAB_LABEL = "deploydocs.lab"
"""Docker label / name prefix carried by every lab resource."""


class LabError(RuntimeError):
    """The lab could not be brought up or changed; the message says what failed.

    Defined here rather than in :mod:`tools.lab.docker` so that code catching it
    needs neither that module nor the ``docker`` library it imports.
    """


class DockerUnreachable(LabError):
    """The Docker daemon does not answer (not running, or its socket is not ours)."""


@dataclass(frozen=True)
class CommandResult:
    """What one command did on one host."""

    command: str
    exit_status: int
    stdout: str
    stderr: str
    duration: float = 0.0
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """Whether the command finished in time with exit status 0."""
        return self.exit_status == 0 and not self.timed_out


@dataclass(frozen=True)
class HostInfo:
    """Facts about a host, for ``lab status`` and the verification fingerprint."""

    name: str
    address: str
    machine_id: str = ""
    os: str = ""
    tools: dict[str, str] = field(default_factory=dict)
    """Real tool name → version string, for the tools present on the host."""
    sha256: dict[str, str] = field(default_factory=dict)
    """Real tool name → SHA-256 (hex) of its binary, for the tools present on the host."""


@runtime_checkable
class Host(Protocol):
    """One machine of the lab, whatever the transport."""

    name: str

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run *command* with ``bash -c`` on the host and wait for it."""
        ...

    def shell_argv(self) -> list[str]:
        """The argv that starts a non-interactive bash on the host over stdin/stdout."""
        ...

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* to *path* on the host atomically (temp file, then rename)."""
        ...

    def info(self) -> HostInfo:
        """Address, machine id, OS and real tools of the host."""
        ...


def atomic_write_script(path: str, owner: str, mode: int) -> str:
    """A bash script that writes its stdin to *path* atomically, with *owner* and *mode*.

    The data lands in a temp file in the same directory, which is renamed over
    *path* only once complete; on any failure the temp file is removed.
    """
    directory = os.path.dirname(path) or "/"
    return (
        f"set -e; mkdir -p -- {shlex.quote(directory)}; "
        f"tmp=$(mktemp -p {shlex.quote(directory)} .deploydocs-XXXXXXXX); "
        f"trap 'rm -f -- \"$tmp\"' EXIT; cat > \"$tmp\"; "
        f"chown {shlex.quote(owner)} \"$tmp\"; chmod {mode:o} \"$tmp\"; "
        f"mv -f -- \"$tmp\" {shlex.quote(path)}; trap - EXIT"
    )
