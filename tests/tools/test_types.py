"""The tools package type-checks: ``mypy tools`` with the ``[tool.mypy]`` settings of the
repository's pyproject.toml (strict for ``tools.lab``) finds nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_error_in_tools() -> None:
    pytest.importorskip("mypy", reason="mypy is pinned in the test extra")
    cache = REPO / "_build" / "mypy_cache"  # _build is ignored by git and by Sphinx
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(cache), "tools"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success: no issues found"), checked.stdout
