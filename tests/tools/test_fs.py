"""tools.fs: atomic writes leave no temp file and no half file; pid locks and live pids."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from tools import fs


def test_write_atomically_replaces_the_file_with_the_mode_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep/er/file.txt"
    fs.write_atomically(target, "one\n", 0o600)
    inode = target.stat().st_ino
    fs.write_atomically(target, b"two\n")
    assert target.read_text() == "two\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert target.stat().st_ino != inode, "a new file was renamed over the old one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_atomic_output_publishes_only_a_block_that_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), fs.atomic_output(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with fs.atomic_output(target) as temp:
        temp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert list(tmp_path.iterdir()) == [target]


def test_replace_symlink_swaps_a_link_for_another(tmp_path: Path) -> None:
    link = tmp_path / "current"
    fs.replace_symlink(link, "a")
    fs.replace_symlink(link, "b")
    assert os.readlink(link) == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current"]


def test_pid_alive_tells_live_dead_and_zombie_processes_apart() -> None:
    assert fs.pid_alive(os.getpid())
    assert not fs.pid_alive(0) and not fs.pid_alive(-1)
    child = subprocess.Popen(["true"])
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        threading.Event().wait(0.01)
    assert not fs.pid_alive(child.pid), "a zombie has ended"
    child.wait()
    assert not fs.pid_alive(child.pid)


def test_a_pid_lock_is_exclusive_reentrant_and_taken_over_when_stale(tmp_path: Path) -> None:
    lock = tmp_path / "up.lock"
    with fs.pid_lock(lock):
        assert fs.lock_holder(lock) == os.getpid()
        with fs.pid_lock(lock):  # the same process holds it again
            assert lock.exists()
        assert lock.exists(), "only the outer block releases it"
    assert not lock.exists()
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.write_text(f"{dead.pid}\n")
    assert fs.lock_holder(lock) is None
    with fs.pid_lock(lock):
        assert fs.lock_holder(lock) == os.getpid()


def test_a_pid_lock_held_by_another_live_process_is_busy(tmp_path: Path) -> None:
    lock = tmp_path / "up.lock"
    other = subprocess.Popen(["sleep", "30"])
    try:
        lock.write_text(f"{other.pid}\n")
        with pytest.raises(LookupError, match=str(other.pid)), \
                fs.pid_lock(lock, wait=0.6, busy=lambda pid: LookupError(f"held by {pid}")):
            pass
        assert lock.read_text() == f"{other.pid}\n"
    finally:
        other.kill()
        other.wait()
