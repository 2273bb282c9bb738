"""The lab's label and errors; the host protocol the backends implement, re-exported.

A backend gives named hosts: :class:`tools.hosts.Host` (with
:class:`~tools.hosts.CommandResult`, :class:`~tools.hosts.HostInfo` and
:func:`~tools.hosts.atomic_write_script`) is defined in :mod:`tools.hosts`, which
code outside the lab imports; the names stay importable from here for the Sphinx
extension and its tests.
"""

from __future__ import annotations

from ..hosts import CommandResult, Host, HostInfo, atomic_write_script

__all__ = [
    "LAB_LABEL",
    "CommandResult",
    "DockerUnreachable",
    "Host",
    "HostInfo",
    "LabError",
    "atomic_write_script",
]

LAB_LABEL = "deploydocs.lab"
"""Docker label / name prefix carried by every lab resource."""


class LabError(RuntimeError):
    """The lab could not be brought up or changed; the message says what failed.

    Defined here rather than in :mod:`tools.lab.backends.docker` so that code catching it
    needs neither that module nor the ``docker`` library it imports.
    """


class DockerUnreachable(LabError):
    """The Docker daemon does not answer (not running, or its socket is not ours)."""
