"""The lab as a target of the command line: its nodes, and its errors in the CLI's terms.

The machine commands (:mod:`tools.commands.nodes`) never import the lab: when a
command's target is a lab they import :func:`lab_nodes` by the name their
``LAB_HOOK`` string gives, so a copy of ``tools/`` without ``lab/`` still acts on the
machines of an inventory. The ``lab`` commands (:mod:`tools.lab.cli`) open the lab
itself with :func:`attach`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import (
    DOCKER_MISSING,
    OWN_MACHINES_HINT,
    BadInput,
    DaemonUnreachable,
    MissingDependency,
    Unreachable,
)
from ..hosts import Host
from ..inventory import InventoryError
from .base import DockerUnreachable, LabError
from .lab import Lab, open_lab

DOCKER_LIBRARY = "docker"
"""The Python library the docker backend needs (a module missing under it is that)."""


@contextlib.contextmanager
def lab_errors() -> Iterator[None]:
    """Turn the lab's own errors about its environment into the command line's: the
    ``docker`` library missing, no Docker daemon, an invalid inventory."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != DOCKER_LIBRARY:
            raise
        raise MissingDependency(DOCKER_MISSING, hint=OWN_MACHINES_HINT) from exc
    except DockerUnreachable as exc:
        raise DaemonUnreachable(str(exc), hint=f"start Docker, or {OWN_MACHINES_HINT}") from exc
    except InventoryError as exc:
        raise BadInput(str(exc)) from exc


def attach(backend: str, name: str, inventory: Path | None, hint: str) -> Lab:
    """The lab *name* of *backend* (or the machines of *inventory*), attached to: a lab
    is never started here.

    A lab that is not up is :class:`~tools.errors.Unreachable` (exit 3, with *hint*);
    options the backend refuses are :class:`~tools.errors.BadInput`.
    """
    with lab_errors():
        try:
            return open_lab(backend, inventory=inventory, start=False, name=name)
        except LabError as exc:
            if isinstance(exc, DockerUnreachable):
                raise
            raise Unreachable(str(exc), hint=hint) from exc
        except ValueError as exc:
            raise BadInput(str(exc)) from exc


def lab_nodes(backend: str, name: str, hint: str) -> dict[str, Host]:
    """The nodes of the lab *name* of *backend* (``docker`` or ``qemu``), by name: the
    hook the machine commands call (:func:`attach` says how it fails)."""
    lab = attach(backend, name, None, hint)
    return {node: lab.hosts[node] for node in lab.nodes}
