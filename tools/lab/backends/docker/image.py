"""The docker lab's machine image: a bare Debian 12, built locally and cached.

No image can be pulled, so the lab makes its own. The image is a Debian bookworm
root made by ``debootstrap --variant=minbase`` with :data:`BARE_PACKAGES` (what a
cloud provider's Debian 12 image has: systemd as init, sshd, python3, curl, CA
certificates), imported with ``docker import``. Like a provider's image it has:

* no ssh host keys and an empty ``/etc/machine-id``: each machine makes its own on
  its first boot (sshd's keys through a drop-in, the id through systemd);
* the provider's package sources: apt and pip point at the lab's mirror
  (:mod:`tools.lab.backends.docker.mirror`), which stands in for Debian's archive and PyPI;
* nothing of this project, lithos, cantal or verwalter: the tutorial's own blocks
  install them.

Its tag carries the hash of its recipe (``deploydocs.lab/base:<hash12>``), so a
second ``lab up`` builds nothing. It carries the label ``deploydocs.lab``; it is a
cache: ``lab down`` keeps it, ``lab reap --images`` removes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from ...base import LAB_LABEL
from ...process import run_in_own_group
from ...provision import (
    DEBOOTSTRAP,
    MIRROR,
    SUITE,
    ImageBuildError,
    debian_recipe,
    recipe_hash,
    remove_tree,
)

BARE_PACKAGES = (
    "systemd-sysv",
    "openssh-server",
    "python3",
    "curl",
    "ca-certificates",
    "iproute2",
    "procps",
    "iputils-ping",
    "netcat-openbsd",
)
"""What a docker node starts with: what a cloud provider's Debian 12 image has (systemd
as init, sshd, python3, curl, CA certificates, the usual network and process tools) and
nothing of this project, lithos, cantal or verwalter. Everything else reaches a node
through the tutorial's own blocks, from the lab's package mirror
(:mod:`tools.lab.backends.docker.mirror`). ``netcat-openbsd`` also lets the ssh backend
reach a docker node's sshd on the internal network through ``docker exec NODE nc``."""

BASE_REPOSITORY = "deploydocs.lab/base"
RECIPE_VERSION = 3
"""Bump when the way the base root is prepared changes (it is part of the recipe hash)."""

STOP_SIGNAL = "SIGRTMIN+3"
"""The signal that asks systemd as PID 1 for an orderly shutdown (``docker stop`` sends it;
``docker import`` cannot record it in the image, so each node's container carries it)."""

BOOT_SCRIPT_PATH = "/usr/local/sbin/deploydocs-lab-boot"
BOOT_SCRIPT = """\
#!/bin/sh
# deploydocs lab: how a docker node powers on (the container's command).
# Docker mounts the cgroup v1 hierarchies read-only inside a container; systemd, and
# lithos after it, must create cgroups there. The node has its own cgroup namespace,
# so making these mounts writable exposes only the node's own part of the host's tree.
# (A virtual or real machine has no such step: its kernel mounts them writable.)
for dir in /sys/fs/cgroup/*/; do
    if mountpoint -q "$dir"; then
        mount -o remount,bind,rw "$dir" 2>/dev/null || echo "cgroup $dir stays read-only" >&2
    fi
done
exec /lib/systemd/systemd
"""

HOST_KEYS_DROP_IN = """\
# deploydocs lab: make this machine's own ssh host keys on its first boot, as a cloud
# image's first-boot agent does (the image itself carries none).
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
"""

Progress = Callable[[str], None]


@dataclass
class NodeImage:
    """The image every docker node boots, and what went into it."""

    tag: str
    image_id: str
    base_tag: str
    lithos: dict[str, str] = field(default_factory=dict)
    """Always ``{"absent": why}``: lithos reaches the nodes through the pages."""
    extra_tools: list[str] = field(default_factory=list)
    """Always empty: the ``--tools-dir`` executables reach the nodes through the pages."""
    built: list[str] = field(default_factory=list)
    """Which images this call had to build (empty when the image came from the cache)."""


