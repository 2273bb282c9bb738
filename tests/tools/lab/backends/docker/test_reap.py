"""Reaping a dead test run's lab takes its workstation's files too (and nobody else's)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tools.lab import workstation
from tools.lab.backends.docker import connect
from tools.lab.backends.docker.reap import reap_lab


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_dead_test_runs_lab_loses_its_scratch_dir_a_live_ones_keeps_it(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    dead = f"deploydocs.lab-t{_dead_pid()}-gone"
    live = f"deploydocs.lab-t{os.getpid()}-here"
    for name in (dead, live):
        (workstation.scratch_dir(name) / "build").mkdir(parents=True)
    client = connect()
    assert reap_lab(client, dead) == [f"workstation files {workstation.scratch_dir(dead)}"]
    assert not workstation.scratch_dir(dead).exists()
    assert reap_lab(client, live) == []
    assert (workstation.scratch_dir(live) / "build").is_dir()
