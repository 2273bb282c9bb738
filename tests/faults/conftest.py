"""Helpers of the fault tests: copies of their small projects, builds as subprocesses, polls.

Each build runs ``sphinx-build`` in its own process (so a test can signal or kill it) against
a docker lab named after the test process (``deploydocs.lab-t<pid>-faults<n>``), never a lab
someone else uses. Lab tests FAIL (never skip) under ``CI=true`` when the lab cannot start.

``--burn-cpu[=N]`` (or ``DEPLOYDOCS_BURN_CPU=N``) keeps N cores busy for the whole session
(:mod:`tests.faults.burner`), to run these tests as a loaded machine would; without it
nothing is started.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults.burner import CpuBurner, burn_count

REPO = Path(__file__).resolve().parents[2]
ROOTS = Path(__file__).resolve().parent / "roots"
EPHEMERAL_SPEC = "tests.faults.ephemeral_lab:open_ephemeral_lab"
LOCAL_SPEC = "tests.ext.local_lab:open_local_lab"
_counter = itertools.count()


def poll(condition: Callable[[], object], deadline: float, what: str,
         interval: float = 0.2) -> object:
    """Call *condition* until it returns something true; fail after *deadline* seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(interval)


def copy_root(name: str, tmp_path: Path) -> Path:
    """A fresh copy of ``tests/faults/roots/<name>`` (with the shared conf) under *tmp_path*."""
    dest = tmp_path / "roots"
    dest.mkdir(exist_ok=True)
    shutil.copy(ROOTS / "conf_common.py", dest / "conf_common.py")
    shutil.copytree(ROOTS / name, dest / name)
    return dest / name


def build_env(mode: str, lab: str, **extra: str) -> dict[str, str]:
    """Environment of a build of a fault project."""
    return {**os.environ, "DEPLOYDOCS_MODE": mode, "DEPLOYDOCS_LAB": lab,
            "DEPLOYDOCS_REPO": str(REPO), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            **extra}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_build(srcdir: Path, env: dict[str, str], options: Sequence[str] = (),
                sigint_ignored: bool = False) -> subprocess.Popen[str]:
    """Start ``sphinx-build`` on *srcdir* into ``<srcdir>/../out`` in a process of its own
    (*options*: more arguments, such as ``-D name=value``). With *sigint_ignored*, the
    build starts with SIGINT ignored, as the jobs a script starts with ``&`` do."""
    out = srcdir.parent / "out"
    return subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-b", "html", *options, str(srcdir),
         str(out / "html"), "-d", str(out / "doctrees")],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_ignore_sigint if sigint_ignored else None)


@contextmanager
def verify_build(root: str, tmp_path: Path, lab: str, ready: Callable[[], object],
                 what: str, options: Sequence[str] = (), sigint_ignored: bool = False,
                 **env: str) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A verify build of ``roots/<root>`` (copied under *tmp_path*) on the ephemeral lab
    *lab*: yields its source and process once *ready* (or the build has ended) and kills the
    build on the way out if it still runs. *options*, *sigint_ignored* and *env* go to the
    build (:func:`start_build`)."""
    src = copy_root(root, tmp_path)
    proc = start_build(src, build_env("verify", EPHEMERAL_SPEC, DEPLOYDOCS_FAULT_LAB=lab,
                                      **env), options, sigint_ignored)
    try:
        poll(lambda: proc.poll() is not None or ready(), 300, what)
        yield src, proc
    finally:
        if proc.poll() is None:
            proc.kill()


class Output:
    """Everything a build prints, collected as it comes by a thread of its own, so a test
    can wait for a line while the build runs (then read :meth:`text`)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self._stream = proc.stdout
        self._lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self._lines.append(line)

    def text(self) -> str:
        """What was printed so far."""
        return "".join(self._lines)

    def wait_closed(self, timeout: float) -> str:
        """Wait until the build's output ends (it exited); all of it."""
        self._thread.join(timeout)
        return self.text()


def lab_resources(name: str) -> list[str]:
    """Names of the containers, networks and volumes labelled with lab *name*."""
    import docker

    from tools.lab.backends.docker.reap import labelled
    from tools.lab.base import LAB_LABEL

    found = labelled(docker.from_env(), {LAB_LABEL: name})
    return [f"{kind} {res_name}" for kind, items in found.items() for _id, res_name, _ in items]


def in_node(lab: str, node: str, command: str) -> subprocess.CompletedProcess[str]:
    """Run *command* in a node container with ``docker exec`` (the test's own view)."""
    return subprocess.run(["docker", "exec", f"{lab}-{node}", "bash", "-c", command],
                          capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="session")
def docker_available() -> None:
    """The docker daemon answers and the lab image can be built; else skip (FAIL under CI)."""
    try:
        from tools.lab.backends.docker import connect

        connect()
    except Exception as error:  # any reason the lab cannot start
        if os.environ.get("CI") == "true":
            pytest.fail(f"the docker lab cannot start under CI: {error}")
        pytest.skip(f"the docker lab cannot start: {error}")


@pytest.fixture()
def fault_lab(docker_available: None) -> Iterator[str]:
    """A lab name private to this test; whatever is left of it is removed afterwards."""
    name = f"deploydocs.lab-t{os.getpid()}-faults{next(_counter)}"
    yield name
    subprocess.run([sys.executable, "-m", "tools", "lab", "down", "--name", name],
                   cwd=REPO, capture_output=True)


@pytest.fixture(scope="session", autouse=True)
def cpu_burner(request: pytest.FixtureRequest) -> Iterator[CpuBurner | None]:
    """Busy processes on every core (or N) for the whole session, when asked for with
    ``--burn-cpu[=N]`` or ``DEPLOYDOCS_BURN_CPU=N``; otherwise nothing runs (None)."""
    count = burn_count(request.config.getoption("--burn-cpu", None))
    if count is None:
        yield None
        return
    with CpuBurner(count) as burner:
        print(f"\ncpu_burner: {burner.count} busy processes, pids "
              f"{' '.join(map(str, burner.pids))}", file=sys.stderr)
        yield burner
        still = burner.running()
        assert len(still) == burner.count, f"burners ended early: {still} of {burner.pids}"
