"""Where a lab keeps what outlives one command: its record, its lock and its ssh keys.

Each lab name has a directory under :func:`state_root`, one for the whole
machine (``/var/lib/deploydocs.lab/state/<name>`` as root, else under
``$XDG_STATE_HOME``; override with ``DEPLOYDOCS_LAB_STATE``). Docker resources
are machine-wide, so their records must be too: with one state directory per
checkout, a ``reap`` run from one checkout took another checkout's live lab for
leftovers and removed it.

* ``lab.json`` — the resources of the last *complete* ``lab up`` (written
  atomically at its very end); labelled resources not listed there are
  leftovers of an interrupted run, and ``lab reap`` removes them. It also
  holds the absolute ``--tools-dir`` of that ``up`` (``tools_dir``, null
  when none was given), so a later command that attaches to the lab puts
  the same real tools on the workstation's ``PATH`` as on the nodes;
* ``up.lock`` — the pid of a ``lab up`` in progress, so that a concurrent
  ``reap`` leaves its resources alone and a concurrent ``up`` waits;
* ``id_ed25519`` (+ ``.pub``) — the lab's own client key for root logins on
  the nodes (never the user's keys); ``known_hosts`` — the nodes' host keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from .. import fs
from ..fs import write_atomically
from .base import LAB_LABEL
from .record import DockerRecord

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


class LabBusyError(RuntimeError):
    """Another live process is bringing up the same lab."""


def state_root() -> Path:
    """The directory holding one state directory per lab name."""
    override = os.environ.get("DEPLOYDOCS_LAB_STATE")
    if override:
        return Path(override)
    if os.geteuid() == 0:
        return Path("/var/lib/deploydocs.lab/state")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "deploydocs.lab" / "state"


def validate_lab_name(name: str) -> str:
    """Return *name* if it can prefix Docker names and carries the lab prefix, else raise."""
    if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}", name):
        raise ValueError(f"lab name {name!r}: use letters, digits, '.', '_' and '-' (max 41)")
    if not name.startswith(LAB_LABEL):
        raise ValueError(f"lab name {name!r} must start with {LAB_LABEL!r}")
    return name


def lab_dir(name: str) -> Path:
    """The state directory of lab *name*, created if missing (mode 0700: it holds keys)."""
    path = state_root() / validate_lab_name(name)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def read_record(name: str) -> DockerRecord:
    """The record of the last complete ``lab up`` of lab *name* (empty if none)."""
    path = state_root() / validate_lab_name(name) / "lab.json"
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return cast(DockerRecord, data) if isinstance(data, dict) else {}


def tools_dir_entry(tools_dir: Path | str | None) -> str | None:
    """What a record holds for *tools_dir*: its absolute path (None stays None).

    Raises :class:`ValueError` when *tools_dir* is not a directory.
    """
    if tools_dir is None:
        return None
    path = Path(tools_dir).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"tools dir {tools_dir}: not a directory")
    return str(path)


def recorded_tools_dir(record: Mapping[str, object]) -> Path | None:
    """The ``--tools-dir`` a record names, or None (none given, or no longer a directory)."""
    entry = record.get("tools_dir")
    if not isinstance(entry, str) or not entry:
        return None
    path = Path(entry)
    return path if path.is_absolute() and path.is_dir() else None


def write_record(name: str, record: DockerRecord) -> None:
    """Record a complete ``lab up`` of lab *name*."""
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    write_atomically(lab_dir(name) / "lab.json", text.encode())


def forget_record(name: str) -> None:
    """Drop the record (after ``lab down``)."""
    with contextlib.suppress(FileNotFoundError):
        (state_root() / validate_lab_name(name) / "lab.json").unlink()


def lock_holder(name: str) -> int | None:
    """The pid of a live process holding lab *name*'s ``up`` lock, or None."""
    return fs.lock_holder(state_root() / validate_lab_name(name) / "up.lock")


def up_lock(name: str, wait: float = 900.0) -> contextlib.AbstractContextManager[None]:
    """Hold lab *name*'s ``up`` lock, waiting up to *wait* seconds for another live holder.

    A stale lock (its pid is dead) is taken over (:func:`tools.fs.pid_lock`).
    """
    path = lab_dir(name) / "up.lock"

    def busy(holder: int) -> LabBusyError:
        return LabBusyError(f"lab {name!r} is being brought up by pid {holder} ({path})")

    return fs.pid_lock(path, wait=wait, busy=busy)


def forget_lab(name: str) -> None:
    """Delete lab *name*'s whole state directory (after ``lab down``)."""
    shutil.rmtree(state_root() / validate_lab_name(name), ignore_errors=True)


def owner_of_test_lab(name: str) -> int | None:
    """The pid in a per-process test lab's name (``deploydocs.lab-t<pid>[-what]``), else None.

    >>> owner_of_test_lab("deploydocs.lab-t42-faults3"), owner_of_test_lab("deploydocs.lab")
    (42, None)
    """
    match = re.fullmatch(re.escape(LAB_LABEL) + r"-t(\d+)(?:-[a-z0-9]+)?", name)
    return int(match.group(1)) if match else None


def client_key(name: str) -> Path:
    """The lab's own ed25519 client key (private key path), generated on first use.

    The pair is made in a temporary directory and renamed into place (public key first),
    so an interrupted run never leaves half a key.
    """
    directory = lab_dir(name)
    key = directory / "id_ed25519"
    if key.exists() and key.with_suffix(".pub").exists():
        return key
    with tempfile.TemporaryDirectory(dir=directory, prefix=".keygen-") as scratch:
        fresh = Path(scratch) / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name} lab key",
             "-f", str(fresh)],
            check=True, capture_output=True,
        )
        os.replace(fresh.with_suffix(".pub"), key.with_suffix(".pub"))
        os.replace(fresh, key)
    return key
