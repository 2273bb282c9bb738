"""Persistent shell sessions: one long-lived bash per (host, name).

A :class:`Session` starts the host's shell once (``Host.shell_argv()``) and
then feeds it commands over a pipe. The working directory and exported
variables survive from one command to the next, as they would for a reader
typing into a terminal.

Framing is by sentinel, never by timing: each command is handed to the
shell as a here-document read by the ``read`` builtin (so its text is never
parsed before it runs) and evaluated with ``eval`` in the shell itself;
afterwards the shell prints a line made of a random marker and the exit
status on *both* stdout and stderr. The reader collects each stream until
its marker line arrives, so stdout and stderr stay separate and any amount
of output (tested with 10 MB) arrives intact.

A command that outlives its timeout gets its process group killed: the
shell runs as the leader of its own session (``setsid``), and everything it
started without detaching is in that group. The session then restarts with
a fresh shell, and the result says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence

from ..hosts import CommandResult, Host

TIMEOUT_EXIT_STATUS = 124
"""Exit status reported for a command that did not finish in time (as ``timeout(1)``)."""

RESTART_NOTE = (
    "[deploydocs lab] {why}: the session's process group was killed and a fresh shell "
    "started; working directory and environment are reset."
)


class SessionError(RuntimeError):
    """The shell behind a session could not be started or talked to."""


class Session:
    """A long-lived bash on one host, fed one command at a time.

    :param host_or_argv: a lab :class:`~tools.hosts.Host` (its ``shell_argv()`` starts the
        shell and its ``run()`` is the side channel used to kill a hung command), or the argv
        of a local process that is a bash reading commands on stdin.
    :param name: the session's name, for messages and transcripts.
    """

    def __init__(self, host_or_argv: Host | Sequence[str], name: str = "default") -> None:
        if isinstance(host_or_argv, Host):
            self.host: Host | None = host_or_argv
            self.argv = list(host_or_argv.shell_argv())
            self.host_name = host_or_argv.name
        else:
            self.host = None
            self.argv = list(host_or_argv)
            self.host_name = "local"
        self.name = name
        self.transcript: list[tuple[str, CommandResult]] = []
        self._token = secrets.token_hex(8)
        self._counter = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._shell_pgid = 0

    # -- life cycle -------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the shell and learn the pid of the bash that leads its process group."""
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for stream in (self._proc.stdout, self._proc.stderr):
            assert stream is not None
            os.set_blocking(stream.fileno(), False)
        # The shell leads its own process group (``shell_argv`` starts it under setsid), so a
        # hung command can be killed together with everything it started: learn that group.
        hello = self._exchange("read -r _ _ _ _ __dd_pgid _ < /proc/$$/stat; echo $__dd_pgid", 30)
        if hello.exit_status != 0 or not hello.stdout.strip().isdigit():
            self._discard()
            raise SessionError(
                f"session {self.name!r} on {self.host_name}: the shell did not start "
                f"({' '.join(self.argv)}): {hello.stderr.strip() or hello.stdout.strip()}"
            )
        self._shell_pgid = int(hello.stdout.strip())

    def _ensure_started(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._discard()
            self._start()

    def _discard(self, wait: float = 10) -> None:
        """Forget the current shell process, killing what is left of it locally (and
        waiting up to *wait* seconds for it to go)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)

    def close(self, force: bool = False) -> None:
        """End the shell (its process group on the host goes with it).

        With *force*, only the local end goes (its process group is killed, with a short
        wait): nothing is asked of the host, so a command still running there is left to
        end by itself, or to go with its node.
        """
        if force:
            self._discard(wait=2)
            return
        if self._proc is not None and self._proc.poll() is None:
            self._kill_remote_group()
        self._discard()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------------------------

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        """Run *command* in the session and return what it did.

        The command sees the working directory and environment left by the commands before
        it. Its stdin is ``/dev/null``. On timeout the command's process group is killed, the
        session restarts, and the result has ``timed_out=True`` and exit status 124.
        """
        self._ensure_started()
        result = self._exchange(command, timeout)
        self.transcript.append((command, result))
        return result

    def _exchange(self, command: str, timeout: float) -> CommandResult:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        self._counter += 1
        tag = f"{self._token}_{self._counter}"
        delimiter = f"DEPLOYDOCS_LAB_EOF_{tag}"
        marker_head, marker_tail = "__deploydocs_lab_", f"{tag}__"
        script = (
            f"IFS= read -r -d '' __dd_cmd <<'{delimiter}'\n{command}\n{delimiter}\n"
            f'eval "$__dd_cmd" </dev/null; __dd_rc=$?; '
            f"printf '\\n%s%s %d\\n' {marker_head} {marker_tail} \"$__dd_rc\"; "
            f"printf '\\n%s%s %d\\n' {marker_head} {marker_tail} \"$__dd_rc\" >&2\n"
        )
        marker = re.compile(
            rb"\n" + re.escape((marker_head + marker_tail).encode()) + rb" (\d+)\n"
        )
        started = time.monotonic()
        try:
            proc.stdin.write(script.encode())
            proc.stdin.flush()
        except BrokenPipeError:
            return self._shell_died(command, b"", b"", started)
        out, err, status, outcome = self._collect(proc, marker, started + timeout)
        duration = time.monotonic() - started
        if outcome == "timeout":
            self._kill_remote_group()
            self._discard()
            note = RESTART_NOTE.format(why=f"command timed out after {timeout:g} s: {command!r}")
            return CommandResult(
                command=command,
                exit_status=TIMEOUT_EXIT_STATUS,
                stdout=_text(out),
                stderr=_join_note(_text(err), note),
                duration=duration,
                timed_out=True,
            )
        if outcome == "eof":
            return self._shell_died(command, out, err, started)
        return CommandResult(command, status, _text(out), _text(err), duration, False)

    def _shell_died(self, command: str, out: bytes, err: bytes, started: float) -> CommandResult:
        """The shell ended before the command's marker (``exit`` or a lost transport)."""
        proc = self._proc
        status = proc.wait() if proc is not None else 255
        self._discard()
        note = RESTART_NOTE.format(why=f"the shell exited with status {status}")
        return CommandResult(
            command, status if status >= 0 else 128 - status, _text(out),
            _join_note(_text(err), note), time.monotonic() - started, False,
        )

    @staticmethod
    def _collect(
        proc: subprocess.Popen[bytes], marker: re.Pattern[bytes], deadline: float
    ) -> tuple[bytes, bytes, int, str]:
        """Read stdout and stderr until both carry the marker, the deadline passes, or EOF."""
        assert proc.stdout is not None and proc.stderr is not None
        buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
        found: dict[int, re.Match[bytes]] = {}
        scanned = dict.fromkeys(buffers, 0)
        selector = selectors.DefaultSelector()
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while len(found) < 2:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return bytes(buffers[proc.stdout.fileno()]), bytes(
                        buffers[proc.stderr.fileno()]), TIMEOUT_EXIT_STATUS, "timeout"
                for key, _ in selector.select(timeout=remaining):
                    fd = key.fd
                    try:
                        chunk = os.read(fd, 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(fd)
                        if not selector.get_map():
                            out = bytes(buffers[proc.stdout.fileno()])
                            return out, bytes(buffers[proc.stderr.fileno()]), -1, "eof"
                        continue
                    buf = buffers[fd]
                    buf.extend(chunk)
                    match = marker.search(buf, max(0, scanned[fd] - 200))
                    scanned[fd] = len(buf)
                    if match:
                        found[fd] = match
                        selector.unregister(fd)
        finally:
            selector.close()
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        out = bytes(buffers[out_fd][: found[out_fd].start()])
        err = bytes(buffers[err_fd][: found[err_fd].start()])
        return out, err, int(found[out_fd].group(1)), "done"

    def _kill_remote_group(self) -> None:
        """Kill the shell's process group where it runs (the host, or locally)."""
        if self._shell_pgid <= 1:
            return
        if self.host is not None:
            with contextlib.suppress(Exception):
                self.host.run(f"kill -KILL -- -{self._shell_pgid} 2>/dev/null || true", timeout=30)
        elif self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._shell_pgid, signal.SIGKILL)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _join_note(stderr: str, note: str) -> str:
    if stderr and not stderr.endswith("\n"):
        stderr += "\n"
    return stderr + note + "\n"
