"""The local transport double: each lab has its own directories in place of the shared
ones of ``/tmp``, while pages and outputs keep naming the shared paths."""

from __future__ import annotations

from pathlib import Path

from deploydocs.cache import STATE_DIR

from tests.ext.local_lab import SCRATCH_FILES, LocalTransportLab


def test_each_lab_has_its_own_scratch_files_and_session_state(tmp_path: Path) -> None:
    name = f"own-{tmp_path.name}.conf"
    one, two = LocalTransportLab(tmp_path / "one"), LocalTransportLab(tmp_path / "two")
    try:
        one.hosts["node1"].put_file(f"{SCRATCH_FILES}/{name}", b"one\n")
        assert (tmp_path / "one" / SCRATCH_FILES.name / name).read_text() == "one\n"
        assert not (SCRATCH_FILES / name).exists()
        # The hosts of one lab share its directory; another lab does not see it.
        shell = one.session("node2")
        assert shell.run(f"cat {SCRATCH_FILES}/{name}").stdout == "one\n"
        assert two.hosts["node1"].run(f"test -e {SCRATCH_FILES}/{name}").exit_status == 1
        moved = shell.run(f"mkdir -p {STATE_DIR} {SCRATCH_FILES}/work && cd {SCRATCH_FILES}/work"
                          f" && pwd && echo {SCRATCH_FILES}-other")
        assert moved.stdout == f"{SCRATCH_FILES}/work\n{SCRATCH_FILES}-other\n"
        assert (tmp_path / "one" / Path(STATE_DIR).name).is_dir()
    finally:
        one.close()
        two.close()
