"""Busy processes that keep the machine's cores loaded while the fault tests run.

:class:`CpuBurner` starts one process per core (or as many as asked), each spinning in
a pure-Python loop, and stops them by their PIDs. Each also stops by itself once the
process that started it is gone, so a killed test run leaves no burner behind.

The fault tests use it through the ``--burn-cpu`` option or ``DEPLOYDOCS_BURN_CPU``
(``tests/faults/conftest.py``); by hand: ``python -m tests.faults.burner [N]`` burns
until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from types import TracebackType

# Spin; every million rounds, check that the parent still lives (else stop).
SPIN = (
    "import os\n"
    "parent = os.getppid()\n"
    "while os.getppid() == parent:\n"
    "    for _ in range(1_000_000):\n"
    "        pass\n"
)


class CpuBurner:
    """*count* busy processes (default: one per core), a context manager.

    :param count: how many processes; None or 0 means ``os.cpu_count()``.
    """

    def __init__(self, count: int | None = None) -> None:
        self.count = count or os.cpu_count() or 1
        self.pids: list[int] = []
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> CpuBurner:
        """Start the processes (their PIDs are in :attr:`pids`)."""
        for _ in range(self.count):
            proc = subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL)
            self._procs.append(proc)
            self.pids.append(proc.pid)
        return self

    def running(self) -> list[int]:
        """The PIDs of the processes still running."""
        return [proc.pid for proc in self._procs if proc.poll() is None]

    def stop(self) -> None:
        """Kill every process by its PID and reap it."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in self._procs:
            proc.wait(timeout=30)
        self._procs.clear()
        self.pids.clear()

    def __enter__(self) -> CpuBurner:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def burn_count(option: str | None, environ: dict[str, str] | None = None) -> int | None:
    """How many burners were asked for: ``--burn-cpu[=N]`` (*option*), else
    ``DEPLOYDOCS_BURN_CPU=N`` (``0``, empty or unset: none; a non-number: one per core).

    >>> burn_count("3"), burn_count("auto"), burn_count(None, {})
    (3, 0, None)
    >>> burn_count(None, {"DEPLOYDOCS_BURN_CPU": "2"})
    2
    """
    value = option if option is not None else (environ if environ is not None
                                               else os.environ).get("DEPLOYDOCS_BURN_CPU")
    if value is None or value.strip() in ("", "0"):
        return None
    return int(value) if value.strip().isdigit() else 0


def main() -> None:
    """Burn until Ctrl-C: ``python -m tests.faults.burner [N]``."""
    burner = CpuBurner(int(sys.argv[1]) if len(sys.argv) > 1 else None).start()
    print(f"burning with {burner.count} processes: {' '.join(map(str, burner.pids))}",
          flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        burner.stop()


if __name__ == "__main__":
    main()
