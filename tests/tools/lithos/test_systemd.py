"""The lithos_tree unit, verified by the real systemd-analyze."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.lithos.systemd import UNIT_NAME, lithos_tree_unit

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def verify(unit_text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    if SYSTEMD_ANALYZE is None:
        pytest.fail("systemd-analyze is missing: install the Debian package 'systemd'")
    path = directory / UNIT_NAME
    path.write_text(unit_text)
    return subprocess.run([SYSTEMD_ANALYZE, "verify", str(path)], capture_output=True,
                          text=True, check=False)


def complaints(result: subprocess.CompletedProcess[str], binary: Path) -> list[str]:
    """systemd-analyze's complaints, except the one about lithos_tree not being installed."""
    return [line for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and f"Command {binary} is not executable" not in line]


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = verify(lithos_tree_unit(), tmp_path)
    assert complaints(result, Path("/usr/bin/lithos_tree")) == []


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    broken = lithos_tree_unit().replace("Restart=always", "Restart=sometimes")
    result = verify(broken, tmp_path)
    assert complaints(result, Path("/usr/bin/lithos_tree")) != []


def test_the_unit_verifies_cleanly_against_real_lithos(tmp_path: Path, lithos_bin: Path) -> None:
    result = verify(lithos_tree_unit(bin_dir=str(lithos_bin)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_unit_command_prints_the_unit() -> None:
    result = subprocess.run([sys.executable, "-m", "tools", "lithos", "unit", "--bin-dir",
                             "/opt/lithos"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    text = result.stdout
    assert text == lithos_tree_unit("/opt/lithos")
    assert "ExecStart=/opt/lithos/lithos_tree --config /etc/lithos/master.yaml" in text
    assert "KillMode=process" in text and "ExecReload=/bin/kill -QUIT $MAINPID" in text
