"""The qemu lab's disk images: one cached Debian root, and a small seed disk per VM.

* The **base image** is a Debian bookworm root made by ``debootstrap``
  with Debian's kernel, systemd and the packages of every lab node,
  packed into a partitionless ext4 file system (``mkfs.ext4 -d``). It is
  cached by the hash of its recipe under
  ``/var/cache/deploydocs/qemu/<hash>/`` (``disk.img``, ``vmlinuz``,
  ``initrd.img``, ``recipe.json``), built in a temporary directory next to
  it and renamed into place, so a half-built image is never used. Its
  ``/etc/machine-id`` is empty (systemd makes a new one on each VM's first
  boot) and it has no ssh host keys.
* A **seed disk** (also ext4 from ``mkfs.ext4 -d``) carries what differs
  per VM or per run: the VM's ssh host key, the lab's client key
  authorised for root, hostname, ``/etc/hosts``, the network files, the
  repository's ``tools/`` package and real tool binaries. At boot, before
  the network and sshd start, the image's ``deploydocs-seed`` unit copies
  the seed's tree onto ``/``. Changing ``tools/`` therefore never rebuilds
  the base image.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ....fs import exclusive_lock, scratch_dir
from ...process import run_in_own_group
from ...provision import (
    DEBOOTSTRAP,
    MIRROR,
    NODE_PACKAGES,
    SUITE,
    ImageBuildError,
    debian_recipe,
    recipe_hash,
    remove_tree,
)

Progress = Callable[[str], None]

CACHE_ROOT = Path("/var/cache/deploydocs/qemu")
"""Where base images are cached, one directory per recipe hash."""

RECIPE_VERSION = 2
"""Bumped whenever the way the base image is made changes."""

VM_PACKAGES = (
    # a kernel and an init of its own
    "linux-image-amd64",
    "initramfs-tools",
    "systemd",
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "e2fsprogs",
    # what the tutorial and the lab use on every node
    *NODE_PACKAGES,
    "python3-click",
    "python3-ruamel.yaml",
    "python3-jinja2",
)
"""Debian packages of every VM. The pinned runtime dependencies of ``tools/``
(:func:`tools.lab.provision.runtime_requirements`) are installed on top with pip, as on the
docker nodes, so that ``python3 -m tools`` runs the same code on both."""

INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "virtio_net", "virtio_rng", "ext4")
"""Modules forced into the initrd, so that it finds ``root=/dev/vda`` on a virtio disk."""

ROOT_SIZE = "6G"
"""Size of the (sparse) root file system; each VM's overlay only holds what it writes."""

SEED_LABEL = "ddseed"

SEED_UNIT = """\
[Unit]
Description=Apply the deploydocs lab seed disk (host key, authorised key, network, tools)
DefaultDependencies=no
Requires=dev-disk-by\\x2dlabel-ddseed.device
After=local-fs.target dev-disk-by\\x2dlabel-ddseed.device
Before=network-pre.target systemd-networkd.service ssh.service systemd-hostnamed.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/deploydocs-seed

[Install]
WantedBy=sysinit.target
"""

SEED_SCRIPT = """\
#!/bin/sh
# Copy the seed disk's tree onto / once per seed (its id is in /seed-id).
set -eu
mnt=/run/deploydocs-seed
mkdir -p "$mnt"
mount -o ro /dev/disk/by-label/ddseed "$mnt"
trap 'umount "$mnt"' EXIT
seed_id=$(cat "$mnt/seed-id")
if [ "$(cat /var/lib/deploydocs-seed.id 2>/dev/null || true)" != "$seed_id" ]; then
    tar -C "$mnt/root" -cf - . | tar -C / -xf - --no-overwrite-dir
    echo "$seed_id" > /var/lib/deploydocs-seed.id
fi
"""

SSHD_CONFIG = """\
# deploydocs lab: key logins only, one host key (installed from the seed disk).
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
"""

FSTAB = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n"

MASKED_UNITS = (
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
    "man-db.timer",
    "dpkg-db-backup.timer",
)
"""Periodic jobs that would only compete for the lab's CPU."""


class QemuImageError(ImageBuildError):
    """An image of the qemu lab could not be made; the message says which step failed."""


@dataclass(frozen=True)
class BaseImage:
    """A built base image: its directory in the cache and the files the VMs boot from."""

    directory: Path
    recipe_hash: str

    @property
    def disk(self) -> Path:
        """The raw ext4 root file system (read-only backing file of every overlay)."""
        return self.directory / "disk.img"

    @property
    def kernel(self) -> Path:
        """The kernel extracted from the root."""
        return self.directory / "vmlinuz"

    @property
    def initrd(self) -> Path:
        """The initrd extracted from the root."""
        return self.directory / "initrd.img"


