"""Machine ids: cantal and verwalter tell nodes apart by ``/etc/machine-id``.

verwalter refuses to start without a well-formed id (32 lowercase hex digits,
optionally one newline); cantal silently invents a random one per run, and two
machines sharing an id see each other as "self". So every node needs its own
id, and the D-Bus copy (``/var/lib/dbus/machine-id``) should be a symlink to
it or hold the same text.

The checks work on plain data (:class:`NodeState`), read either from a
directory tree (:func:`read_root`) or from any :class:`tools.hosts.Host`
(:func:`read_host`), so the same code checks a lab container, an SSH machine
or a mounted disk image.

>>> is_valid_machine_id("0123456789abcdef0123456789abcdef")
True
>>> is_valid_machine_id("0123456789ABCDEF0123456789ABCDEF")
False
>>> is_valid_machine_id(generate_machine_id())
True
>>> generate_machine_id()[12]
'4'
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .fs import replace_symlink, write_atomically
from .hosts import Host
from .problems import Problem

MACHINE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
ETC_MACHINE_ID = "etc/machine-id"
"""The id file, relative to the machine's root."""
DBUS_MACHINE_ID = "var/lib/dbus/machine-id"
"""The D-Bus copy, relative to the machine's root."""
_ZERO_ID = "0" * 32


def generate_machine_id() -> str:
    """Return a random machine id the way systemd makes one.

    systemd takes 128 random bits and stamps them as a version-4, variant-1
    UUID before printing them as 32 lowercase hex digits without dashes:
    exactly what :func:`uuid.uuid4` does.
    """
    return uuid.uuid4().hex


def is_valid_machine_id(text: str) -> bool:
    """Whether *text* (without its trailing newline) is a well-formed machine id."""
    return bool(MACHINE_ID_RE.fullmatch(text))


def id_file_problem(raw: bytes | None) -> str | None:
    """What is wrong with the bytes of a machine-id file (None: absent), or None if
    nothing is; the one judgement ``machine-id check`` and ``validate --machine-id``
    share.

    >>> id_file_problem(b"0" * 32 + b"\\n")
    'all zeros is not an id'
    >>> id_file_problem(b"5" * 32) is None
    True
    """
    if raw is None:
        return "missing (verwalter exits 3 without it)"
    if raw == b"":
        return "empty (systemd's first-boot marker)"
    if len(raw) not in (32, 33) or (len(raw) == 33 and not raw.endswith(b"\n")):
        return f"must be 32 hex digits plus an optional newline, found {len(raw)} bytes"
    text = _strip_newline(raw).decode("ascii", "replace")
    if not is_valid_machine_id(text):
        return "must be 32 lowercase hex digits"
    if text == _ZERO_ID:
        return "all zeros is not an id"
    return None


@dataclass(frozen=True)
class NodeState:
    """What one machine's id files hold (``None`` = the file is absent)."""

    name: str
    machine_id: bytes | None
    """Raw bytes of ``/etc/machine-id``."""
    dbus_link: str | None = None
    """Target of ``/var/lib/dbus/machine-id`` if it is a symlink."""
    dbus_id: bytes | None = None
    """Raw bytes read through ``/var/lib/dbus/machine-id`` (following links)."""

    @property
    def id_text(self) -> str | None:
        """The id without its newline, when the file is well-formed."""
        if self.machine_id is None:
            return None
        text = self.machine_id.decode("ascii", "replace")
        if text.endswith("\n"):
            text = text[:-1]
        return text if is_valid_machine_id(text) else None


@dataclass
class ClusterReport:
    """The result of :func:`check_cluster`: per-node problems and duplicates."""

    states: dict[str, NodeState]
    problems: list[Problem] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    """Machine id → the names of the nodes sharing it (only ids used twice or more)."""

    @property
    def ok(self) -> bool:
        """Whether no node has an error and no id is shared."""
        return not any(p.severity == "error" for p in self.problems) and not self.duplicates

    def as_dict(self) -> dict[str, object]:
        """The report as plain data, for ``--json``."""
        return {
            "ok": self.ok,
            "nodes": {name: s.id_text for name, s in self.states.items()},
            "duplicates": self.duplicates,
            "problems": [p.as_dict() for p in self.problems],
        }


