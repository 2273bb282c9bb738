"""The Lab object without a docker lab: faults are checked, the fingerprint covers the
workstation and the SHA-256 of each real tool's binary."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tools import probe
from tools.lab.lab import Lab
from tools.lab.workstation import Workstation

EXTRA = "deploydocs-lab-fp-extra"
"""An executable name no real tool has: the probe is pointed at it, no real tool is imitated."""


def _lab(tmp_path: Path, tools: Path | None = None) -> Lab:
    # Two local shells: one plays a node of an ssh-backend lab, one the workstation.
    hosts = {"node1": Workstation(tmp_path / "node1"),
             "workstation": Workstation(tmp_path / "ws", tools_dir=tools)}
    return Lab("ssh", hosts, ["node1"])  # type: ignore[arg-type]


def test_kill_without_a_pattern_is_refused(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    for method in (lab.fault, lab.heal):
        with pytest.raises(ValueError, match="needs a pattern"):
            method("node1", "kill:")


def test_faults_and_power_state_apply_to_nodes_only(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    with pytest.raises(ValueError, match="nodes only"):
        lab.fault("workstation", "stop")
    with pytest.raises(ValueError, match="not a node"):
        lab.is_running("workstation")
    with pytest.raises(KeyError, match="no host 'node7'"):
        lab.is_running("node7")
    assert lab.is_running("node1")  # the ssh backend cannot tell: running


def test_the_fingerprint_has_each_tools_sha256_on_nodes_and_workstation(
    tmp_path: Path, monkeypatch
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    binary = tools / EXTRA
    binary.write_text("#!/bin/sh\necho 'fp-extra 0.1.2'\n")
    binary.chmod(0o755)
    monkeypatch.setattr(probe, "REAL_TOOLS", (*probe.REAL_TOOLS, EXTRA))
    fingerprint = _lab(tmp_path, tools).fingerprint()
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    station = fingerprint["workstation"]
    assert set(station) == {"os", "tools", "sha256"}  # type: ignore[arg-type]
    assert station["tools"][EXTRA] == "fp-extra 0.1.2"  # type: ignore[index]
    assert station["sha256"][EXTRA] == digest  # type: ignore[index]
    node = fingerprint["nodes"]["node1"]  # type: ignore[index]
    # What the nodes have is installed by the pages: not part of where a run starts.
    assert set(node) == {"os", "machine_id"}  # type: ignore[arg-type]


def test_observed_lists_the_tools_a_node_has_now_with_their_sha256(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(probe, "REAL_TOOLS", (*probe.REAL_TOOLS, EXTRA))
    lab = _lab(tmp_path)
    assert EXTRA not in lab.observed()["node1"]["tools"]  # type: ignore[index]
    # A block installs the tool on the node: here, a directory on the local host's PATH.
    start = lab.fingerprint()
    node_bin = tmp_path / "node1-bin"
    node_bin.mkdir()
    binary = node_bin / EXTRA
    binary.write_text("#!/bin/sh\necho 'fp-extra 0.1.3'\n")
    binary.chmod(0o755)
    lab.hosts["node1"].tools_dir = node_bin  # type: ignore[attr-defined]
    seen = lab.observed()["node1"]
    assert seen["tools"][EXTRA] == "fp-extra 0.1.3"  # type: ignore[index]
    assert seen["sha256"][EXTRA] == hashlib.sha256(binary.read_bytes()).hexdigest()  # type: ignore[index]
    assert lab.fingerprint() == start  # the start fingerprint does not move
