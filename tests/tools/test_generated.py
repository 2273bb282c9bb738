"""tools.generated: compare generated files with the disk, refuse edits, write atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tools import generated


def test_plan_tells_new_changed_and_unchanged_apart(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("same\n")
    (tmp_path / "edited.txt").write_text("edited\n")
    planned = generated.plan_files(tmp_path, {"same.txt": "same\n", "edited.txt": "mine\n",
                                              "sub/new.txt": "new\n"})
    assert [(f.name, f.status) for f in planned] == [
        ("same.txt", "unchanged"), ("edited.txt", "changed"), ("sub/new.txt", "new")]
    assert not (tmp_path / "sub").exists()  # planning writes nothing, not even directories
    assert generated.would_change(planned)
    assert [f.name for f in generated.refused(planned)] == ["edited.txt"]
    assert generated.refused(planned, force=True) == []


def test_a_refused_write_writes_nothing_at_all(tmp_path: Path) -> None:
    (tmp_path / "edited.txt").write_text("edited\n")
    with pytest.raises(generated.OverwriteRefused) as caught:
        generated.write_generated(tmp_path, {"new.txt": "new\n", "edited.txt": "mine\n"})
    assert [f.name for f in caught.value.files] == ["edited.txt"]
    assert str(tmp_path / "edited.txt") in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.txt"]
    assert (tmp_path / "edited.txt").read_text() == "edited\n"


def test_force_overwrites_and_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("same\n")
    (tmp_path / "edited.txt").write_text("edited\n")
    inode = (tmp_path / "same.txt").stat().st_ino
    written = generated.write_generated(tmp_path, {"same.txt": "same\n",
                                                   "edited.txt": "mine\n"}, force=True)
    assert [f.name for f in written] == ["edited.txt"]
    assert (tmp_path / "edited.txt").read_text() == "mine\n"
    assert (tmp_path / "same.txt").stat().st_ino == inode
    assert (tmp_path / "edited.txt").stat().st_mode & 0o777 == generated.FILE_MODE


def test_a_failure_while_writing_leaves_every_target_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("old a\n")
    real_fdopen = os.fdopen
    calls: list[int] = []

    def fail_on_the_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fail_on_the_second)
    with pytest.raises(generated.GeneratedFileError,
                       match=f"^{re.escape(str(tmp_path / 'b.txt'))}: cannot write it: No space"):
        generated.write_generated(tmp_path, {"a.txt": "new a\n", "b.txt": "b\n"}, force=True)
    assert (tmp_path / "a.txt").read_text() == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temp file left


def test_a_directory_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").mkdir()
    with pytest.raises(generated.GeneratedFileError, match=r"a\.yaml: is a directory"):
        generated.plan_files(tmp_path, {"a.yaml": "a: 1\n"})
    outcome = generated.run(tmp_path, {"a.yaml": "a: 1\n"})
    assert outcome.exit_code == 2
    assert outcome.errors == [f"error: {tmp_path / 'a.yaml'}: is a directory, not a file"]


def test_diffs_of_new_files_and_of_files_without_a_final_newline(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("one\ntwo")
    planned = generated.plan_files(tmp_path, {"old.txt": "one\n", "new.txt": "fresh\n"})
    assert generated.unified_diff(planned) == (
        f"--- {tmp_path / 'old.txt'}\n+++ {tmp_path / 'old.txt'} (generated)\n"
        "@@ -1,2 +1 @@\n one\n-two\n\\ No newline at end of file\n"
        f"--- /dev/null\n+++ {tmp_path / 'new.txt'} (generated)\n@@ -0,0 +1 @@\n+fresh\n")


def test_run_modes_and_their_exit_codes(tmp_path: Path) -> None:
    files = {"a.txt": "a\n"}
    assert generated.run(tmp_path, files, diff=True).exit_code == 1
    dry = generated.run(tmp_path, files, dry_run=True)
    assert (dry.exit_code, dry.written) == (0, [])
    assert list(tmp_path.iterdir()) == []
    done = generated.run(tmp_path, files)
    assert (done.exit_code, done.output) == (0, [str(tmp_path / "a.txt")])
    assert generated.run(tmp_path, files, diff=True).exit_code == 0
    (tmp_path / "a.txt").write_text("edited\n")
    refused = generated.run(tmp_path, files)
    assert refused.exit_code == 1 and "refusing to overwrite 1 file" in refused.errors[0]
    assert generated.run(tmp_path, files, dry_run=True).exit_code == 1
    assert generated.run(tmp_path, files, dry_run=True, force=True).exit_code == 0
    with pytest.raises(ValueError):
        generated.run(tmp_path, files, diff=True, dry_run=True)
