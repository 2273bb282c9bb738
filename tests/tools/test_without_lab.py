"""A copy of ``tools/`` without ``lab/`` (an operator's, for real machines): the machine
commands still act on an inventory's hosts, and what needs the lab says it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.unreachable import write_unreachable_inventory

TOOLS = Path(__file__).resolve().parents[2] / "tools"
COPY = "ops_tools"
"""The copy's package name: not ``tools``, which this checkout's editable install maps
(submodules included) to the checkout's own ``tools/``, lab and all."""
ENVIRONMENT = 3
"""The exit code of an environment error (:class:`tools.errors.ExitCode`)."""


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``tools/`` copied as :data:`COPY` without ``lab/`` (nor
    bytecode): its imports are relative, so it works under any name."""
    root = tmp_path_factory.mktemp("without-lab")
    shutil.copytree(TOOLS, root / COPY,
                    ignore=shutil.ignore_patterns("lab", "__pycache__", "*.egg-info"))
    return root


def run(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ops_tools ARGS`` in *copy*, with none of the lab's variables set."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DEPLOYDOCS_", "PYTHON"))}
    return subprocess.run([sys.executable, "-m", COPY, *args], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_copy_has_no_lab(copy: Path) -> None:
    assert not (copy / COPY / "lab").exists()
    result = run(copy, "--help")
    assert result.returncode == 0, result.stderr


def test_an_inventory_target_works_without_the_lab(copy: Path, tmp_path: Path) -> None:
    inventory = write_unreachable_inventory(tmp_path)
    result = run(copy, "machine-id", "check-cluster", "--inventory", str(inventory))
    assert result.returncode == ENVIRONMENT, result.stderr
    assert "cannot reach node1, node2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "said"), [
    (["machine-id", "check-cluster", "--backend", "docker"],
     "error: the lab is not part of this copy of tools"),
    (["lab", "status"], "error: the lab commands are not part of this copy of tools"),
])
def test_what_needs_the_lab_says_it_is_not_in_this_copy(copy: Path, args: list[str],
                                                        said: str) -> None:
    result = run(copy, *args)
    assert result.returncode == ENVIRONMENT, result.stderr
    assert said in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
