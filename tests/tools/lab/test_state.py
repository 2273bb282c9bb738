"""What a lab's record says about its --tools-dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.lab.state import recorded_tools_dir, tools_dir_entry


def test_the_record_holds_the_absolute_tools_dir(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bin").mkdir()
    monkeypatch.chdir(tmp_path)
    assert tools_dir_entry(Path("bin")) == str(tmp_path / "bin")
    assert tools_dir_entry(None) is None
    with pytest.raises(ValueError, match="not a directory"):
        tools_dir_entry(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        tools_dir_entry(tmp_path / "file")


def test_a_recorded_tools_dir_is_used_only_while_it_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    assert recorded_tools_dir({"tools_dir": str(tmp_path / "bin")}) == tmp_path / "bin"
    assert recorded_tools_dir({"tools_dir": None}) is None
    assert recorded_tools_dir({}) is None
    assert recorded_tools_dir({"tools_dir": "bin"}) is None  # never relative to the cwd
    assert recorded_tools_dir({"tools_dir": str(tmp_path / "gone")}) is None
