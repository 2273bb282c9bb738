"""``python -m tools verwalter scaffold`` writes a tree the validator accepts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tools.cli import main
from tools.validate import validate_path


def test_scaffold_writes_a_valid_tree_with_the_runtime_version(tmp_path: Path) -> None:
    out = tmp_path / "verwalter"
    result = CliRunner().invoke(main, ["verwalter", "scaffold", "--out", str(out),
                                       "--image", "hello-deploy.6965d2e4", "--version", "v2"])
    assert result.exit_code == 0, result.output
    assert str(out / "scheduler/v1/main.lua") in result.output.splitlines()
    assert "hello-deploy.6965d2e4" in (out / "runtime/django/v2.yaml").read_text()
    assert validate_path(out, kind="verwalter-tree") == []


def test_scaffold_without_an_image_leaves_runtime_empty(tmp_path: Path) -> None:
    out = tmp_path / "verwalter"
    result = CliRunner().invoke(main, ["verwalter", "scaffold", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list((out / "runtime/django").iterdir()) == []
