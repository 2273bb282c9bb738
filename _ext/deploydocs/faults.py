"""The fault ledger: every fault applied is healed, whatever happens to the run.

Used as a context manager around the run's loop. Faults are registered before
they are applied (a fault that half-happened is still healed); on leaving the
``with`` block, normally, on an error, on Ctrl-C or on SIGTERM (turned into
``KeyboardInterrupt`` while the ledger is open), every fault still pending is
healed, newest first.

With the cache on, a fault is *deferred*: applied just before the next block
that really runs, so a build whose blocks all come from the cache breaks
nothing; a heal of a fault that was never applied does nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from deploydocs.steps import Step


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class FaultLedger:
    """Faults applied, faults deferred, and the heals done (with why).

    :param log: where each heal (or heal skipped) is appended, for the log and tests.
    """

    def __init__(self, lab: Any, progress: Callable[[str], None], log: list[str]) -> None:
        self.lab = lab
        self.progress = progress
        self.log = log
        self.pending: list[tuple[str, str]] = []
        self.deferred: list[Step] = []
        self._previous_handler: Any = None

    def __enter__(self) -> FaultLedger:
        self._previous_handler = None
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so the heals run.
            self._previous_handler = signal.signal(signal.SIGTERM, _terminate)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_handler)
        self.deferred.clear()
        for host, action in reversed(self.pending):
            self.heal(host, action, "teardown")
        self.pending.clear()

    def apply(self, host: str, action: str, where: str) -> None:
        """Break *host* now (registered first); lab errors propagate."""
        self.pending.append((host, action))
        self.lab.fault(host, action)
        self.progress(f"fault {action} on {host} ({where})")

    def defer(self, step: Step) -> None:
        """Keep a fault step for later (see :meth:`take_deferred`)."""
        self.deferred.append(step)

    def take_deferred(self) -> list[Step]:
        """The deferred fault steps, oldest first, to be executed now."""
        deferred, self.deferred = self.deferred, []
        return deferred

    def heal(self, host: str, action: str, why: str) -> bool:
        """Undo a fault; False when it was deferred and never applied."""
        for step in list(self.deferred):
            if (host, action) in step.effects:
                self.deferred.remove(step)
                self.log.append(f"heal {action} on {host} skipped ({why}): "
                                "the fault was never applied")
                self.progress(f"{step.block.location}: fault {action} on {host} not applied: "
                              "every block it covered came from the cache")
                return False
        if (host, action) in self.pending:
            self.pending.remove((host, action))
        try:
            self.lab.heal(host, action)
            self.log.append(f"heal {action} on {host} ({why})")
            self.progress(f"heal {action} on {host} ({why})")
        except Exception as error:  # teardown must try every heal
            self.log.append(f"heal {action} on {host} FAILED ({why}): {error}")
            self.progress(f"heal {action} on {host} failed ({why}): {error}")
        return True
