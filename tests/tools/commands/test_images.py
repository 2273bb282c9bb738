"""``python -m tools images``: where ``build`` writes by default, and ``prune --dry-run``
on a target's machines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.cli import main
from tools.commands import images as command
from tools.hosts import LocalHost


def test_the_state_dir_is_the_variable_else_xdg_else_home(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.delenv("DEPLOYDOCS_STATE_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert command.default_build_out() == tmp_path / "home/.local/state/deploydocs/images"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert command.default_build_out() == tmp_path / "xdg/deploydocs/images"
    monkeypatch.setenv("DEPLOYDOCS_STATE_DIR", str(tmp_path / "mine"))
    assert command.default_build_out() == tmp_path / "mine/images"


def test_build_writes_nothing_into_the_current_directory_by_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []

    def build_image(_recipe, out_dir, _cache, progress):  # type: ignore[no-untyped-def]
        seen.append(out_dir)
        raise command.images.ImageError("stopped here by the test")

    app = tmp_path / "app"
    (app / "config").mkdir(parents=True)
    (app / "requirements.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEPLOYDOCS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(command.images, "build_image", build_image)
    result = CliRunner().invoke(main, ["images", "build", str(app), "--container", "app"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "error: stopped here by the test\n"
    assert seen == [tmp_path / "state" / "images"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]
    shown = CliRunner().invoke(main, ["images", "build", "--help"])
    assert "$XDG_STATE_HOME/deploydocs/images" in shown.output


def test_prune_dry_run_on_nodes_removes_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:

    image_dir = tmp_path / "images"
    for name in ("app.1", "app.2", "app.3"):
        (image_dir / name).mkdir(parents=True)
    targets = [LocalHost("node1")]
    monkeypatch.setattr(command, "_targets", lambda *_args: targets)
    result = CliRunner().invoke(main, ["images", "prune", "--image-dir", str(image_dir),
                                       "--keep", "1", "--dry-run", "--backend", "docker"])
    assert result.exit_code == 0, result.output
    assert "would remove" in result.output
    assert sorted(p.name for p in image_dir.iterdir()) == ["app.1", "app.2", "app.3"]
