"""The ``workstation`` host: the build machine, confined to a scratch directory.

Commands run with ``bash`` in the scratch directory of the lab (one per lab name,
in the machine's lab state area and never next to the code: see :func:`scratch_dir`),
with ``HOME`` set to it and a clean
environment (``PATH``, ``LANG``, ``TERM`` and nothing else), so a tutorial
step cannot read or change the maintainer's own files by accident. ``PATH``
is the lab's Python first (so ``python3 -m tools`` is this project's), then
the lab's ``--tools-dir`` when it has one (so a real ``vagga`` there builds
the images), then the system's directories. ``lab down`` removes the scratch
directory (:func:`remove_scratch`).

The workstation is where images are built; :meth:`Workstation.push` sends a
directory to a node with ``rsync`` (over ``docker exec -i`` for docker
nodes, over ssh for ssh nodes).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from ..fs import write_atomically
from ..hosts import CommandResult, HostInfo, LocalHost, RsyncHost
from ..probe import PATH, probe_info, probe_script
from .base import LAB_LABEL
from .provision import TOOLS_PACKAGE
from .state import state_root, validate_lab_name


def rust_environment() -> tuple[str | None, dict[str, str]]:
    """Where this machine's Rust toolchain lives, for the workstation's clean environment:
    the directory holding ``cargo`` (None without one), and for a rustup install its
    ``CARGO_HOME`` and ``RUSTUP_HOME`` as the lab's own user has them."""
    cargo = shutil.which("cargo")
    if cargo is None:
        return None, {}
    bin_dir = Path(cargo).parent
    env: dict[str, str] = {}
    if bin_dir.name == "bin" and bin_dir.parent.name == ".cargo":
        env["CARGO_HOME"] = os.environ.get("CARGO_HOME") or str(bin_dir.parent)
        rustup_home = os.environ.get("RUSTUP_HOME") or str(bin_dir.parent.parent / ".rustup")
        if Path(rustup_home).is_dir():
            env["RUSTUP_HOME"] = rustup_home
    return str(bin_dir), env


def scratch_root() -> Path:
    """The directory holding every lab's workstation scratch directory.

    It sits beside the labs' state (:func:`tools.lab.state.state_root`):
    ``/var/lib/deploydocs.lab/workstations`` as root, else
    ``$XDG_STATE_HOME/deploydocs.lab/workstations`` (``~/.local/state/…``), and
    ``<dir>/workstations`` when ``DEPLOYDOCS_LAB_STATE=<dir>/state``. Never inside the
    project or the installed package, so a read-only install and a copied ``tools/``
    work the same.
    """
    return state_root().parent / "workstations"


def scratch_dir(lab_name: str = LAB_LABEL) -> Path:
    """The scratch directory of lab *lab_name*'s workstation (one per lab name, so two
    labs' builds never share files)."""
    return scratch_root() / validate_lab_name(lab_name)


def remove_scratch(lab_name: str = LAB_LABEL) -> list[str]:
    """Delete lab *lab_name*'s workstation scratch directory; return what was removed.

    Only that directory goes.
    Anything mounted below it is unmounted first, never deleted through, and a scratch
    path that is a symbolic link loses the link, not what it points to.
    """
    from .provision import ImageBuildError, remove_tree

    path = scratch_dir(lab_name)
    if path.is_symlink():
        path.unlink()
        return [f"workstation files {path} (a symbolic link)"]
    if not path.exists():
        return []
    if not path.is_dir():
        raise ValueError(f"{path}: the workstation's scratch path is not a directory")
    _make_writable(path)
    try:
        remove_tree(path)
    except ImageBuildError as err:
        raise OSError(str(err)) from err
    if path.exists():
        raise OSError(f"{path}: could not remove the workstation's files")
    return [f"workstation files {path}"]


def _make_writable(root: Path) -> None:
    """Give the owner write and search permission on every directory below *root*
    (image trees have read-only ones, which would stop a non-root delete).

    Symbolic links and mount points are neither changed nor descended into.
    """
    if os.geteuid() == 0:
        return  # root deletes regardless of the directories' modes
    for directory, subdirs, _files in os.walk(root):
        keep = []
        for name in subdirs:
            sub = Path(directory) / name
            if sub.is_symlink() or os.path.ismount(sub):
                continue
            keep.append(name)
            with contextlib.suppress(OSError):
                mode = sub.lstat().st_mode
                if mode & 0o700 != 0o700:
                    sub.chmod(mode | 0o700)
        subdirs[:] = keep