def problem_file(name: str, relative: str) -> str:
    """How problems name the file *relative* (to the root) of the machine *name*.

    The machine's name (its root directory, or its host name) followed by the
    path, as one path without a ``:``, so that ``FILE:LINE:`` readers (editors,
    CI annotations) split the problem line where they should:

    >>> problem_file("/", ETC_MACHINE_ID), problem_file("/mnt/img", ETC_MACHINE_ID)
    ('/etc/machine-id', '/mnt/img/etc/machine-id')
    >>> problem_file("node1", DBUS_MACHINE_ID)
    'node1/var/lib/dbus/machine-id'
    """
    return str(PurePosixPath(name or "/") / relative)


def check_node(state: NodeState) -> list[Problem]:
    """Every problem with one machine's id files.

    Errors: ``/etc/machine-id`` missing, empty (systemd's "first boot" marker,
    which verwalter rejects), not 32 lowercase hex digits plus at most one
    newline, all zeros; the D-Bus copy holding a different id, or a dangling link.
    A missing D-Bus copy is no problem: a machine without D-Bus (as a minimal Debian 12)
    has none, and neither cantal nor verwalter reads it.
    """
    where = problem_file(state.name, ETC_MACHINE_ID)
    problems: list[Problem] = []
    raw = state.machine_id
    wrong = id_file_problem(raw)
    if wrong is not None:
        problems.append(Problem(where, 1, "machine-id", wrong))
    dbus_where = problem_file(state.name, DBUS_MACHINE_ID)
    if state.dbus_link is None and state.dbus_id is None:
        pass  # no D-Bus copy: nothing to disagree with
    elif state.dbus_id is None:
        problems.append(Problem(dbus_where, 1, "machine-id",
                                f"dangling symlink to {state.dbus_link}"))
    elif raw is not None and _strip_newline(state.dbus_id) != _strip_newline(raw):
        problems.append(Problem(dbus_where, 1, "machine-id",
                                "differs from /etc/machine-id (link it there)"))
    return problems


def check_cluster(states: Iterable[NodeState]) -> ClusterReport:
    """Check every node, then look for ids shared by several nodes."""
    by_name = {s.name: s for s in states}
    report = ClusterReport(states=by_name)
    owners: dict[str, list[str]] = {}
    for state in by_name.values():
        report.problems.extend(check_node(state))
        if state.id_text is not None:
            owners.setdefault(state.id_text, []).append(state.name)
    for mid, names in sorted(owners.items()):
        if len(names) > 1:
            report.duplicates[mid] = sorted(names)
            for name in sorted(names):
                others = ", ".join(n for n in sorted(names) if n != name)
                report.problems.append(Problem(
                    problem_file(name, ETC_MACHINE_ID), 1, "machine-id",
                    f"{mid} is also the id of {others}"))
    return report


def _strip_newline(data: bytes) -> bytes:
    return data[:-1] if data.endswith(b"\n") else data


# --- reading ------------------------------------------------------------------


def read_root(root: Path, name: str | None = None) -> NodeState:
    """Read the id files of a machine whose filesystem is mounted at *root*.

    Absolute symlink targets are resolved inside *root*, not on this machine.
    """
    etc = root / ETC_MACHINE_ID
    dbus = root / DBUS_MACHINE_ID
    machine_id = etc.read_bytes() if etc.is_file() else None
    link = os.readlink(dbus) if dbus.is_symlink() else None
    dbus_id: bytes | None = None
    if link is not None:
        target = root / link.lstrip("/") if link.startswith("/") else dbus.parent / link
        dbus_id = target.read_bytes() if target.is_file() else None
    elif dbus.is_file():
        dbus_id = dbus.read_bytes()
    return NodeState(name or str(root), machine_id, link, dbus_id)


_READ_SCRIPT = r"""
cd {root} || exit 2
show() {{ if [ -f "$1" ]; then printf 'present\n'; base64 -w0 < "$1"; printf '\n';
          else printf 'absent\n\n'; fi; }}
show {etc}
if [ -L {dbus} ]; then
  link=$(readlink {dbus}); printf 'link\n%s\n' "$link"
  case $link in /*) show "./${{link#/}}";; *) show "var/lib/dbus/$link";; esac
else
  printf 'nolink\n\n'; show {dbus}
fi
"""


def read_host(host: Host, root: str = "/") -> NodeState:
    """Read the id files of *host* with one command.

    *root* is interpreted on the host (a relative root is relative to the
    host's working directory), so a scratch-directory host works too.
    """
    script = _READ_SCRIPT.format(root=shlex.quote(root), etc=ETC_MACHINE_ID,
                                 dbus=DBUS_MACHINE_ID)
    result = host.run(script, timeout=30)
    if not result.ok:
        raise MachineIdError(f"{host.name}: reading the machine id failed: "
                             f"{result.stderr.strip() or result.exit_status}")
    return parse_read_output(host.name, result.stdout)


