"""The records a lab's last complete ``up`` leaves: what each backend's JSON file holds.

They are plain JSON documents, read back by later commands (and by the Sphinx
extension), so they stay dicts; these types say which keys they have. Every key
may be missing from a record written by an older version, hence ``total=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class ImageEntry(TypedDict, total=False):
    """The image a lab's nodes run. The docker lab's node image has ``tag``, ``id`` and
    ``base``; the qemu lab's cached base image the rest, and a ``tag`` to show."""

    tag: str
    id: str
    """The Docker image's id."""
    base: str
    """The tag of the Debian base image the docker node image was made from."""
    directory: str
    """The qemu base image's directory in the cache."""
    hash: str
    """The hash of its recipe, which names it in the cache."""
    built: bool
    """Whether that ``up`` built it (else the cache had it)."""
    kernel: str
    """The version of the kernel the VMs boot."""


class NodeEntry(TypedDict, total=False):
    """One node of a lab: a container has ``id`` and ``container``; a VM,
    ``pid``, ``ssh_port`` and ``address``."""

    id: str
    """The container's Docker id."""
    container: str
    """The container's name, ``<lab name>-<node>``."""
    pid: int
    """The qemu process running the VM."""
    ssh_port: int
    """The port of 127.0.0.1 forwarded to the VM's sshd."""
    address: str
    """The VM's address on the lab network."""


class LabRecord(TypedDict, total=False):
    """What the record of every backend that runs a lab holds."""

    name: str
    backend: str
    image: ImageEntry
    nodes: dict[str, NodeEntry]
    lithos: dict[str, str]
    """``{"bin_dir": ...}`` or ``{"absent": why}``."""
    extra_tools: list[str]
    tools_dir: str | None


class DockerRecord(LabRecord, total=False):
    """``lab.json``: the docker lab's resources (see :mod:`tools.lab.state`)."""

    network: dict[str, str]
    mirror: dict[str, str]
    """The package mirror's container: ``id``, ``container`` and the served ``root``."""
    security: Mapping[str, object]


class QemuRecord(LabRecord, total=False):
    """``qemu/qemu.json``: the qemu lab's VMs (see :mod:`tools.lab.backends.qemu`)."""

    accel: str
    accel_reason: str
    memory_mb: int
    timings: dict[str, float]
