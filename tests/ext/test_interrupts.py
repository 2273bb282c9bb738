"""Ctrl-C and deadlines in the teardown, against lab doubles (no docker, no sleeping).

The doubles signal their own process (``os.kill(os.getpid(), SIGINT)``) at the moment a
test needs an interrupt, and hang in ``Event.wait`` where a real heal or close would
wait on a starved machine: only the deadline's alarm or the interrupt ends them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest
from deploydocs.faults import FaultLedger
from deploydocs.interrupts import (
    DeadlineExceeded,
    ForcedTeardown,
    Interrupts,
    close_lab,
    deadline,
)

HANG = 30.0
"""How long a double hangs: far past every deadline the tests give."""


def _interrupt() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def _hang() -> None:
    threading.Event().wait(HANG)


@dataclass
class HealingLab:
    """A lab double whose heals hang, or interrupt the process, as told."""

    hang: set[str] = field(default_factory=set)
    interrupt: set[str] = field(default_factory=set)
    healed: list[str] = field(default_factory=list)

    def fault(self, host: str, action: str) -> None:
        """Break nothing."""

    def heal(self, host: str, action: str) -> None:
        if host in self.interrupt:
            _interrupt()
        if host in self.hang:
            _hang()
        self.healed.append(host)


def _broken(ledger: FaultLedger, *hosts: str) -> None:
    for host in hosts:
        ledger.apply(host, "stop", "test")


def test_deadline_cuts_a_blocking_wait_short_and_restores_the_alarm() -> None:
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with (pytest.raises(DeadlineExceeded, match=r"the wait did not finish within 0\.2 s"),
          deadline(0.2, "the wait")):
        _hang()
    assert time.monotonic() - started < HANG / 2
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_first_interrupt_unwinds_and_one_during_the_teardown_forces_it() -> None:
    lines: list[str] = []
    before = signal.getsignal(signal.SIGINT)
    with Interrupts(lines.append) as interrupts:
        with pytest.raises(KeyboardInterrupt) as first:
            _interrupt()
        assert not isinstance(first.value, ForcedTeardown)
        with pytest.raises(ForcedTeardown), interrupts.teardown():
            _interrupt()
    assert interrupts.received == ["SIGINT", "SIGINT"] and interrupts.forced
    assert signal.getsignal(signal.SIGINT) is before


def test_sigint_interrupts_even_a_process_that_started_with_sigint_ignored() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `make test &` in a script
    try:
        with pytest.raises(KeyboardInterrupt), Interrupts(lambda line: None):
            _interrupt()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_heals_share_one_deadline_a_hung_heal_fails_and_the_rest_are_skipped() -> None:
    lab = HealingLab(hang={"node2"})
    log: list[str] = []
    with pytest.raises(KeyboardInterrupt), FaultLedger(lab, lambda line: None, log,
                                                       heal_deadline=0.5) as ledger:
        _broken(ledger, "node1", "node2", "node3")
        _interrupt()
    assert lab.healed == ["node3"]
    assert log[0] == "heal stop on node3 (teardown)"
    assert log[1] == ("heal stop on node2 FAILED (teardown): cut short: "
                      "the heals' 0.5 s deadline had passed")
    assert log[2] == "heal stop on node1 skipped (the heals' 0.5 s deadline had passed)"


def test_a_second_interrupt_during_a_heal_skips_it_and_every_heal_after_it() -> None:
    lab = HealingLab(interrupt={"node2"}, hang={"node2"})
    log: list[str] = []
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), FaultLedger(lab, lambda line: None, log,
                                                       heal_deadline=HANG) as ledger:
        _broken(ledger, "node1", "node2", "node3")
        _interrupt()
    assert lab.healed == ["node3"]
    assert log == ["heal stop on node3 (teardown)",
                   "heal stop on node2 skipped (teardown forced)",
                   "heal stop on node1 skipped (teardown forced)"]
    assert signal.getsignal(signal.SIGINT) is before


@dataclass
class ClosingLab:
    """A lab double whose normal close hangs or interrupts; the forced one may too."""

    hang: bool = False
    interrupt: bool = False
    forced_interrupts: bool = False
    closes: list[str] = field(default_factory=list)

    def close(self, force: bool = False) -> None:
        self.closes.append("forced" if force else "normal")
        if force and self.forced_interrupts:
            _interrupt()
            _hang()
        if not force and self.interrupt:
            _interrupt()
        if not force and self.hang:
            _hang()


def _close(lab: ClosingLab, seconds: float = HANG, forced: bool = False) -> list[str]:
    lines: list[str] = []
    with Interrupts(lines.append) as interrupts:
        interrupts.forced = forced
        close_lab(lab, interrupts, lines.append, seconds)
    return lines


def test_an_interrupt_during_the_close_closes_the_lab_at_once_and_says_so() -> None:
    lab = ClosingLab(interrupt=True, hang=True)
    lines = _close(lab)
    assert lab.closes == ["normal", "forced"]
    assert lines[0].startswith("teardown forced (interrupted again)"), lines
    assert lines[-1] == "teardown forced: the lab is closed"


def test_a_forced_teardown_closes_at_once_and_a_close_past_its_deadline_is_forced() -> None:
    forced = ClosingLab()
    assert _close(forced, forced=True) == ["teardown forced: the lab is closed"]
    assert forced.closes == ["forced"]
    late = ClosingLab(hang=True)
    lines = _close(late, seconds=0.3)
    assert late.closes == ["normal", "forced"]
    assert "the teardown (closing the lab) did not finish within 0.3 s" in lines[0], lines


def test_an_interrupt_during_the_forced_close_gives_up_and_names_lab_reap() -> None:
    lab = ClosingLab(interrupt=True, forced_interrupts=True)
    lines = _close(lab)
    assert lab.closes == ["normal", "forced"]
    assert lines[-1].startswith("teardown abandoned (interrupted again): "
                                "`python -m tools lab reap`"), lines


def test_a_lab_whose_close_takes_no_force_is_closed_plainly_when_forced() -> None:
    closed: list[str] = []

    class PlainLab:
        def close(self) -> None:
            closed.append("plain")

    lines: list[str] = []
    with Interrupts(lines.append) as interrupts:
        interrupts.forced = True
        close_lab(PlainLab(), interrupts, lines.append, HANG)
    assert closed == ["plain"]
    assert lines == ["teardown forced: the lab is closed"]