def parse_read_output(name: str, stdout: str) -> NodeState:
    """Turn the output of :func:`read_host`'s script into a :class:`NodeState`."""
    lines = stdout.split("\n")
    if len(lines) < 6:
        raise MachineIdError(f"{name}: unexpected output from the id reader: {stdout!r}")
    etc = base64.b64decode(lines[1]) if lines[0] == "present" else None
    link = lines[3] if lines[2] == "link" else None
    dbus = base64.b64decode(lines[5]) if lines[4] == "present" else None
    return NodeState(name, etc, link, dbus)


def check_hosts(hosts: Iterable[Host], root: str = "/") -> ClusterReport:
    """Read every host's id files and check them together (duplicates included)."""
    return check_cluster(read_host(h, root) for h in hosts)


# --- fixing -------------------------------------------------------------------


class MachineIdError(RuntimeError):
    """Reading or fixing a machine's id failed."""


def plan_fixes(report: ClusterReport) -> dict[str, list[str]]:
    """Which node needs what: ``"new-id"`` and/or ``"link-dbus"``.

    A node gets a new id when its id is missing or malformed, or when it
    shares its id with a node that comes earlier in name order (the first
    one keeps it). The D-Bus copy is relinked whenever it is not already
    a symlink to ``/etc/machine-id`` holding the same id.
    """
    plan: dict[str, list[str]] = {}
    keepers = {names[0] for names in report.duplicates.values()}
    shared = {n for names in report.duplicates.values() for n in names}
    for name, state in report.states.items():
        steps: list[str] = []
        if state.id_text is None or state.id_text == _ZERO_ID or (
                name in shared and name not in keepers):
            steps.append("new-id")
        if state.dbus_link != f"/{ETC_MACHINE_ID}":
            steps.append("link-dbus")
        if steps:
            plan[name] = steps
    return plan


_FIX_SCRIPT = r"""
set -e
cd {root}
if [ -n {new_id} ]; then
  mkdir -p etc
  printf '%s\n' {new_id} > etc/.machine-id.tmp
  chmod 0444 etc/.machine-id.tmp
  mv -f etc/.machine-id.tmp {etc}
fi
if [ {link} = yes ]; then
  mkdir -p var/lib/dbus
  ln -sfn /{etc} var/lib/dbus/.machine-id.tmp
  mv -Tf var/lib/dbus/.machine-id.tmp {dbus}
fi
"""


def fix_host(host: Host, steps: list[str], root: str = "/") -> str | None:
    """Apply the *steps* of :func:`plan_fixes` to *host*; return the new id, if any.

    Files are replaced by rename, never rewritten in place. Restart cantal
    and verwalter on the host afterwards: both read the id only at start.
    """
    new_id = generate_machine_id() if "new-id" in steps else ""
    script = _FIX_SCRIPT.format(root=shlex.quote(root), new_id=shlex.quote(new_id),
                                link="yes" if "link-dbus" in steps else "no",
                                etc=ETC_MACHINE_ID, dbus=DBUS_MACHINE_ID)
    result = host.run(script, timeout=30)
    if not result.ok:
        raise MachineIdError(f"{host.name}: fixing the machine id failed: "
                             f"{result.stderr.strip() or result.exit_status}")
    return new_id or None


def fix_root(root: Path, steps: list[str]) -> str | None:
    """Apply the *steps* of :func:`plan_fixes` to a filesystem mounted at *root*."""
    new_id: str | None = None
    if "new-id" in steps:
        new_id = generate_machine_id()
        write_atomically(root / ETC_MACHINE_ID, new_id + "\n", 0o444)
    if "link-dbus" in steps:
        dbus = root / DBUS_MACHINE_ID
        dbus.parent.mkdir(parents=True, exist_ok=True)
        replace_symlink(dbus, f"/{ETC_MACHINE_ID}")
    return new_id


def fix_hosts(hosts: Mapping[str, Host], root: str = "/") -> dict[str, list[str]]:
    """Check *hosts*, fix what is fixable, and return what was done per host."""
    report = check_hosts(hosts.values(), root)
    plan = plan_fixes(report)
    for name, steps in plan.items():
        fix_host(hosts[name], steps, root)
    return plan
