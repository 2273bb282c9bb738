"""Images: build (stand-in), pack, push, list and prune lithos images.

**image build stand-in**: where vagga is absent, :func:`build_image` makes the
deployment image's root in the layout vagga would leave it: a Debian
bookworm root made by ``debootstrap --variant=minbase`` (cached by recipe
hash under ``/var/cache/deploydocs/image-roots/``), the app's requirements
pip-installed into ``/usr/local``, the code and lithos container configs
copied in (like ``!Copy``), and every mount point created (like
``!EnsureDir``). The result lands in ``<out>/.roots/<container>.<hash8>/root``
with a symlink ``<out>/<container>`` to it, like ``.vagga/``; the directory
name is the image name lithos process configs refer to. Where the app has a
``vagga.yaml``, ``<hash8>`` is vagga's own version hash of the container
(:mod:`tools.vagga_hash`), so the stand-in's image has the name vagga gives it.

An image is pushed to a node by rsync into ``<image-dir>/<name>.tmp`` and
then renamed to ``<image-dir>/<name>`` on the node, so a reader of the image
directory never sees half an image under its final name. Images are
immutable: a name that already exists is never overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .fs import atomic_output, replace_symlink, scratch_dir
from .hosts import RsyncHost

CACHE_ROOT = Path("/var/cache/deploydocs")
DEBOOTSTRAP = "/usr/sbin/debootstrap"
MIRROR = "http://deb.debian.org/debian"
DEFAULT_MOUNT_POINTS = ("/app", "/config", "/state", "/tmp", "/run", "/dev", "/proc", "/sys")
"""Directories lithos mounts over: they must exist in a read-only image."""
_SKIP_NAMES = re.compile(r"^\.(git|hg|svn|vagga)$|~$|\.bak$|\.orig$|^#.*#$")
"""Names ``!Copy`` leaves out by default in vagga 0.8.1 (its ``ignore-regex``, applied here to
each name): the stand-in copies what vagga would, so the name it takes from vagga's hash
describes the content. Note that ``__pycache__`` is copied, as vagga does."""
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

Progress = Callable[[str], None]


class ImageError(RuntimeError):
    """Building, packing, pushing or pruning an image failed."""


def _quiet(_: str) -> None:
    pass


# --- the build stand-in ---------------------------------------------------------


@dataclass(frozen=True)
class ImageRecipe:
    """What goes into a deployment image (the parts of a vagga container the stand-in covers)."""

    container: str
    """The vagga container name, e.g. ``hello-deploy``; the image is ``<container>.<hash8>``."""
    project_dir: Path | None = None
    """The directory of the ``vagga.yaml`` defining *container*: when set, the image is named
    by vagga's own version hash (:mod:`tools.vagga_hash`), as ``vagga _build`` names it."""
    requirements: Path | None = None
    """A pip requirements file, installed like ``!Py3Requirements``."""
    copies: tuple[tuple[Path, str], ...] = ()
    """``(source on this machine, absolute path in the image)`` pairs, like ``!Copy``."""
    ensure_dirs: tuple[str, ...] = DEFAULT_MOUNT_POINTS
    suite: str = "bookworm"
    packages: tuple[str, ...] = ("python3", "ca-certificates")
    mirror: str = MIRROR

    def base_key(self) -> str:
        """Hash of what the Debian root depends on (suite, packages, mirror)."""
        text = "\n".join(["debootstrap-minbase", self.suite, self.mirror,
                          *sorted(self.packages)])
        return hashlib.sha256(text.encode()).hexdigest()

    def version_hash(self) -> str:
        """Hash of everything in the image: base, requirements, copied files, dirs."""
        digest = hashlib.sha256(self.base_key().encode())
        if self.requirements is not None:
            digest.update(b"requirements\0" + self.requirements.read_bytes())
        for source, dest in self.copies:
            digest.update(f"copy\0{dest}\0".encode())
            for path in _walk(source):
                rel = path.relative_to(source).as_posix() if path != source else "."
                mode = path.lstat().st_mode
                digest.update(f"{rel}\0{mode:o}\0".encode())
                if path.is_symlink():
                    digest.update(os.readlink(path).encode())
                elif path.is_file():
                    digest.update(path.read_bytes())
        for directory in sorted(self.ensure_dirs):
            digest.update(f"dir\0{directory}\0".encode())
        return digest.hexdigest()

    def image_name(self) -> str:
        """``<container>.<hash8>``, the directory name lithos refers to.

        With a *project_dir*, ``<hash8>`` is vagga's (what ``vagga _version_hash --short``
        prints); otherwise the start of :meth:`version_hash`.
        """
        if self.project_dir is not None:
            from . import vagga_hash

            try:
                return vagga_hash.image_name(self.project_dir, self.container)
            except vagga_hash.VersionHashError as exc:
                raise ImageError(f"{self.project_dir}/vagga.yaml: {exc}") from exc
        return f"{self.container}.{self.version_hash()[:8]}"


