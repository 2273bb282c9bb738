"""Signals during a verify build: teardown runs and the lab's resources go; SIGKILL → reap.

A heal that hangs (``DEPLOYDOCS_FAULT_HOLD_HEAL``) stands for one on a starved machine:
its deadline ends it, and so does a second Ctrl-C, which forces the teardown.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.conftest import REPO, Output, in_node, lab_resources, poll, verify_build

pytestmark = pytest.mark.lab


def _sleeper_running(lab: str) -> bool:
    return in_node(lab, "node1", "pgrep -fx 'sleep 300' >/dev/null").returncode == 0


@pytest.mark.parametrize(("signum", "sigint_ignored"), [
    (signal.SIGINT, False), (signal.SIGTERM, False),
    # A build started by a job that a script put in the background (`make test &`) inherits
    # SIGINT ignored, and Python then installs no handler of its own for it.
    (signal.SIGINT, True)], ids=["SIGINT", "SIGTERM", "SIGINT-inherited-as-ignored"])
def test_a_signal_mid_block_heals_tears_down_and_leaves_no_lab_resource(
        tmp_path: Path, fault_lab: str, signum: signal.Signals, sigint_ignored: bool) -> None:
    with verify_build("signals", tmp_path, fault_lab, lambda: _sleeper_running(fault_lab),
                      "the long block to run on node1", sigint_ignored=sigint_ignored
                      ) as (_, proc):
        assert proc.poll() is None, proc.communicate()[0]
        assert lab_resources(fault_lab), "the lab should be up while the block runs"
        proc.send_signal(signum)
        output, _ = proc.communicate(timeout=180)
    assert proc.returncode != 0, output
    assert "heal stop on node3 (teardown)" in output, output
    assert lab_resources(fault_lab) == []


def _reap_what_is_left(lab: str, output: str) -> None:
    """No resource of *lab* is left, or ``lab reap`` (which the build named) removes it."""
    if lab_resources(lab):
        assert "lab reap" in output, output
        reap = subprocess.run([sys.executable, "-m", "tools", "lab", "reap"], cwd=REPO,
                              capture_output=True, text=True, timeout=300)
        assert reap.returncode == 0, reap.stderr
    assert lab_resources(lab) == []


def test_a_second_sigint_during_a_hung_heal_forces_the_teardown_at_once(
        tmp_path: Path, fault_lab: str) -> None:
    teardown = 30  # the forced close's own deadline
    with verify_build("signals", tmp_path, fault_lab, lambda: _sleeper_running(fault_lab),
                      "the long block to run on node1",
                      ["-D", f"deploydocs_teardown_deadline={teardown}"],
                      DEPLOYDOCS_FAULT_HOLD_HEAL="1") as (_, proc):
        assert proc.poll() is None, proc.communicate()[0]
        output = Output(proc)
        proc.send_signal(signal.SIGINT)
        poll(lambda: proc.poll() is not None or "holding heal stop on node3" in output.text(),
             120, "the teardown's heal of node3 to start")
        assert proc.poll() is None, output.text()
        proc.send_signal(signal.SIGINT)
        forced = time.monotonic()
        proc.wait(timeout=teardown + 30)  # the heal alone would hold it for an hour
        took = time.monotonic() - forced
        text = output.wait_closed(30)
    assert proc.returncode != 0, text
    assert "heal stop on node3 skipped (teardown forced)" in text, text
    assert "teardown forced" in text.split("heal stop on node3 skipped", 1)[1], text
    assert "heal stop on node3 (teardown)" not in text, text
    assert took < teardown + 30, f"{took:.0f} s after the second SIGINT"
    _reap_what_is_left(fault_lab, text)


def test_a_heal_that_hangs_after_sigint_fails_at_its_deadline_and_the_build_ends(
        tmp_path: Path, fault_lab: str) -> None:
    heal, teardown = 5, 60
    with verify_build("signals", tmp_path, fault_lab, lambda: _sleeper_running(fault_lab),
                      "the long block to run on node1",
                      ["-D", f"deploydocs_heal_deadline={heal}",
                       "-D", f"deploydocs_teardown_deadline={teardown}"],
                      DEPLOYDOCS_FAULT_HOLD_HEAL="1") as (_, proc):
        assert proc.poll() is None, proc.communicate()[0]
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=heal + teardown + 30)
    assert proc.returncode != 0, output
    assert "holding heal stop on node3" in output, output
    assert (f"heal stop on node3 failed (teardown): cut short: the heals' {heal} s deadline "
            "had passed") in output, output
    assert "teardown forced" not in output, output
    _reap_what_is_left(fault_lab, output)


def test_sigkill_during_lab_up_leaves_leftovers_that_lab_reap_removes(
        tmp_path: Path, fault_lab: str) -> None:
    with verify_build("signals", tmp_path, fault_lab, lambda: lab_resources(fault_lab),
                      "the build's lab up to create its first resource") as (_, proc):
        proc.kill()  # SIGKILL: no handler, no teardown
        proc.wait(timeout=30)
    assert lab_resources(fault_lab), "SIGKILL should have left the half-made lab behind"
    reap = subprocess.run([sys.executable, "-m", "tools", "lab", "reap"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert reap.returncode == 0, reap.stderr
    assert lab_resources(fault_lab) == []
