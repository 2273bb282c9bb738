"""``python -m tools vagga write``: refuses to clobber an edited vagga.yaml; --diff, --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.helpers import assert_bad_name_rejected
from tools.cli import main
from tools.vagga import validate_vagga


def write(out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["vagga", "write", "--out", str(out), *args])


def test_write_refuses_an_edited_vagga_yaml_until_forced(tmp_path: Path) -> None:
    assert write(tmp_path).exit_code == 0
    path = tmp_path / "vagga.yaml"
    edited = path.read_text() + "# my note\n"
    path.write_text(edited)
    refused = write(tmp_path)
    assert refused.exit_code == 1
    assert "refusing to overwrite 1 file whose content differs" in refused.output
    assert str(path) in refused.output and path.read_text() == edited
    diff = write(tmp_path, "--diff")
    assert diff.exit_code == 1 and "-# my note" in diff.output.splitlines()
    dry = write(tmp_path, "--dry-run")
    assert dry.exit_code == 1 and f"changed    {path}" in dry.output
    assert path.read_text() == edited
    forced = write(tmp_path, "--force")
    assert (forced.exit_code, forced.output) == (0, f"{path}\n")
    assert validate_vagga(path) == []
    same = write(tmp_path, "--diff")
    assert (same.exit_code, same.output) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vagga.yaml"]


def test_write_dry_run_on_an_empty_directory_writes_nothing(tmp_path: Path) -> None:
    result = write(tmp_path / "project", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"new        {tmp_path / 'project/vagga.yaml'}",
        "dry run: 1 new, 0 changed, 0 unchanged; nothing written"]
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(("args", "option"), [
    (["--project", "my-site"], "'--project'"),
    (["--dev", ".hidden"], "'--dev'"),
    (["--deploy", "a/b"], "'--deploy'"),
    (["--dev", "same", "--deploy", "same"], "'--deploy'"),
])
def test_write_rejects_bad_names_naming_the_option(tmp_path: Path, args: list[str],
                                                   option: str) -> None:
    assert_bad_name_rejected(["vagga", "write"], tmp_path / "project", args, option)


def test_write_refuses_an_unknown_ubuntu_base_and_lists_the_known(tmp_path: Path) -> None:
    result = write(tmp_path, "--base", "bogus")
    assert result.exit_code == 2, result.output
    assert "'bogus' is not one of" in result.output and "'jammy'" in result.output
    assert not (tmp_path / "vagga.yaml").exists()
    assert write(tmp_path, "--base", "noble").exit_code == 0
    assert "!Ubuntu noble" in (tmp_path / "vagga.yaml").read_text()
