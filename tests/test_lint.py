"""ruff keeps the whole tree clean; the test suite fails when it does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_ruff_check_is_clean(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(repo_root)],
        capture_output=True, text=True, cwd=repo_root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