def _walk(source: Path) -> list[Path]:
    if not source.is_dir():
        return [source]
    found = [source]
    for directory, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not _SKIP_NAMES.search(d))
        found += [Path(directory) / d for d in dirs]
        found += [Path(directory) / f for f in sorted(files) if not _SKIP_NAMES.search(f)]
    return sorted(found)


def ensure_debian_root(recipe: ImageRecipe, cache_root: Path = CACHE_ROOT,
                       progress: Progress = _quiet) -> Path:
    """The cached debootstrap'd root for *recipe*, made once per recipe hash."""
    final = cache_root / "image-roots" / f"debian-{recipe.suite}-{recipe.base_key()[:12]}"
    if (final / "root" / "usr" / "bin").is_dir():
        return final / "root"
    if not os.path.exists(DEBOOTSTRAP):
        raise ImageError(f"{DEBOOTSTRAP} is missing: install debootstrap (apt-get install "
                         "debootstrap) for the image build stand-in")
    final.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(final.parent, f".{final.name}.") as scratch:
        root = scratch / "root"
        progress(f"debootstrap {recipe.suite} minbase + {', '.join(recipe.packages)}")
        command = [DEBOOTSTRAP, "--variant=minbase",
                   f"--include={','.join(sorted(recipe.packages))}", recipe.suite, str(root),
                   recipe.mirror]
        done = subprocess.run(command, capture_output=True, text=True)
        _unmount_below(root)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ImageError(f"debootstrap failed ({done.returncode}):\n{tail}")
        for leftover in (root / "var/cache/apt/archives").glob("*.deb"):
            leftover.unlink()
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(final)
        os.rename(scratch, final)
    return final / "root"


def _scratch(parent: Path, prefix: str) -> contextlib.AbstractContextManager[Path]:
    """A build directory in *parent*; on the way out what is mounted below it is
    unmounted and it is deleted (unless it was renamed into place)."""
    return scratch_dir(parent, prefix, _remove_build_dir)


def _remove_build_dir(path: Path) -> None:
    _unmount_below(path)
    shutil.rmtree(path, ignore_errors=True)


def _unmount_below(path: Path) -> None:
    """Unmount what debootstrap may have left mounted (e.g. /proc) below *path*."""
    prefix = str(path.resolve()) + "/"
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info if line.split()[4].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def _root_python(root: Path) -> str:
    versions = sorted(p.name for p in (root / "usr/lib").glob("python3.*")
                      if re.fullmatch(r"python3\.\d+", p.name))
    if not versions:
        raise ImageError(f"{root}: no python3 in the image root")
    return versions[-1]


def _pip_install(root: Path, requirements: Path, progress: Progress) -> None:
    """Install *requirements* into the image's /usr/local like pip inside it would.

    pip runs here (the image has no pip) with ``--target`` the image's
    dist-packages; this needs the same Python minor version here and there.
    Console scripts are moved to /usr/local/bin with the image's python3.
    """
    image_python = _root_python(root)
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if image_python != here:
        raise ImageError(f"the image has {image_python}, this machine {here}: the stand-in "
                         "installs requirements with this machine's pip, so they must match")
    target = root / "usr/local/lib" / image_python / "dist-packages"
    target.mkdir(parents=True, exist_ok=True)
    progress(f"pip install -r {requirements.name}")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir",
                           "--disable-pip-version-check", "--no-compile", "--target",
                           str(target), "-r", str(requirements)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ImageError(f"pip install failed:\n{done.stderr.strip()[-2000:]}")
    scripts = target / "bin"
    if scripts.is_dir():
        bin_dir = root / "usr/local/bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        for script in scripts.iterdir():
            data = script.read_bytes()
            if data.startswith(b"#!/bin/sh\n'''exec' "):
                # distlib's trampoline for long interpreter paths spans three lines
                data = b"#!/usr/bin/python3\n" + data.split(b"\n", 3)[3]
            elif data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
                data = b"#!/usr/bin/python3\n" + data.partition(b"\n")[2]
            (bin_dir / script.name).write_bytes(data)
            os.chmod(bin_dir / script.name, 0o755)
        shutil.rmtree(scripts)