def base_recipe() -> dict[str, object]:
    """Everything that decides the content of the base image."""
    from .mirror import APT_SOURCES_LIST, PIP_CONF

    recipe = debian_recipe(BARE_PACKAGES)
    recipe.pop("python_requirements", None)  # nothing is pip-installed on a bare machine
    return {
        **recipe, "version": RECIPE_VERSION, "boot": BOOT_SCRIPT,
        "host_keys": HOST_KEYS_DROP_IN, "apt": APT_SOURCES_LIST, "pip": PIP_CONF,
    }


def base_tag() -> str:
    """The tag of the base image for the current recipe."""
    return f"{BASE_REPOSITORY}:{recipe_hash(base_recipe())}"


def _image_exists(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def ensure_base_image(client: docker.DockerClient, progress: Progress = print) -> tuple[str, bool]:
    """Return ``(tag, built)`` for the bare node image, building it if the cache lacks it."""
    tag = base_tag()
    if _image_exists(client, tag):
        return tag, False
    if not os.path.exists(DEBOOTSTRAP):
        raise ImageBuildError(f"{DEBOOTSTRAP} is missing: install debootstrap to build the lab")
    with _scratch_dir("deploydocs.lab-base-") as scratch:
        root = scratch / "root"
        progress(f"debootstrap {SUITE} (minbase + {len(BARE_PACKAGES)} packages)")
        command = [
            DEBOOTSTRAP, "--variant=minbase", f"--include={','.join(sorted(BARE_PACKAGES))}",
            SUITE, str(root), MIRROR,
        ]
        _run(command, "debootstrap")
        _prepare_root(root)
        progress("packing the root file system")
        tarball = scratch / "root.tar"
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."], "tar")
        progress(f"docker import → {tag}")
        repository, _, version = tag.partition(":")
        try:
            client.api.import_image(
                src=str(tarball), repository=repository, tag=version,
                changes=[f"LABEL {LAB_LABEL}=base", "ENV container=docker",
                         f'CMD ["{BOOT_SCRIPT_PATH}"]'],
            )
        except docker.errors.APIError as err:
            raise ImageBuildError(f"docker import of the base root failed: {err}") from err
    if not _image_exists(client, tag):
        raise ImageBuildError(f"docker import finished but {tag} is not there")
    return tag, True


def _prepare_root(root: Path) -> None:
    """Make the root what a provider hands out: no host keys and an empty machine id (each
    machine makes its own on first boot), the provider's package sources (the lab's
    mirror), systemd as init, and nothing cached."""
    from .mirror import APT_SOURCES_LIST, PIP_CONF

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
    sources = root / "etc" / "apt" / "sources.list"
    sources.write_text(APT_SOURCES_LIST)
    for extra in (root / "etc" / "apt" / "sources.list.d").glob("*"):
        extra.unlink()
    (root / "etc" / "pip.conf").write_text(PIP_CONF)
    drop_in = root / "etc" / "systemd" / "system" / "ssh.service.d"
    drop_in.mkdir(parents=True, exist_ok=True)
    (drop_in / "host-keys.conf").write_text(HOST_KEYS_DROP_IN)
    boot = root / BOOT_SCRIPT_PATH.lstrip("/")
    boot.parent.mkdir(parents=True, exist_ok=True)
    boot.write_text(BOOT_SCRIPT)
    boot.chmod(0o755)
    # Units that have nothing to do in a container and would only fail at every boot.
    for unit in ("getty@tty1.service", "console-getty.service", "systemd-udevd.service",
                 "systemd-modules-load.service", "sys-kernel-config.mount",
                 "sys-kernel-debug.mount", "systemd-remount-fs.service"):
        masked = root / "etc" / "systemd" / "system" / unit
        if not masked.exists():
            masked.symlink_to("/dev/null")


def ensure_node_image(client: docker.DockerClient, progress: Progress = print) -> NodeImage:
    """Return the image every node boots (the bare base image), building it if needed."""
    base, built = ensure_base_image(client, progress)
    image_id = _image_exists(client, base) or base
    return NodeImage(base, image_id, base,
                     {"absent": "not on a bare machine: the tutorial's blocks install it"},
                     [], ["base"] if built else [])


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
