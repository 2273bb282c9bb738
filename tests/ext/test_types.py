"""The Sphinx extension type-checks: ``mypy _ext/deploydocs`` with the ``[tool.mypy]``
settings of the repository's pyproject.toml (strict for ``deploydocs``) finds nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_error_in_the_extension() -> None:
    pytest.importorskip("mypy", reason="mypy is pinned in the test extra")
    cache = REPO / "_build" / "mypy_cache_ext"  # _build is ignored by git and by Sphinx
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(cache), "_ext/deploydocs"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success: no issues found"), checked.stdout
