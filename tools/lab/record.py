"""The records a lab's last complete ``up`` leaves: what each backend's JSON file holds.

They are plain JSON documents, read back by later commands (and by the Sphinx
extension), so they stay dicts; these types say which keys they have. Every key
may be missing from a record written by an older version, hence ``total=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class DockerImageEntry(TypedDict, total=False):
    """The node image the containers run."""

    tag: str
    id: str
    base: str


class ContainerEntry(TypedDict, total=False):
    """One node container."""

    id: str
    container: str
    machine_id: str


class DockerRecord(TypedDict, total=False):
    """``lab.json``: the docker lab's resources (see :mod:`tools.lab.state`)."""

    name: str
    backend: str
    network: dict[str, str]
    image: DockerImageEntry
    lithos: dict[str, str]
    """``{"bin_dir": ...}`` or ``{"absent": why}``."""
    extra_tools: list[str]
    nodes: dict[str, ContainerEntry]
    security: Mapping[str, object]
    tools_dir: str | None


class QemuImageEntry(TypedDict, total=False):
    """The cached base image the VMs boot from."""

    directory: str
    hash: str
    tag: str
    built: bool
    kernel: str


class VmEntry(TypedDict, total=False):
    """One VM."""

    pid: int
    ssh_port: int
    address: str


class QemuRecord(TypedDict, total=False):
    """``qemu/qemu.json``: the qemu lab's VMs (see :mod:`tools.lab.backends.qemu`)."""

    backend: str
    name: str
    accel: str
    accel_reason: str
    image: QemuImageEntry
    lithos: dict[str, str]
    """``{"bin_dir": ...}`` or ``{"absent": why}``."""
    extra_tools: list[str]
    tools_dir: str | None
    memory_mb: int
    timings: dict[str, float]
    nodes: dict[str, VmEntry]
