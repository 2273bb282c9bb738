"""The lab's backends behind one protocol, and the registry that names them.

A backend runs the nodes of one lab: ``docker`` (containers, the package
:mod:`.docker`), ``qemu`` (VMs, the package :mod:`.qemu`) or ``ssh`` (machines of
an inventory, :mod:`.ssh`). The docker and qemu packages each hold their machines'
image and the reaping of what killed runs left. :data:`BACKENDS` maps each name to
how it is opened, so the lab (:func:`tools.lab.lab.open_lab`) and the command line
ask the registry instead of testing names. A backend is imported only when it is
opened (or reaped): the ``docker`` library is needed by the docker backend alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ...hosts import Host
from ..base import LAB_LABEL

Progress = Callable[[str], None]


class Backend(Protocol):
    """What every backend does for the lab (a backend that cannot do a thing says so)."""

    name: str
    """The lab's name (the prefix of its resources)."""
    kind: str
    """The backend's name in :data:`BACKENDS`."""
    inventory: Path | None
    """The inventory the nodes come from (the ssh backend), else None."""

    def up(self, *, tools_dir: Path | None = None, with_lithos: bool = True,
           progress: Progress = print) -> Mapping[str, object]:
        """Make the lab exist and run (idempotent); return its record."""
        ...

    def down(self) -> list[str]:
        """Remove the lab's nodes and files; return what went."""
        ...

    def is_up(self) -> bool:
        """Whether the lab is there (some of its nodes may be stopped)."""
        ...

    def check_up(self) -> None:
        """Raise :class:`~tools.lab.base.LabError` saying how to bring the lab up, unless
        it is up."""
        ...

    def hosts(self) -> Mapping[str, Host]:
        """The nodes, by name."""
        ...

    def node_running(self, node: str) -> bool:
        """Whether *node* is powered on."""
        ...

    def fault(self, node: str, action: str) -> None:
        """Break *node*: ``stop`` or ``isolate`` (``kill:`` is the lab's, on any backend)."""
        ...

    def heal(self, node: str, action: str) -> None:
        """Undo :meth:`fault` (idempotent); wait until the node answers again."""
        ...

    def fingerprint(self) -> dict[str, object]:
        """What the nodes are made of, for verification records (beyond their probes)."""
        ...

    def status_lines(self) -> list[str]:
        """Lines ``lab status`` prints below the table of nodes."""
        ...

    def recorded_tools_dir(self) -> Path | None:
        """The ``--tools-dir`` of the lab's last ``up`` (None: none, or not a directory)."""
        ...


@dataclass(frozen=True)
class LabOptions:
    """What opening a backend may need (each backend reads its part)."""

    name: str = LAB_LABEL
    inventory: Path | None = None
    """The ssh backend's inventory."""
    nodes: int | None = None
    """How many nodes ``up`` makes (default: as many as the lab has, else three)."""


@dataclass(frozen=True)
class BackendEntry:
    """One backend in the registry."""

    name: str
    summary: str
    """What its nodes are, for help texts."""
    open: Callable[[LabOptions], Backend]
    reap: Callable[[bool, bool], list[str]] | None = None
    """``(everything, images)`` → what was removed: leftovers of killed runs (with
    *everything*, every lab's resources; with *images*, the cached images too)."""
    needs_inventory: bool = False
    """Whether its nodes come from an inventory file (rather than from a lab it runs)."""


def _open_docker(options: LabOptions) -> Backend:
    from .docker import DockerLab

    return DockerLab(options.name, nodes=options.nodes)


def _reap_docker(everything: bool, images: bool) -> list[str]:
    from .docker import connect
    from .docker.image import remove_images
    from .docker.reap import reap

    client = connect()
    removed = reap(client, everything=everything)
    if images:
        removed += [f"image {tag}" for tag in remove_images(client)]
    return removed


def _open_qemu(options: LabOptions) -> Backend:
    from .qemu import NODE_NAMES, QemuLab

    if options.nodes not in (None, len(NODE_NAMES)):
        raise ValueError(f"the qemu backend always has {len(NODE_NAMES)} VMs "
                         f"(--nodes {len(NODE_NAMES)})")
    return QemuLab(options.name)


def _reap_qemu(everything: bool, _images: bool) -> list[str]:
    from .qemu import reap

    return reap(everything=everything)


def _open_ssh(options: LabOptions) -> Backend:
    from .ssh import SshLab

    if options.inventory is None:
        raise ValueError("the ssh backend needs an inventory file")
    return SshLab(options.inventory, options.name)


BACKENDS: dict[str, BackendEntry] = {
    "docker": BackendEntry("docker", "docker containers", _open_docker, _reap_docker),
    "qemu": BackendEntry("qemu", "qemu VMs with their own kernel", _open_qemu, _reap_qemu),
    "ssh": BackendEntry("ssh", "machines of an ssh inventory", _open_ssh,
                        needs_inventory=True),
}
"""Every backend, by name."""
DEFAULT_BACKEND = "docker"
LAB_BACKENDS = tuple(name for name, entry in BACKENDS.items() if not entry.needs_inventory)
"""The backends that run a lab of their own (``lab up`` makes it)."""
INVENTORY_BACKEND = next(name for name, entry in BACKENDS.items() if entry.needs_inventory)
"""The backend whose nodes an inventory file lists."""


def backend_entry(name: str) -> BackendEntry:
    """The registry's entry *name*, or :class:`ValueError` naming the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown lab backend {name!r} (known: {', '.join(BACKENDS)})") from None


def open_backend(name: str, options: LabOptions | None = None) -> Backend:
    """Backend *name* for the lab of *options* (nothing is started)."""
    return backend_entry(name).open(options or LabOptions())
