"""Record files: atomic writes, and a corrupted record falls back to "never verified"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from deploydocs.records import (
    BlockRecord,
    DocumentRecord,
    RecordError,
    load_record,
    record_path,
    save_record,
    write_atomic,
)

from tests.ext.conftest import LOCAL_SPEC, build


def test_record_round_trips(tmp_path: Path) -> None:
    record = DocumentRecord("doc", {"h#1": BlockRecord("h#1", 3, "lab-run", ["node1"], "s",
                                                       "passed", outputs={"node1": ["x\n"]})},
                            {"f": {"backend": "docker"}})
    path = record_path(tmp_path, "tutorial/doc")
    save_record(path, record)
    assert path == tmp_path / "tutorial" / "_verified" / "doc.json"
    again = load_record(path, "tutorial/doc")
    assert again.blocks["h#1"].outputs == {"node1": ["x\n"]}
    assert again.fingerprints == {"f": {"backend": "docker"}}


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    path = tmp_path / "r.json"
    write_atomic(path, "old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"format": 99}', '{"format": 1, '
                                  '"blocks": {"x": {"nonsense": 1}}}', "\udcff"])
def test_corrupted_records_raise_a_record_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(RecordError):
        load_record(path, "doc")


def test_render_warns_about_a_corrupted_record_and_shows_never_verified(
        project: Path, local_lab_root: Path) -> None:
    build(project, "verify", LOCAL_SPEC)
    (project / "_verified" / "basics.json").write_text('{"format": 1, "blocks": [')
    result = build(project, "render", out="render", fresh=True)
    assert (f"WARNING: {project}/_verified/basics.json: deploydocs: record file is corrupted"
            in result.warnings)
    page = result.html("basics")
    assert "✔ verified" not in page
    assert "never verified (record file corrupted)" in page
    assert "✔ verified" in result.html("faults")


def test_an_edited_block_shows_never_verified_until_the_next_verify(
        project: Path, local_lab_root: Path) -> None:
    build(project, "verify", LOCAL_SPEC)
    page = project / "faults.rst"
    page.write_text(page.read_text().replace("node2 is isolated", "node2 is cut off"))
    result = build(project, "render", out="render")
    assert "never verified (changed since the last verify)" in result.html("faults")
