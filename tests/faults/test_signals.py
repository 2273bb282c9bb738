"""Signals during a verify build: teardown runs and the lab's resources go; SIGKILL → reap."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.conftest import REPO, in_node, lab_resources, verify_build

pytestmark = pytest.mark.lab


def _sleeper_running(lab: str) -> bool:
    return in_node(lab, "node1", "pgrep -fx 'sleep 300' >/dev/null").returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_block_heals_tears_down_and_leaves_no_lab_resource(
        tmp_path: Path, fault_lab: str, signum: signal.Signals) -> None:
    with verify_build("signals", tmp_path, fault_lab, lambda: _sleeper_running(fault_lab),
                      "the long block to run on node1") as (_, proc):
        assert proc.poll() is None, proc.communicate()[0]
        assert lab_resources(fault_lab), "the lab should be up while the block runs"
        proc.send_signal(signum)
        output, _ = proc.communicate(timeout=180)
    assert proc.returncode != 0, output
    assert "heal stop on node3 (teardown)" in output, output
    assert lab_resources(fault_lab) == []


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
