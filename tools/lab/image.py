"""The lab's Docker images, built locally and cached by the hash of their recipe.

No image can be pulled, so the lab makes its own:

* the **base image** is a Debian bookworm root made by ``debootstrap
  --variant=minbase`` plus the packages in :data:`BASE_PACKAGES`, imported
  with ``docker import``; its tag carries the hash of the recipe
  (``deploydocs.lab/base:<hash12>``), so a second ``lab up`` builds nothing;
* the **node image** adds, on top of the base, the real lithos binaries
  (when available) and the executables of ``--tools-dir``, both in
  ``/usr/bin`` (where the tutorial installs them and its systemd units
  start them: ``ExecStart=/usr/bin/lithos_tree``, ``/usr/bin/cantal-agent``,
  ``/usr/bin/verwalter``), a ``.pth`` file
  that makes ``/opt/deploydocs/tools`` importable by the node's python3, and
  the node's init script; its tag carries the hash of all of that content.
  The ``tools/`` package itself is copied into each node by every ``lab up``
  (:func:`tools_archive`), so editing it never forces new nodes.

Both images carry the label ``deploydocs.lab``. They are a cache: ``lab
down`` keeps them, ``lab reap --images`` removes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from .base import LAB_LABEL
from .process import run_in_own_group
from .provision import (
    DEBOOTSTRAP,
    MIRROR,
    NODE_PACKAGES,
    SUITE,
    TOOLS_PACKAGE,
    ImageBuildError,
    debian_recipe,
    find_lithos,
    recipe_hash,
    runtime_requirements,
)

BASE_PACKAGES = NODE_PACKAGES
"""Debian packages of every node (:data:`tools.lab.provision.NODE_PACKAGES`)."""

BASE_REPOSITORY = "deploydocs.lab/base"
NODE_REPOSITORY = "deploydocs.lab/node"
RECIPE_VERSION = 2
"""Bump when the way the base root is prepared changes (it is part of the recipe hash)."""

TOOLS_BIN_DIR = "/usr/bin"
"""Where a node gets lithos and the ``--tools-dir`` executables (as the tutorial's units say)."""

NODE_INIT_SCRIPT = """\
#!/bin/bash
# deploydocs lab node init (started by docker's init as the container command).
# Docker mounts the cgroup v1 hierarchies read-only; lithos needs to create its
# cgroups. The node has its own cgroup namespace, so making these mounts writable
# only exposes the node's own part of the host's cgroup tree.
for dir in /sys/fs/cgroup/*/; do
    if mountpoint -q "$dir"; then
        mount -o remount,bind,rw "$dir" 2>/dev/null || echo "cgroup $dir stays read-only" >&2
    fi
done
mkdir -p /run/sshd /run/lithos /var/log/lithos
# Host keys are made on the first start, so every node has its own.
if [ ! -e /etc/ssh/ssh_host_ed25519_key ]; then
    ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
fi
exec /usr/sbin/sshd -D -e -o HostKey=/etc/ssh/ssh_host_ed25519_key \\
    -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no
"""

Progress = Callable[[str], None]


@dataclass
class NodeImage:
    """The node image to run, and what went into it."""

    tag: str
    image_id: str
    base_tag: str
    lithos: dict[str, str] = field(default_factory=dict)
    """``{"bin_dir": ...}`` when real lithos binaries are in the image, else ``{"absent": why}``."""
    extra_tools: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    """Which images this call had to build (empty when both came from the cache)."""


def base_recipe() -> dict[str, object]:
    """Everything that decides the content of the base image."""
    return {**debian_recipe(BASE_PACKAGES), "version": RECIPE_VERSION}


def base_tag() -> str:
    """The tag of the base image for the current recipe."""
    return f"{BASE_REPOSITORY}:{recipe_hash(base_recipe())}"


def _image_exists(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def ensure_base_image(client: docker.DockerClient, progress: Progress = print) -> tuple[str, bool]:
    """Return ``(tag, built)`` for the base image, building it if the cache lacks it."""
    tag = base_tag()
    if _image_exists(client, tag):
        return tag, False
    if not os.path.exists(DEBOOTSTRAP):
        raise ImageBuildError(f"{DEBOOTSTRAP} is missing: install debootstrap to build the lab")
    with _scratch_dir("deploydocs.lab-base-") as scratch:
        root = scratch / "root"
        progress(f"debootstrap {SUITE} (minbase + {len(BASE_PACKAGES)} packages)")
        command = [
            DEBOOTSTRAP, "--variant=minbase", f"--include={','.join(sorted(BASE_PACKAGES))}",
            SUITE, str(root), MIRROR,
        ]
        _run(command, "debootstrap")
        _prepare_root(root)
        progress("pip: the runtime dependencies of tools/ (pinned)")
        _install_requirements(root)
        progress("packing the root file system")
        tarball = scratch / "root.tar"
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."], "tar")
        progress(f"docker import → {tag}")
        repository, _, version = tag.partition(":")
        try:
            client.api.import_image(
                src=str(tarball), repository=repository, tag=version,
                changes=[f"LABEL {LAB_LABEL}=base", 'CMD ["/bin/bash"]'],
            )
        except docker.errors.APIError as err:
            raise ImageBuildError(f"docker import of the base root failed: {err}") from err
    if not _image_exists(client, tag):
        raise ImageBuildError(f"docker import finished but {tag} is not there")
    return tag, True


def _install_requirements(root: Path) -> None:
    """Install the pinned wheels of ``tools/``'s dependencies into the root's site dir.

    This machine's pip installs them (it must run the same Python minor version as the
    node's python3; both are Debian bookworm's 3.11 here). They land in
    /usr/local/lib/python3.X/dist-packages, which Debian's python3 searches first.
    """
    version = subprocess.run(
        ["chroot", str(root), "python3", "-c",
         "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    if not version:
        raise ImageBuildError("cannot ask the new root's python3 for its version")
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if version != here:
        raise ImageBuildError(
            f"the node's python3 is {version} but this machine's is {here}: pip here cannot "
            f"install the dependencies of tools/ for the node"
        )
    target = root / "usr" / "local" / "lib" / f"python{version}" / "dist-packages"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--no-compile", "--target", str(target), *runtime_requirements()],
         "pip install of the runtime dependencies")


def _prepare_root(root: Path) -> None:
    """Strip what must differ per node (host keys, machine id) and what only wastes space."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc" / "machine-id").write_text("")
    dbus_id = root / "var" / "lib" / "dbus" / "machine-id"
    if dbus_id.is_symlink() or dbus_id.exists():
        dbus_id.unlink()
    for cache in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        cache.unlink()
    lists = root / "var" / "lib" / "apt" / "lists"
    for item in lists.glob("*_*"):
        item.unlink()


def ensure_node_image(
    client: docker.DockerClient,
    *,
    tools_dir: Path | None = None,
    with_lithos: bool = True,
    progress: Progress = print,
) -> NodeImage:
    """Return the node image for this content, building what the cache lacks."""
    base, base_built = ensure_base_image(client, progress)
    lithos_bin, lithos_info = find_lithos(progress) if with_lithos else (None, {
        "absent": "lithos not requested"})
    with _scratch_dir("deploydocs.lab-node-") as context:
        extra = _fill_context(context, base, lithos_bin, tools_dir)
        digest = _tree_hash(context)
        tag = f"{NODE_REPOSITORY}:{digest}"
        image_id = _image_exists(client, tag)
        built = ["base"] if base_built else []
        if image_id is None:
            progress(f"docker build → {tag}")
            image_id = _build(client, context, tag)
            built.append("node")
    return NodeImage(tag, image_id, base, lithos_info, extra, built)


def _build(client: docker.DockerClient, context: Path, tag: str, attempts: int = 3) -> str:
    """``docker build`` the context; retried because right after a ``docker import`` this
    Docker (20.10, fuse-overlayfs) sometimes answers "failed to get layer ... does not exist"."""
    for attempt in range(1, attempts + 1):
        try:
            image, _logs = client.images.build(
                path=str(context), tag=tag, labels={LAB_LABEL: "node"},
                pull=False, rm=True, forcerm=True,
            )
            return str(image.id)
        except (docker.errors.BuildError, docker.errors.APIError) as err:
            if attempt == attempts or "layer does not exist" not in str(err):
                raise ImageBuildError(f"docker build of the node image failed: {err}") from err
    raise AssertionError("unreachable")


def _fill_context(
    context: Path, base: str, lithos_bin: Path | None, tools_dir: Path | None
) -> list[str]:
    """Write the node image's build context; return the names of the --tools-dir executables.

    lithos and the ``--tools-dir`` executables go to ``/usr/bin``, the directory the
    tutorial's units name; a ``--tools-dir`` executable replaces a lithos one of the same
    name.
    """
    lines = [f"FROM {base}"]
    bins = context / "bin"
    bins.mkdir()
    bins.chmod(0o755)  # COPY may give /usr/bin the mode of its source directory
    if lithos_bin is not None:
        for item in sorted(lithos_bin.iterdir()):
            if item.is_file() and os.access(item, os.X_OK):
                shutil.copy2(item, bins / item.name)
    extra: list[str] = []
    if tools_dir is not None:
        for item in sorted(Path(tools_dir).iterdir()):
            if item.is_file() and os.access(item, os.X_OK):
                shutil.copy2(item, bins / item.name)
                extra.append(item.name)
    lines.append(f"COPY bin/ {TOOLS_BIN_DIR}/")
    (context / "deploydocs.pth").write_text("/opt/deploydocs\n")
    lines.append("COPY deploydocs.pth /usr/lib/python3/dist-packages/deploydocs.pth")
    init = context / "deploydocs-lab-init"
    init.write_text(NODE_INIT_SCRIPT)
    init.chmod(0o755)
    lines.append("COPY deploydocs-lab-init /usr/local/sbin/deploydocs-lab-init")
    lines.append('CMD ["/usr/local/sbin/deploydocs-lab-init"]')
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    return extra


def tools_archive(arcname: str = "tools.new") -> bytes:
    """A tar of the repository's ``tools/`` package (no bytecode), rooted at *arcname*."""

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if "__pycache__" in info.name.split("/") or info.name.endswith(".pyc"):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(TOOLS_PACKAGE, arcname=arcname, filter=keep)
    return buffer.getvalue()


def _tree_hash(root: Path) -> str:
    """12 hex digits over every file's relative path, mode and content under *root*."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(oct(path.stat().st_mode & 0o7777).encode() + b"\0")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _run(command: list[str], what: str) -> None:
    """Run one build step (see :func:`tools.lab.process.run_in_own_group`)."""
    run_in_own_group(command, what, ImageBuildError)


@contextlib.contextmanager
def _scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory removed on any exit, with anything mounted inside it unmounted."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """Unmount whatever is mounted below *path* (debootstrap mounts /proc), then delete it."""
    for mount_point in sorted(_mounts_below(path), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount_point], capture_output=True)
    if _mounts_below(path):
        raise ImageBuildError(f"{path} still has mounts below it; not deleting it")
    shutil.rmtree(path, ignore_errors=True)


def _mounts_below(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            mount_point = line.split()[4].replace("\\040", " ")
            if mount_point.startswith(prefix):
                found.append(mount_point)
    return found


def remove_images(client: docker.DockerClient) -> list[str]:
    """Remove the cached lab images (label ``deploydocs.lab``) that no container uses.

    Returns their tags. Images of running or stopped lab nodes stay, and so does the base
    image they were built from (Docker refuses to remove a parent that is in use).
    """
    in_use = {c["ImageID"] for c in client.api.containers(all=True)}
    removed = []
    for image in client.images.list(filters={"label": LAB_LABEL}):
        if image.id in in_use:
            continue
        name = image.tags[0] if image.tags else image.id
        try:
            client.images.remove(image.id, force=False)
        except docker.errors.APIError:
            continue
        removed.append(name)
    return removed