def _copy_into(root: Path, source: Path, dest: str) -> None:
    if not dest.startswith("/"):
        raise ImageError(f"copy destination {dest!r} must be an absolute path in the image")
    target = root / dest.lstrip("/")
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True,
                        ignore=lambda _d, names: [n for n in names if _SKIP_NAMES.search(n)])
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    for path in [target, *target.rglob("*")] if target.is_dir() else [target]:
        os.lchown(path, 0, 0)


@dataclass
class BuiltImage:
    """Where the stand-in put an image."""

    name: str
    root: Path
    cached: bool


def build_image(recipe: ImageRecipe, out_dir: Path, cache_root: Path = CACHE_ROOT,
                progress: Progress = _quiet) -> BuiltImage:
    """**image build stand-in**: build *recipe* into ``out_dir/.roots/<name>/root``.

    A second build of the same recipe returns the existing root. The root
    is assembled in a hidden staging directory and renamed into place.
    """
    name = recipe.image_name()
    final = out_dir / ".roots" / name
    link = out_dir / recipe.container
    if (final / "root").is_dir():
        _point(link, final / "root")
        return BuiltImage(name, final / "root", cached=True)
    base = ensure_debian_root(recipe, cache_root, progress)
    final.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(final.parent, f".{name}.") as staging:
        root = staging / "root"
        progress(f"copying the Debian root into {name}")
        root.mkdir()
        done = subprocess.run(["cp", "-a", f"{base}/.", str(root)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise ImageError(f"copying the base root failed: {done.stderr.strip()}")
        if recipe.requirements is not None:
            _pip_install(root, recipe.requirements, progress)
        for source, dest in recipe.copies:
            progress(f"copy {source} -> {dest}")
            _copy_into(root, source, dest)
        for directory in recipe.ensure_dirs:
            (root / directory.lstrip("/")).mkdir(parents=True, exist_ok=True)
        os.rename(staging, final)
    _point(link, final / "root")
    progress(f"built {name}")
    return BuiltImage(name, final / "root", cached=False)


def _point(link: Path, target: Path) -> None:
    replace_symlink(link, os.path.relpath(target, link.parent))


# --- pack and unpack ------------------------------------------------------------


_MODES: dict[str, Literal["w:xz", "w:gz", "w:bz2", "w"]] = {
    "xz": "w:xz", "gz": "w:gz", "bz2": "w:bz2", "none": "w"}


def pack_image(root: Path, output: Path, compression: str = "xz") -> Path:
    """Tar *root* (owners, modes, links, devices kept) to *output*, atomically.

    With ``xz`` and the ``xz`` program on ``PATH``, the tar stream goes through
    ``xz -T0``, which compresses on every core (Python's ``lzma`` module uses one): the
    same ``.tar.xz`` format, in a fraction of the time on a large image.
    """
    if compression not in _MODES:
        raise ImageError(f"compression must be one of {sorted(_MODES)}")
    xz = shutil.which("xz") if compression == "xz" else None
    with atomic_output(output) as tmp:
        if xz is None:
            with tarfile.open(tmp, _MODES[compression], format=tarfile.GNU_FORMAT) as archive:
                _add_tree(archive, root)
            return output
        with open(tmp, "wb") as sink:
            compressor = subprocess.Popen([xz, "-T0", "-c"], stdin=subprocess.PIPE, stdout=sink,
                                          stderr=subprocess.PIPE)
            assert compressor.stdin is not None
            broken = False
            try:
                with tarfile.open(fileobj=compressor.stdin, mode="w|",
                                  format=tarfile.GNU_FORMAT) as archive:
                    _add_tree(archive, root)
            except BrokenPipeError:
                broken = True  # xz is gone; what it said is reported below
            finally:
                with contextlib.suppress(BrokenPipeError):
                    compressor.stdin.close()
                assert compressor.stderr is not None
                stderr = compressor.stderr.read()
                compressor.wait()
        if broken or compressor.returncode != 0:
            raise ImageError(f"xz exited {compressor.returncode} packing {root}: "
                             f"{stderr.decode(errors='replace').strip()[-300:] or 'no message'}")
    return output


def _add_tree(archive: tarfile.TarFile, root: Path) -> None:
    """*root* as ``.`` and everything below it, in a stable order, without owner names."""
    for path in [root, *_all_entries(root)]:
        arcname = "." if path == root else f"./{path.relative_to(root).as_posix()}"
        info = archive.gettarinfo(str(path), arcname)
        info.uname = info.gname = ""
        if info.isreg():
            with open(path, "rb") as data:
                archive.addfile(info, data)
        else:
            archive.addfile(info)


def _all_entries(root: Path) -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        found += [Path(directory) / d for d in dirs]
        found += [Path(directory) / f for f in sorted(files)]
    return found


def unpack_image(archive: Path, image_dir: Path, name: str) -> Path:
    """Unpack *archive* to ``image_dir/name`` through a hidden directory and a rename."""
    _check_name(name)
    final = image_dir / name
    if final.exists():
        raise ImageError(f"{final} exists: images are immutable, use a new name")
    image_dir.mkdir(parents=True, exist_ok=True)
    with _scratch(image_dir, f".{name}.unpack.") as staging:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if member.name.startswith("/") or ".." in parts:
                    raise ImageError(f"{archive}: unsafe member {member.name!r}")
            tar.extractall(staging / "root", numeric_owner=True, filter="fully_trusted")
        os.rename(staging / "root", final)
    return final


# --- push, list, prune on a node -------------------------------------------------


def _check_name(name: str) -> None:
    if not _IMAGE_NAME.fullmatch(name) or name.endswith(".tmp"):
        raise ImageError(f"{name!r} is not a usable image name (letters, digits, '._-', "
                         "not hidden, not ending in .tmp)")


@dataclass
class PushResult:
    """What happened on one node."""

    node: str
    name: str
    status: str
    """``pushed`` or ``present`` (already there: images are immutable)."""
    duration: float = 0.0


PUSH_ATTEMPTS = 3
"""How many times :func:`push_image` runs rsync when the connection breaks."""
RSYNC_CONNECTION_ERRORS = frozenset({12, 30, 35, 255})
"""rsync's exit codes for a broken connection (protocol stream, timeouts, ssh's 255)."""


def push_image(root: Path, target: RsyncHost, image_dir: str, name: str,
               timeout: float = 1800) -> PushResult:
    """Push the image *root* to ``image_dir/name`` on *target*, atomically.

    rsync copies into ``image_dir/name.tmp`` (resuming a previous attempt);
    only a complete copy is renamed to ``name``. An existing ``name`` is left
    alone. Raises :class:`ImageError` with rsync's message on failure.
    """
    _check_name(name)
    started = time.monotonic()
    final = f"{image_dir.rstrip('/')}/{name}"
    tmp = f"{final}.tmp"
    probe = target.run(f"mkdir -p -- {shlex.quote(image_dir)} && "
                       f"if [ -e {shlex.quote(final)} ]; then echo present; fi", timeout=60)
    if not probe.ok:
        raise ImageError(f"{target.name}: cannot prepare {image_dir}: {probe.stderr.strip()}")
    if probe.stdout.strip() == "present":
        return PushResult(target.name, name, "present", time.monotonic() - started)
    rsh, dest = target.rsync_target(f"{tmp}/")
    argv = ["rsync", "-a", "--delete", "--numeric-ids", "--hard-links"]
    if rsh:
        argv += ["--rsh", rsh]
    argv += [f"{root}/", dest]
    deadline = started + timeout
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        try:
            copied = subprocess.run(argv, capture_output=True, text=True,
                                    timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as exc:
            raise ImageError(f"{target.name}: rsync took longer than {timeout:g}s") from exc
        # A connection that broke (a busy VM missing ssh's keep-alives, say) is resumed:
        # what reached <name>.tmp stays, so the next attempt sends only the rest.
        if copied.returncode not in RSYNC_CONNECTION_ERRORS or attempt == PUSH_ATTEMPTS:
            break
    if copied.returncode != 0:
        raise ImageError(f"{target.name}: rsync exited {copied.returncode}: "
                         f"{copied.stderr.strip()[-500:]} ({name}.tmp left for a retry)")
    moved = target.run(f"mv -T -- {shlex.quote(tmp)} {shlex.quote(final)}", timeout=60)
    if not moved.ok:
        raise ImageError(f"{target.name}: renaming {tmp} failed: {moved.stderr.strip()}")
    return PushResult(target.name, name, "pushed", time.monotonic() - started)


@dataclass(frozen=True)
class ImageInfo:
    """An image directory on a node."""

    name: str
    mtime: float
    in_use: bool = False


def list_images(target: RsyncHost, image_dir: str,
                in_use: Iterable[str] = ()) -> list[ImageInfo]:
    """The complete images in *image_dir*, newest first (``.tmp`` and hidden ones skipped)."""
    listing = target.run(f"[ -d {shlex.quote(image_dir)} ] || exit 0; "
                         f"find {shlex.quote(image_dir)} -mindepth 1 -maxdepth 1 -type d "
                         "-printf '%T@ %f\\n'", timeout=60)
    if not listing.ok:
        raise ImageError(f"{target.name}: listing {image_dir} failed: {listing.stderr.strip()}")
    used = set(in_use)
    found = []
    for line in listing.stdout.splitlines():
        stamp, _, name = line.partition(" ")
        if name.startswith(".") or name.endswith(".tmp"):
            continue
        found.append(ImageInfo(name, float(stamp), name in used))
    return sorted(found, key=lambda i: (-i.mtime, i.name))


def images_in_process_config(text: str, levels: int = 1) -> set[str]:
    """The image directories (first *levels* components) a lithos process config uses."""
    try:
        data = YAML(typ="safe", pure=True).load(text) or {}
    except YAMLError as exc:
        raise ImageError(f"the lithos process config does not parse: {exc}") from exc
    if not isinstance(data, dict):
        raise ImageError("the lithos process config is not a mapping")
    used = set()
    for entry in data.values():
        if isinstance(entry, dict) and isinstance(entry.get("image"), str):
            used.add("/".join(entry["image"].split("/")[:levels]))
    return used


def read_in_use(target: RsyncHost, process_configs: Iterable[str]) -> set[str]:
    """Images referenced by the process configs on *target* (missing files use none)."""
    used: set[str] = set()
    for path in process_configs:
        read = target.run(f"if [ -f {shlex.quote(path)} ]; then cat -- {shlex.quote(path)}; fi",
                          timeout=60)
        if not read.ok:
            raise ImageError(f"{target.name}: cannot read {path}: {read.stderr.strip()}")
        try:
            used |= images_in_process_config(read.stdout)
        except ImageError as exc:
            raise ImageError(f"{target.name}:{path}: {exc}; not pruning") from exc
    return used


@dataclass
class PruneResult:
    """What prune kept and removed on one node."""

    node: str
    kept: list[str]
    removed: list[str]


def plan_prune(images: list[ImageInfo], keep: int) -> tuple[list[str], list[str]]:
    """``(kept, removed)``: the newest *keep* images plus every image in use are kept.

    >>> plan_prune([ImageInfo("a.1", 1.0, in_use=True), ImageInfo("a.2", 2.0),
    ...             ImageInfo("a.3", 3.0)], keep=1)
    (['a.3', 'a.1'], ['a.2'])
    """
    if keep < 0:
        raise ImageError("keep must be 0 or more")
    ordered = sorted(images, key=lambda i: (-i.mtime, i.name))
    kept = [i.name for n, i in enumerate(ordered) if n < keep or i.in_use]
    removed = [i.name for i in ordered if i.name not in kept]
    return kept, removed


def prune_images(target: RsyncHost, image_dir: str, keep: int,
                 process_configs: Iterable[str] = (), in_use: Iterable[str] = (),
                 dry_run: bool = False) -> PruneResult:
    """Remove all but the newest *keep* images, never one a process config uses.

    An image is first renamed to a hidden name, then deleted, so it is never
    visible half-deleted under its own name.
    """
    used = set(in_use) | read_in_use(target, process_configs)
    images = list_images(target, image_dir, used)
    kept, removed = plan_prune(images, keep)
    result = PruneResult(target.name, kept, removed)
    for name in removed if not dry_run else []:
        path = shlex.quote(f"{image_dir.rstrip('/')}/{name}")
        trash = shlex.quote(f"{image_dir.rstrip('/')}/.{name}.deleting")
        done = target.run(f"mv -T -- {path} {trash} && rm -rf -- {trash}", timeout=600)
        if not done.ok:
            raise ImageError(f"{target.name}: removing {name} failed: {done.stderr.strip()}")
    return result


def recipe_from_app(app_dir: Path, container: str, **overrides: Any) -> ImageRecipe:
    """The tutorial layout: ``requirements.txt``, the package dir(s) to /app, config/ to /config.

    Every directory of *app_dir* holding an ``__init__.py`` is copied to
    ``/app/<name>``, plus ``manage.py`` if present; ``config/`` goes to ``/config``.
    """
    copies: list[tuple[Path, str]] = []
    for child in sorted(app_dir.iterdir()):
        if child.is_dir() and (child / "__init__.py").is_file():
            copies.append((child, f"/app/{child.name}"))
    if (app_dir / "manage.py").is_file():
        copies.append((app_dir / "manage.py", "/app/manage.py"))
    if (app_dir / "config").is_dir():
        copies.append((app_dir / "config", "/config"))
    requirements = app_dir / "requirements.txt"
    if (app_dir / "vagga.yaml").is_file():
        overrides.setdefault("project_dir", app_dir)
    return ImageRecipe(container=container,
                       requirements=requirements if requirements.is_file() else None,
                       copies=tuple(copies), **overrides)
