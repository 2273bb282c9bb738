"""The fault ledger: every fault applied is healed, whatever happens to the run.

Used as a context manager around the run's loop. Faults are registered before
they are applied (a fault that half-happened is still healed); on leaving the
``with`` block, normally, on an error, on Ctrl-C or on SIGTERM (turned into
``KeyboardInterrupt`` while the ledger is open, by :mod:`deploydocs.interrupts`),
every fault still pending is healed, newest first, all within one deadline
(``heal_deadline``). A heal cut short by it fails; the heals after it are skipped,
and so are they all once the teardown is forced (Ctrl-C again): the log says which.

With the cache on, a fault is *deferred*: applied just before the next block
that really runs, so a build whose blocks all come from the cache breaks
nothing; a heal of a fault that was never applied does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from deploydocs.interrupts import DeadlineExceeded, ForcedTeardown, Interrupts, deadline
from deploydocs.steps import Step

HEAL_DEADLINE = 60.0
"""Seconds all the heals of a teardown may take together, unless told otherwise."""


class FaultLedger:
    """Faults applied, faults deferred, and the heals done (with why).

    :param log: where each heal (or heal skipped) is appended, for the log and tests.
    :param heal_deadline: seconds the teardown's heals may take, all together.
    """

    def __init__(self, lab: Any, progress: Callable[[str], None], log: list[str],
                 heal_deadline: float = HEAL_DEADLINE) -> None:
        self.lab = lab
        self.progress = progress
        self.log = log
        self.heal_deadline = heal_deadline
        self.pending: list[tuple[str, str]] = []
        self.deferred: list[Step] = []
        self._interrupts: Interrupts | None = None
        self._own_interrupts = False

    def __enter__(self) -> FaultLedger:
        # The build's interrupt handling (deploydocs.phase) when there is one; else the
        # ledger's own, so SIGTERM (CI cancelling a job) unwinds like Ctrl-C and heals.
        found = Interrupts.current()
        self._own_interrupts = found is None
        self._interrupts = Interrupts(self.progress) if found is None else found
        if self._own_interrupts:
            self._interrupts.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        interrupts = self._interrupts or Interrupts(self.progress)
        try:
            self.deferred.clear()
            todo, self.pending = list(reversed(self.pending)), []
            with interrupts.teardown():
                if todo and isinstance(error, KeyboardInterrupt):
                    count = len(todo)
                    self.progress(f"interrupted: healing {count} fault{'s' * (count != 1)} "
                                  f"(within {self.heal_deadline:g} s); interrupt again to "
                                  "force the teardown")
                self._heal_all(todo, interrupts)
        finally:
            if self._own_interrupts:
                interrupts.__exit__(None, None, None)

    def _heal_all(self, todo: list[tuple[str, str]], interrupts: Interrupts) -> None:
        """Heal *todo* in order within :attr:`heal_deadline`; log the heals not done."""
        end = time.monotonic() + self.heal_deadline
        why = ""
        try:
            while todo and not why:
                host, action = todo[0]
                remaining = end - time.monotonic()
                if interrupts.forced:
                    why = "teardown forced"
                elif remaining <= 0:
                    why = f"the heals' {self.heal_deadline:g} s deadline had passed"
                else:
                    try:
                        with deadline(remaining, f"heal {action} on {host}"):
                            self.heal(host, action, "teardown")
                    except DeadlineExceeded:
                        why = f"the heals' {self.heal_deadline:g} s deadline had passed"
                        self._failed(host, action, "teardown", f"cut short: {why}")
                    todo.pop(0)
        except ForcedTeardown:  # the heal cut short is skipped with the rest
            why = "teardown forced"
        for host, action in todo:
            self.log.append(f"heal {action} on {host} skipped ({why})")
            self.progress(f"heal {action} on {host} skipped ({why}): the node may stay "
                          "broken until `python -m tools lab down`")

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
            self._failed(host, action, why, error)
        return True

    def _failed(self, host: str, action: str, why: str, error: BaseException | str) -> None:
        self.log.append(f"heal {action} on {host} FAILED ({why}): {error}")
        self.progress(f"heal {action} on {host} failed ({why}): {error}")