def base_recipe() -> dict[str, object]:
    """Everything that decides the content of the base image."""
    return {
        **debian_recipe(VM_PACKAGES),
        "initramfs_modules": list(INITRAMFS_MODULES),
        "seed_unit": SEED_UNIT,
        "seed_script": SEED_SCRIPT,
        "sshd_config": SSHD_CONFIG,
        "fstab": FSTAB,
        "masked": list(MASKED_UNITS),
        "size": ROOT_SIZE,
        "version": RECIPE_VERSION,
    }


def cached_base_image(cache_root: Path = CACHE_ROOT) -> BaseImage | None:
    """The base image of the current recipe if the cache has it, else None."""
    digest = recipe_hash(base_recipe())
    image = BaseImage(cache_root / digest, digest)
    if all(p.is_file() for p in (image.disk, image.kernel, image.initrd)):
        return image
    return None


def ensure_base_image(cache_root: Path = CACHE_ROOT, progress: Progress = print
                      ) -> tuple[BaseImage, bool]:
    """Return ``(image, built)``, building the base image if the cache lacks it."""
    found = cached_base_image(cache_root)
    if found is not None:
        return found, False
    recipe = base_recipe()
    digest = recipe_hash(recipe)
    if not os.path.exists(DEBOOTSTRAP):
        raise QemuImageError(f"{DEBOOTSTRAP} is missing: install debootstrap")
    for tool in ("mkfs.ext4", "chroot"):
        if shutil.which(tool) is None:
            raise QemuImageError(f"{tool} is missing on the build machine")
    cache_root.mkdir(parents=True, exist_ok=True)
    with _build_lock(cache_root):
        found = cached_base_image(cache_root)
        if found is not None:
            return found, False
        for stale in cache_root.glob(".*.partial-*"):
            remove_tree(stale)
        _build(cache_root, recipe, digest, progress)
    image = cached_base_image(cache_root)
    if image is None:
        raise QemuImageError(f"the base image was built but {cache_root / digest} lacks files")
    return image, True


def _build_lock(cache_root: Path) -> contextlib.AbstractContextManager[None]:
    """One base image build at a time (an exclusive ``flock`` on a file in the cache)."""
    return exclusive_lock(cache_root / ".build.lock")


def _build(cache_root: Path, recipe: dict[str, object], digest: str, progress: Progress) -> None:
    """Build the image in a scratch directory of the cache and rename it to its hash."""
    with _scratch_dir(cache_root, f".{digest}.partial-") as scratch:
        root = scratch / "root"
        packages = recipe["packages"]
        assert isinstance(packages, list)
        progress(f"debootstrap {SUITE} with a kernel and systemd ({len(packages)} packages)")
        run([DEBOOTSTRAP, "--variant=minbase", f"--include={','.join(packages)}",
             SUITE, str(root), MIRROR], "debootstrap")
        progress("configuring the root (initrd modules, units, sshd)")
        _configure_root(root)
        _rebuild_initrd(root)
        progress("pip: the pinned runtime dependencies of tools/")
        _install_requirements(root, cast(list[str], recipe["python_requirements"]))
        out = scratch / "image"
        out.mkdir()
        _extract_boot_files(root, out)
        _strip_root(root)
        progress(f"mkfs.ext4 -d → {ROOT_SIZE} root file system")
        run(["mkfs.ext4", "-q", "-F", "-L", "ddroot", "-d", str(root), str(out / "disk.img"),
             ROOT_SIZE], "mkfs.ext4")
        (out / "recipe.json").write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
        remove_tree(root)
        final = cache_root / digest
        out.chmod(0o755)
        try:
            out.rename(final)
        except OSError as err:
            raise QemuImageError(f"could not move the image to {final}: {err}") from err


def _configure_root(root: Path) -> None:
    """Write the units, config and links that every VM shares."""
    modules = root / "etc" / "initramfs-tools" / "modules"
    existing = modules.read_text() if modules.exists() else ""
    modules.write_text(existing + "".join(f"{m}\n" for m in INITRAMFS_MODULES))
    (root / "etc" / "fstab").write_text(FSTAB)
    (root / "etc" / "machine-id").write_text("")
    dbus_id = root / "var" / "lib" / "dbus" / "machine-id"
    dbus_id.parent.mkdir(parents=True, exist_ok=True)
    if dbus_id.is_symlink() or dbus_id.exists():
        dbus_id.unlink()
    dbus_id.symlink_to("/etc/machine-id")
    (root / "etc" / "hostname").write_text("localhost\n")
    (root / "etc" / "resolv.conf").unlink(missing_ok=True)
    (root / "etc" / "resolv.conf").write_text("# the lab's VMs have no DNS\n")
    script = root / "usr" / "local" / "sbin" / "deploydocs-seed"
    script.write_text(SEED_SCRIPT)
    script.chmod(0o755)
    units = root / "etc" / "systemd" / "system"
    (units / "deploydocs-seed.service").write_text(SEED_UNIT)
    _link(units / "sysinit.target.wants" / "deploydocs-seed.service",
          "/etc/systemd/system/deploydocs-seed.service")
    for unit in MASKED_UNITS:
        _link(units / unit, "/dev/null")
    for unit, target in (("systemd-networkd.service", "multi-user.target"),
                         ("systemd-networkd.socket", "sockets.target")):
        _link(units / f"{target}.wants" / unit, f"/lib/systemd/system/{unit}")
    sshd = root / "etc" / "ssh" / "sshd_config.d" / "deploydocs.conf"
    sshd.parent.mkdir(parents=True, exist_ok=True)
    sshd.write_text(SSHD_CONFIG)