class Workstation(LocalHost):
    """The build machine as a lab host, confined to *scratch*."""

    name = "workstation"

    def __init__(self, scratch: Path, lab_name: str = LAB_LABEL,
                 backend: str = "docker", tools_dir: Path | None = None,
                 inventory: Path | None = None, exports_lab: bool = True) -> None:
        self.scratch = Path(scratch).resolve()
        super().__init__(self.name, self.scratch)
        self.tools_dir = None if tools_dir is None else Path(tools_dir).expanduser().resolve()
        """The lab's ``--tools-dir`` (real vagga & co.), searched before the system's PATH."""
        if self.tools_dir is not None and not self.tools_dir.is_dir():
            raise ValueError(f"tools dir {tools_dir}: not a directory")
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.lab_name = lab_name
        """The lab this workstation belongs to, exported as ``DEPLOYDOCS_LAB_NAME``."""
        self.backend = backend
        """The backend of the lab's nodes, exported as ``DEPLOYDOCS_LAB_BACKEND``.

        The two variables are how the machine commands run here know their target:
        ``python3 -m tools images push`` on the workstation reaches this lab's nodes
        (containers or VMs), while outside a workstation the same command needs an
        explicit target (``--inventory``, ``--backend``) and never guesses a lab."""
        self.inventory = None if inventory is None else Path(inventory).resolve()
        """An ssh lab's inventory, exported as ``DEPLOYDOCS_INVENTORY``."""
        self.exports_lab = exports_lab
        """Whether the lab's name and backend are exported. The docker lab's workstation
        exports neither: it has a ``~/hello/hosts.toml`` instead, as a reader's does."""

    def environment(self) -> dict[str, str]:
        """The whole environment commands get.

        ``PATH`` holds what the tutorial's first page asks a reader's workstation to
        have: the Python that runs the lab first (it has pip and ``deploydocs-tools``,
        as a reader's ``pipx install`` gives), then the ``--tools-dir`` executables (the
        release binaries a reader downloads: vagga, cantal-agent, verwalter), then Rust's
        ``cargo`` (to build lithos), then the system's directories.
        """
        dirs = [str(Path(sys.executable).parent)]
        if self.tools_dir is not None:
            dirs.append(str(self.tools_dir))
        rust_bin, rust = rust_environment()
        if rust_bin is not None:
            dirs.append(rust_bin)
        path = ":".join([*dirs, PATH])
        env = {"HOME": str(self.scratch), "PATH": path, "LANG": "C.UTF-8", "TERM": "dumb",
               **rust}
        if self.lab_name and self.exports_lab:
            env["DEPLOYDOCS_LAB_NAME"] = self.lab_name
            env["DEPLOYDOCS_LAB_BACKEND"] = self.backend
        if self.inventory is not None:
            env["DEPLOYDOCS_INVENTORY"] = str(self.inventory)
        return env

    def prepare(self) -> None:
        """Give the workstation a copy of this repository's ``tools/`` at
        ``~/deploydocs/tools``: the reader's clone, from which the pages build the
        ``deploydocs-tools`` wheel for the nodes. Nothing happens for an installed
        ``deploydocs-tools`` without its project files."""
        if not (TOOLS_PACKAGE / "pyproject.toml").is_file():
            return
        target = self.scratch / "deploydocs" / "tools"
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(".tools.new")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(TOOLS_PACKAGE, staging, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "build", "*.egg-info"))
        old = target.with_name(".tools.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)

    def shell_argv(self) -> list[str]:
        """A bash leading its own process group, in the scratch dir, with the clean env."""
        env = [f"{key}={value}" for key, value in self.environment().items()]
        start = f"cd {shlex.quote(str(self.scratch))} && exec bash --noprofile --norc"
        return ["setsid", "-w", "env", "-i", *env, "bash", "--noprofile", "--norc", "-c", start]

    def local_path(self, path: str) -> Path:
        """*path* inside the scratch directory (resolved and confined as :meth:`put_file` does)."""
        return self._resolve(path)

    def _resolve(self, path: str) -> Path:
        """*path* inside the scratch directory (relative paths are relative to it)."""
        resolved = (self.scratch / path).resolve()
        if resolved != self.scratch and self.scratch not in resolved.parents:
            raise ValueError(f"{path}: the workstation only writes inside {self.scratch}")
        return resolved

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* to *path* inside the scratch directory, atomically.

        *owner* is applied only when running as root (the scratch dir belongs to the user).
        """
        target = self._resolve(path)
        write_atomically(target, data, mode)
        if os.geteuid() == 0:
            user, _, group = owner.partition(":")
            subprocess.run(["chown", f"{user}:{group or user}", str(target)], check=True)

    def info(self) -> HostInfo:
        """Machine id, OS and real tools of the build machine."""
        return probe_info(self.name, "127.0.0.1", self.run(probe_script(), timeout=60).stdout)

    def push(self, source: str, host: RsyncHost, destination: str,
             timeout: float = 600) -> CommandResult:
        """Copy directory *source* (inside the scratch dir) to *destination* on *host*.

        rsync sends the tree to ``<destination>.tmp`` and the host renames it into place,
        so a reader of *destination* never sees half an upload.
        """
        local = self._resolve(source)
        if not local.is_dir():
            raise ValueError(f"{source}: not a directory inside {self.scratch}")
        dest = destination.rstrip("/")
        rsh, target = host.rsync_target(f"{dest}.tmp/")
        via = "" if rsh is None else f"--rsh={shlex.quote(rsh)} "
        command = f"rsync -a --delete {via}{shlex.quote(str(local))}/ {shlex.quote(target)}"
        copied = self.run(command, timeout=timeout)
        if not copied.ok:
            return copied
        publish = (
            f"rm -rf -- {shlex.quote(dest)}.old && "
            f"if [ -e {shlex.quote(dest)} ]; then mv -- {shlex.quote(dest)} "
            f"{shlex.quote(dest)}.old; fi && mv -- {shlex.quote(dest)}.tmp {shlex.quote(dest)} "
            f"&& rm -rf -- {shlex.quote(dest)}.old"
        )
        moved = host.run(publish, timeout=timeout)
        return CommandResult(command, moved.exit_status, copied.stdout + moved.stdout,
                             copied.stderr + moved.stderr, copied.duration + moved.duration,
                             moved.timed_out)
