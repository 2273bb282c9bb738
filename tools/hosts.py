"""Where a command runs: the :class:`Host` protocol, its results, and this machine as one.

A host runs one bash command and returns a :class:`CommandResult`, writes files
atomically, describes itself (:class:`HostInfo`) and can spawn a long-lived
shell (the argv of a process whose stdin/stdout/stderr are the shell's), which
``tools.lab.session`` turns into a persistent session. The lab's containers,
ssh machines and VMs are hosts (:mod:`tools.lab`); so is this machine
(:class:`LocalHost`). A host that rsync can copy to is an :class:`RsyncHost`.

Domain code (machine ids, images, deploy, verwalter) takes hosts from here and
never imports the lab.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from .fs import write_atomically

TIMEOUT_STATUS = 124
"""The exit status of a command that was killed for running too long (as ``timeout``'s)."""


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
    """One machine, whatever the transport."""

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


@runtime_checkable
class RsyncHost(Protocol):
    """A host rsync can copy a tree to, and that runs commands (to publish the copy)."""

    name: str

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run *command* with ``bash -c`` on the host and wait for it."""
        ...

    def rsync_target(self, path: str) -> tuple[str | None, str]:
        """``(rsh, destination)`` for rsync to reach *path*; *rsh* None for a local path."""
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


def run_in_own_group(argv: list[str], *, cwd: Path | None = None,
                     env: Mapping[str, str] | None = None, timeout: float | None = None,
                     merge_stderr: bool = False) -> tuple[int | None, bytes, bytes]:
    """Run *argv* as the leader of a process group of its own, stdin empty, and wait.

    Return ``(exit status, stdout, stderr)``; the status is None when the command outlived
    *timeout*. Then, and on any exception while waiting (Ctrl-C, SIGTERM turned into
    one), the whole group is killed first, so nothing the command started outlives it.
    With *merge_stderr*, stderr goes to stdout (and comes back empty).
    """
    proc = subprocess.Popen(
        argv, cwd=cwd, env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err or b""
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode, out, err or b""


def run_bash(command: str, *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
             timeout: float | None = None) -> CommandResult:
    """Run *command* with ``bash -c`` on this machine, stdin empty, and wait for it.

    The command leads a process group of its own (:func:`run_in_own_group`): when it
    outlives *timeout*, the whole group is killed and the result says so (exit 124,
    ``timed_out``), with whatever it printed until then.
    """
    started = time.monotonic()
    status, out, err = run_in_own_group(["bash", "-c", command], cwd=cwd, env=env,
                                        timeout=timeout)
    return CommandResult(command, TIMEOUT_STATUS if status is None else status,
                         out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                         time.monotonic() - started, status is None)


class LocalHost:
    """This machine as a :class:`Host`, optionally confined to the directory *root*.

    Without *root*, commands run in the current directory and paths are this
    machine's. With it, commands run in *root* (created on first use), and
    :meth:`put_file` and :meth:`rsync_target` place every path under *root*, so
    callers pass paths as they would on a machine whose ``/`` is *root*.
    """

    def __init__(self, name: str = "local", root: Path | None = None) -> None:
        self.name = name
        self.root = root

    def environment(self) -> Mapping[str, str] | None:
        """The environment commands get (None: this process's)."""
        return None

    def local_path(self, path: str) -> Path:
        """Where *path* of the host is on this machine."""
        return Path(path) if self.root is None else self.root / path.lstrip("/")

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run *command* with bash (in *root* when there is one)."""
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)
        return run_bash(command, cwd=self.root, env=self.environment(), timeout=timeout)

    def shell_argv(self) -> list[str]:
        """A bash reading commands on stdin (started in *root* when there is one)."""
        if self.root is None:
            return ["bash", "--noprofile", "--norc"]
        return ["bash", "-c", f"cd {shlex.quote(str(self.root))} && exec bash"]

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* to *path* through a temp file and a rename (*owner* is not applied)."""
        write_atomically(self.local_path(path), data, mode)

    def rsync_target(self, path: str) -> tuple[str | None, str]:
        """A local rsync destination: no remote shell."""
        return None, str(self.local_path(path))

    def info(self) -> HostInfo:
        """Name, and root (or ``localhost``) as the address."""
        return HostInfo(self.name, str(self.root) if self.root is not None else "localhost")
