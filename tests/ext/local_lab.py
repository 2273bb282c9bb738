"""A test double for the lab *transport*, used only by the extension's own tests.

``LocalTransportLab`` gives hosts named like the lab's (node1..node3,
workstation) whose commands run in a local bash, each in its own scratch
directory. The directories of ``/tmp`` that pages and extension use on a host
(:data:`SHARED_DIRS`) are the lab's own on the double (:class:`LabDirs`), so two
labs, of two tests or of two test processes, never share one. It reports
**no real tools at all** (``tools()`` is empty), so
every block that ``:requires:`` a tool is reported *not run*; faults and heals
are only written to ``faults.log`` (nothing is stopped). It exists so the
pipeline (plan → run → compare → report) can be exercised without Docker;
the ``lab``-marked tests use the real docker lab.
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
from pathlib import Path

from deploydocs.cache import STATE_DIR

from tools.fs import write_atomically
from tools.lab.base import CommandResult, HostInfo

SCRATCH_FILES = Path("/tmp/deploydocs-test-lab")
"""Where the test project's pages keep their files; the only directory ``put_file`` of this
double may write to."""
SHARED_DIRS = (str(SCRATCH_FILES), STATE_DIR)
"""The hosts' directories a lab of the double has its own copies of: the pages' files, and
the sessions' state the replay cache saves."""


class LabDirs:
    """A lab's own directories in place of :data:`SHARED_DIRS`, in the lab's *root*.

    A command's paths under them are rewritten to the lab's before it runs, and the lab's
    back in what it prints, so pages and records show the usual paths. They live as long as
    the root (a test's, kept across its builds: the replay cache resumes a session in the
    directory an earlier build left it in).
    """

    def __init__(self, root: Path) -> None:
        self.own = {shared: root / Path(shared).name for shared in SHARED_DIRS}
        for path in self.own.values():
            path.mkdir(parents=True, exist_ok=True)
        alternatives = "|".join(map(re.escape, SHARED_DIRS))
        self._shared = re.compile(rf"(?:{alternatives})(?![\w.-])")

    def inward(self, command: str) -> str:
        """*command* with the shared directories' paths pointing at the lab's."""
        return self._shared.sub(lambda match: str(self.own[match.group()]), command)

    def outward(self, text: str) -> str:
        """*text* (a command's output) with the lab's directories named as the shared ones."""
        for shared, own in self.own.items():
            text = text.replace(str(own), shared)
        return text

    def file(self, path: str) -> Path:
        """Where ``put_file`` writes *path*: in the lab's :data:`SCRATCH_FILES`."""
        target = Path(path)
        if SCRATCH_FILES not in target.parents:
            raise PermissionError(f"the local test double only writes under {SCRATCH_FILES}")
        return self.own[str(SCRATCH_FILES)] / target.relative_to(SCRATCH_FILES)


class LocalShell:
    """A long-lived local bash fed one command at a time (sentinel framing, no timing)."""

    def __init__(self, cwd: Path, name: str, dirs: LabDirs) -> None:
        self.cwd = cwd
        self.name = name
        self.dirs = dirs
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.cwd),
               "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=self.cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        """Run *command*; on timeout kill the shell's group and start afresh."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        marker = "__dd_" + secrets.token_hex(8)
        sent = self.dirs.inward(command)
        script = (f"eval \"$(cat <<'{marker}'\n{sent}\n{marker}\n)\" </dev/null\n"
                  f"__dd_s=$?; echo; echo {marker} $__dd_s\n")
        started = time.monotonic()
        self.proc.stdin.write(script.encode())
        self.proc.stdin.flush()
        out = b""
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = started + timeout
        end = f"\n{marker} ".encode()
        while end not in out or not out.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                self.close()
                return CommandResult(command, 124, "", "timed out; session restarted",
                                     time.monotonic() - started, True)
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                self.close()
                return CommandResult(command, 255, self.dirs.outward(out.decode()), "shell exited",
                                     time.monotonic() - started)
            out += chunk
        body, _, tail = out.rpartition(end)
        status = int(tail.split()[0])
        text = self.dirs.outward(body.decode("utf-8", "replace"))
        return CommandResult(command, status, text, "", time.monotonic() - started)

    def close(self) -> None:
        """Kill the shell's process group."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


class LocalHost:
    """One host of the double: a scratch directory and local bash."""

    def __init__(self, name: str, root: Path, dirs: LabDirs) -> None:
        self.name = name
        self.root = root
        self.dirs = dirs
        root.mkdir(parents=True, exist_ok=True)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        started = time.monotonic()
        try:
            proc = subprocess.run(["bash", "-c", self.dirs.inward(command)], cwd=self.root,
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return CommandResult(command, 124, "", "timed out", timeout or 0, True)
        return CommandResult(command, proc.returncode, self.dirs.outward(proc.stdout),
                             self.dirs.outward(proc.stderr), time.monotonic() - started)

    def shell_argv(self) -> list[str]:
        return ["bash", "--noprofile", "--norc"]

    def put_file(self, path: str, data: bytes, owner: str = "root:root",
                 mode: int = 0o644) -> None:
        # The hosts of a lab share its directory, and a multi-host lab-file writes on them
        # at once: each write needs a temp file of its own (a unique name).
        write_atomically(self.dirs.file(path), data, mode)

    def info(self) -> HostInfo:
        return HostInfo(self.name, "127.0.0.1", os="local test double")


class LocalTransportLab:
    """The ``Lab`` facade over :class:`LocalHost` (see the module docstring)."""

    backend = "local-test-double"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes = ["node1", "node2", "node3"]
        self.dirs = LabDirs(root)
        self.hosts = {n: LocalHost(n, root / n, self.dirs) for n in [*self.nodes, "workstation"]}
        self.sessions: dict[tuple[str, str], LocalShell] = {}

    def session(self, host: str, name: str = "default") -> LocalShell:
        if (host, name) not in self.sessions:
            self.sessions[(host, name)] = LocalShell(self.hosts[host].root, name, self.dirs)
        return self.sessions[(host, name)]

    def tools(self, host: str) -> dict[str, str]:
        return {}

    def fingerprint(self) -> dict[str, object]:
        return {"backend": self.backend, "os": "local test double", "tools": {}}

    def _log(self, line: str) -> None:
        with (self.root / "faults.log").open("a") as log:
            log.write(line + "\n")

    def fault(self, host: str, action: str) -> None:
        self._log(f"fault {host} {action}")

    def heal(self, host: str, action: str) -> None:
        self._log(f"heal {host} {action}")

    def close(self) -> None:
        for shell in self.sessions.values():
            shell.close()


def open_local_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                   progress: object = None) -> LocalTransportLab:
    """Factory for ``deploydocs_lab = "tests.ext.local_lab:open_local_lab"``.

    The scratch root comes from ``DEPLOYDOCS_LOCAL_LAB_ROOT``.
    """
    return LocalTransportLab(Path(os.environ["DEPLOYDOCS_LOCAL_LAB_ROOT"]))
