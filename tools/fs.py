"""Files and processes on this machine: atomic writes, pid-file locks, live pids.

Every writer in the package goes through :func:`write_atomically` (or
:func:`atomic_output` for a file another program writes, or :func:`stage` when
several files must land together): the data goes to a temp file in the target's
directory, which is renamed over the target only once complete, so a reader
never sees half a file. A lock is a file holding its owner's pid
(:func:`pid_lock`); a lock whose pid is dead (:func:`pid_alive`) is stale and
taken over.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "atomic_output",
    "lock_holder",
    "pid_alive",
    "pid_lock",
    "replace_symlink",
    "stage",
    "write_atomically",
]


def stage(path: Path, data: bytes | str, mode: int = 0o644, *, sync: bool = False,
          prefix: str | None = None) -> Path:
    """Write *data* to a new temp file beside *path* (parents created) and return it.

    The caller renames it over *path* (:func:`os.replace`) or removes it. With *sync*
    the data is flushed to disk first. On failure nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=prefix or f".{path.name}.", dir=path.parent)
    temp = Path(name)
    try:
        try:
            stream = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with stream:
            stream.write(data.encode() if isinstance(data, str) else data)
            if sync:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temp, mode)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def write_atomically(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Replace *path* with *data* (text is UTF-8) through a temp file and a rename."""
    os.replace(stage(path, data, mode), path)


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temp path beside *path* to write to; renamed to *path* when the block succeeds.

    The temp file exists (empty) when the block starts; it is removed when the block
    raises.
    """
    temp = stage(path, b"")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_dir(parent: Path, prefix: str, remove: Callable[[Path], None]) -> Iterator[Path]:
    """A new directory in *parent*, its name starting with *prefix*, handed to *remove*
    when the block ends if it is still there (the block may have renamed it into place).

    Being in *parent*, it is on the file system of what it becomes, so a rename moves it.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        if path.exists():
            remove(path)


def replace_symlink(link: Path, target: str | Path) -> None:
    """Make *link* a symbolic link to *target*, replacing whatever *link* was in one rename."""
    temp = link.with_name(f".{link.name}.link")
    temp.unlink(missing_ok=True)
    temp.symlink_to(target)
    os.replace(temp, link)


def pid_alive(pid: int) -> bool:
    """Whether process *pid* exists and is not a zombie (a zombie has ended: only its
    exit status is left to collect)."""
    if pid <= 0:
        return False  # 0 and negatives name process groups, never one process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, and belongs to someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs to ask: existing is all we know
    fields = stat.rsplit(")", 1)[-1].split()
    return not fields or fields[0] not in ("Z", "X")


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the file *path* for the block, waiting for another
    holder (one cache fill or build at a time). The kernel drops it if the process dies."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_holder(path: Path) -> int | None:
    """The pid in lock file *path* if that process is alive, else None (no lock, or stale)."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


@contextlib.contextmanager
def pid_lock(path: Path, *, wait: float = 0.0,
             busy: Callable[[int], Exception] | None = None) -> Iterator[None]:
    """Hold the lock file *path* (created with ``O_EXCL``, holding our pid) for the block.

    A stale lock (its pid is dead) is taken over. While another live process holds
    it, wait up to *wait* seconds, then raise ``busy(holder)`` (default
    :class:`BlockingIOError`). A lock this process already holds is held again
    without waiting, and released only by the outer block.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = lock_holder(path)
            if holder == os.getpid():
                yield
                return
            if holder is None:
                path.unlink(missing_ok=True)
                continue
            if time.monotonic() >= deadline:
                raise (busy(holder) if busy is not None else
                       BlockingIOError(f"{path} is held by pid {holder}")) from None
            time.sleep(0.5)
            continue
        with os.fdopen(fd, "w") as stream:
            stream.write(f"{os.getpid()}\n")
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