def _link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target)


def _rebuild_initrd(root: Path) -> None:
    """Regenerate the initrd inside the root with the virtio modules forced in."""
    proc = root / "proc"
    proc.mkdir(exist_ok=True)
    run(["mount", "-t", "proc", "proc", str(proc)], "mount /proc in the root")
    try:
        run(["chroot", str(root), "update-initramfs", "-u", "-k", "all"], "update-initramfs")
    finally:
        subprocess.run(["umount", "-l", str(proc)], capture_output=True)
    listing = subprocess.run(
        ["chroot", str(root), "sh", "-c", "lsinitramfs /boot/initrd.img-*"],
        capture_output=True, text=True)
    missing = [m for m in ("virtio_blk", "ext4") if f"/{m}.ko" not in listing.stdout]
    if missing:
        raise QemuImageError(f"the initrd lacks {', '.join(missing)}; the VMs would not boot")


def _install_requirements(root: Path, requirements: list[str]) -> None:
    """Install *requirements* (pinned wheels) into the root's ``/usr/local`` site directory.

    This machine's pip does it; the VM's python3 must have the same minor version.
    """
    import sys

    version = run(["chroot", str(root), "python3", "-c",
                   "import sys; print('%d.%d' % sys.version_info[:2])"], "python3 -V").strip()
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if version != here:
        raise QemuImageError(f"the VM's python3 is {version} but this machine's is {here}: "
                             "pip here cannot install the dependencies of tools/ for it")
    target = root / "usr" / "local" / "lib" / f"python{version}" / "dist-packages"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", "--target", str(target), *requirements], "pip install")


def _extract_boot_files(root: Path, out: Path) -> None:
    """Copy the (single) kernel and initrd out of the root's /boot."""
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise QemuImageError(f"expected one kernel in {root}/boot, found {len(kernels)}")
    version = kernels[0].name.removeprefix("vmlinuz-")
    initrd = root / "boot" / f"initrd.img-{version}"
    if not initrd.is_file():
        raise QemuImageError(f"{initrd} is missing")
    shutil.copyfile(kernels[0], out / "vmlinuz")
    shutil.copyfile(initrd, out / "initrd.img")
    (out / "kernel-version").write_text(version + "\n")


def _strip_root(root: Path) -> None:
    """Drop what must differ per VM (host keys) and what only takes space (apt caches)."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    for cache in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        cache.unlink()
    for item in (root / "var" / "lib" / "apt" / "lists").glob("*_*"):
        item.unlink()


def make_seed_disk(tree: Path, seed_id: str, output: Path) -> None:
    """Pack *tree* (files to copy onto ``/``) and *seed_id* into the ext4 seed disk *output*.

    The disk is written under a temporary name and renamed into place.
    """
    with tempfile.TemporaryDirectory(prefix="deploydocs.lab-seed-") as scratch:
        top = Path(scratch)
        top.chmod(0o755)
        shutil.copytree(tree, top / "root", symlinks=True)
        (top / "root").chmod(0o755)
        (top / "seed-id").write_text(seed_id + "\n")
        size_mb = 16 + _tree_bytes(top) * 13 // 10 // (1 << 20)
        partial = output.with_name(f".{output.name}.partial")
        partial.unlink(missing_ok=True)
        run(["mkfs.ext4", "-q", "-F", "-L", SEED_LABEL, "-d", str(top), str(partial),
             f"{size_mb}M"], "mkfs.ext4 (seed disk)")
        os.replace(partial, output)


def _tree_bytes(top: Path) -> int:
    return sum(p.stat().st_size for p in top.rglob("*") if p.is_file() and not p.is_symlink())


def run(command: list[str], what: str) -> str:
    """Run one build step (see :func:`tools.lab.process.run_in_own_group`)."""
    return run_in_own_group(command, what, QemuImageError)


def _scratch_dir(parent: Path, prefix: str) -> contextlib.AbstractContextManager[Path]:
    """A temporary directory in *parent* (same file system as the cache), removed on exit
    (:func:`tools.lab.provision.remove_tree`)."""
    return scratch_dir(parent, prefix, remove_tree)
