"""``python -m tools verwalter scaffold`` writes a tree the validator accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.helpers import assert_bad_name_rejected
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


def scaffold(out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["verwalter", "scaffold", "--out", str(out), *args])


def test_scaffold_refuses_to_overwrite_an_edited_scheduler(tmp_path: Path) -> None:
    out = tmp_path / "verwalter"
    assert scaffold(out, "--image", "hello-deploy.6965d2e4").exit_code == 0
    main_lua = out / "scheduler/v1/main.lua"
    edited = main_lua.read_text() + "-- my tuning\n"
    main_lua.write_text(edited)
    refused = scaffold(out, "--image", "hello-deploy.6965d2e4")
    assert refused.exit_code == 1
    assert "refusing to overwrite 1 file whose content differs" in refused.output
    assert str(main_lua) in refused.output
    assert main_lua.read_text() == edited
    diff = scaffold(out, "--image", "hello-deploy.6965d2e4", "--diff")
    assert diff.exit_code == 1 and "--- my tuning" in diff.output.splitlines()
    dry = scaffold(out, "--image", "hello-deploy.6965d2e4", "--instances", "2", "--dry-run")
    assert dry.exit_code == 1
    assert f"changed    {main_lua} (differs: refused without --force)" in dry.output
    assert f"changed    {out / 'runtime/django/v1.yaml'}" in dry.output
    assert "instances: 1" in (out / "runtime/django/v1.yaml").read_text()
    forced = scaffold(out, "--image", "hello-deploy.6965d2e4", "--force")
    assert forced.exit_code == 0, forced.output
    assert "-- my tuning" not in main_lua.read_text()
    assert validate_path(out, kind="verwalter-tree") == []


def test_scaffold_dry_run_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "verwalter"
    result = scaffold(out, "--role", "hello", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"new        {out / 'templates/hello/v1/lithos.render.yaml'}" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("args", "option"), [
    (["--role", "my.role"], "'--role'"),
    (["--role", "a b"], "'--role'"),
    (["--image", "../escape"], "'--image'"),
    (["--image", "a.1", "--version", "v1/x"], "'--version'"),
    (["--config", "config/web.yaml"], "'--config'"),
])
def test_scaffold_rejects_bad_names_naming_the_option(tmp_path: Path, args: list[str],
                                                      option: str) -> None:
    assert_bad_name_rejected(["verwalter", "scaffold"], tmp_path / "verwalter", args, option)
