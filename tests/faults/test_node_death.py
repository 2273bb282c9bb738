"""A node that dies in the middle of a page that does not expect it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.faults.conftest import in_node, lab_resources, verify_build

pytestmark = pytest.mark.lab


def test_blocks_of_a_node_stopped_mid_block_fail_with_a_reason_and_the_build_ends(
        tmp_path: Path, fault_lab: str) -> None:
    def sleeper_running() -> bool:
        return in_node(fault_lab, "node2", "pgrep -fx 'sleep 5' >/dev/null").returncode == 0

    with verify_build("nodedeath", tmp_path, fault_lab, sleeper_running,
                      "the sleeping block to run on node2") as (src, proc):
        assert proc.poll() is None, proc.communicate()[0]
        subprocess.run(["docker", "stop", "-t", "0", f"{fault_lab}-node2"], check=True,
                       capture_output=True, timeout=60)
        output, _ = proc.communicate(timeout=300)  # the guard against a hang
    assert proc.returncode == 0, output  # failures are warnings; no -W here
    blocks = sorted(json.loads((src / "_verified" / "index.json").read_text())["blocks"].values(),
                    key=lambda block: block["lineno"])
    sleeper, node2_after, node1_after = blocks
    assert sleeper["status"] == "failed", sleeper
    assert sleeper["reason"].strip(), sleeper
    assert node2_after["status"] == "not run", node2_after
    assert "earlier block failed" in node2_after["reason"], node2_after
    assert node1_after["status"] == "passed", node1_after
    assert re.search(r"index\.rst:\d+: WARNING: .*node2", output), output
    assert lab_resources(fault_lab) == []  # teardown ran: the ephemeral lab went down
