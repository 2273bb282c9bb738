"""What the docker nodes and the qemu VMs are provisioned with alike.

Both start from a Debian root made by ``debootstrap --variant=minbase`` (of
:data:`SUITE` from :data:`MIRROR`) with :data:`NODE_PACKAGES`, get the pinned
runtime dependencies of ``tools/`` with pip (:func:`runtime_requirements`), and
real lithos binaries when they can be had (:func:`find_lithos`). Each image's
recipe starts with :func:`debian_recipe` and is named by :func:`recipe_hash`. A build's
root is deleted with :func:`remove_tree`, which first unmounts what debootstrap mounted.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

Progress = Callable[[str], None]

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP = "/usr/sbin/debootstrap"
NODE_PACKAGES = (
    "openssh-server",
    "rsync",
    "iproute2",
    "iputils-ping",
    "netcat-openbsd",
    "procps",
    "psmisc",
    "curl",
    "ca-certificates",
    "python3",
)
"""Debian packages of every node, container or VM: what the tutorial and the lab use there.
``netcat-openbsd`` lets the ssh backend reach a docker node's sshd on the internal network
through ``docker exec NODE nc``."""

TOOLS_PACKAGE = Path(__file__).resolve().parent.parent
"""The ``tools/`` package, installed on every node."""


class ImageBuildError(RuntimeError):
    """An image of the lab could not be built; the message says which step failed."""


def runtime_requirements() -> list[str]:
    """The runtime dependencies of the tools, as the nodes' pip gets them.

    In the repository these are the docs project's exact pins (``[project].dependencies``
    of the ``pyproject.toml`` beside this package), so every lab runs what the tests ran.
    Installed as the ``deploydocs-tools`` distribution, they are that distribution's own
    requirements with its ``lab`` extra. There is no third copy to drift.
    """
    pyproject = TOOLS_PACKAGE.parent / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text())
        if data["project"]["name"] == "deploydocs":
            return sorted(data["project"]["dependencies"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        requires = importlib.metadata.requires("deploydocs-tools") or []
    except importlib.metadata.PackageNotFoundError as err:
        raise ImageBuildError(
            f"no requirements for the nodes: neither {pyproject} (the repository's) nor an "
            "installed deploydocs-tools distribution") from err
    wanted: list[str] = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        if not marker or marker.replace(" ", "") in ('extra=="lab"', "extra=='lab'"):
            wanted.append(requirement.strip())
    return sorted(wanted)


def debian_recipe(packages: Iterable[str]) -> dict[str, object]:
    """The part of a recipe every image shares: the Debian root with *packages*, and the
    Python requirements pip installs on it."""
    return {
        "suite": SUITE,
        "mirror": MIRROR,
        "variant": "minbase",
        "packages": sorted(packages),
        "python_requirements": runtime_requirements(),
    }


def recipe_hash(recipe: object) -> str:
    """First 12 hex digits of the SHA-256 of the recipe's canonical JSON."""
    text = json.dumps(recipe, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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


def find_lithos(progress: Progress) -> tuple[Path | None, dict[str, str]]:
    """The bin dir of real lithos binaries (built once, then cached), or None; and what the
    lab's record says of it: ``{"bin_dir": ...}``, or ``{"absent": why}``."""
    try:
        from ..lithos.build import ensure_lithos
    except ImportError as err:
        return None, {"absent": f"tools.lithos.build is not available: {err}"}
    progress("lithos 0.18.4 binaries (built once, then cached; a build takes many minutes)")
    try:
        bin_dir = Path(ensure_lithos(progress=_lithos_progress(progress)))
    except Exception as err:
        return None, {"absent": f"ensure_lithos() failed: {type(err).__name__}: {err}"}
    if not (bin_dir / "lithos_tree").is_file():
        return None, {"absent": f"ensure_lithos() returned {bin_dir} without lithos_tree"}
    return bin_dir, {"bin_dir": str(bin_dir)}


def _lithos_progress(progress: Progress) -> Progress:
    """Pass lithos build status lines on, but not every line of cargo's output."""

    def report(line: str) -> None:
        text = line.strip()
        if text.startswith(("Compiling", "Downloaded", "Downloading")):
            return
        if text:
            progress(f"lithos: {text[:120]}")

    return report
