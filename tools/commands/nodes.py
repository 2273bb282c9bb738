"""Which machines a command acts on: its target, the options naming it, and opening it.

A command that touches machines never guesses them. Its target comes from, first
to last:

1. ``--inventory FILE``: the ssh backend with that inventory;
2. ``--backend docker|qemu|ssh`` on the command line: the lab named by
   ``$DEPLOYDOCS_LAB_NAME`` (default ``deploydocs.lab``), or for ``ssh`` the inventory
   of 3. or 4.;
3. ``$DEPLOYDOCS_INVENTORY``: the ssh backend with that inventory;
4. a ``hosts.toml`` in the current directory: the ssh backend with it;
5. ``$DEPLOYDOCS_LAB_BACKEND`` and ``$DEPLOYDOCS_LAB_NAME``, which the lab's workstation
   exports: that lab.

With none of these the command stops with :data:`tools.errors.NO_TARGET` (exit 2).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..errors import (
    DOCKER_MISSING,
    OWN_MACHINES_HINT,
    BadInput,
    DaemonUnreachable,
    MissingBinary,
    MissingDependency,
    NoTarget,
    Unreachable,
)
from ..hosts import Host
from ..lab.backends import BACKENDS, DEFAULT_BACKEND, INVENTORY_BACKEND
from ..lab.base import LAB_LABEL, DockerUnreachable, LabError

INVENTORY_ENV = "DEPLOYDOCS_INVENTORY"
BACKEND_ENV = "DEPLOYDOCS_LAB_BACKEND"
LAB_NAME_ENV = "DEPLOYDOCS_LAB_NAME"
LOCAL_INVENTORY = "hosts.toml"
"""The inventory a machine command uses when it finds one in the current directory."""
DOCKER_LIBRARY = "docker"
"""The Python library the docker backend needs (a module missing under it is that)."""
REACH_TIMEOUT = 30.0
"""Seconds each node gets to answer ``true`` before a command acts on it."""


@dataclass(frozen=True)
class Target:
    """The machines a command acts on: a lab's nodes, or an inventory's hosts."""

    backend: str
    """``docker`` or ``qemu`` (a lab's nodes), or ``ssh`` (an inventory's hosts)."""
    inventory: Path | None = None
    """The ssh backend's inventory."""
    lab_name: str = LAB_LABEL
    """The lab, for ``docker`` and ``qemu``."""
    source: str = ""
    """Where the target came from (``--inventory``, ``$DEPLOYDOCS_INVENTORY``...)."""

    def hint(self) -> str:
        """What to check when its machines do not answer."""
        if BACKENDS[self.backend].needs_inventory:
            return (f"check the address, port, user and key of each host in {self.inventory}"
                    " and that sshd runs there")
        options = "" if self.backend == DEFAULT_BACKEND else f" --backend {self.backend}"
        options += "" if self.lab_name == LAB_LABEL else f" --name {self.lab_name}"
        return f"is the lab up? `python -m tools lab status{options}` lists its nodes"


def _ssh_target(source: str, inventory: Path) -> Target:
    if not inventory.is_file():
        raise BadInput(f"{source}: {inventory}: no such inventory file")
    return Target(INVENTORY_BACKEND, inventory, source=source)


def _inventory_around(environ: Mapping[str, str], cwd: Path) -> Target | None:
    """The ssh target of ``$DEPLOYDOCS_INVENTORY`` or of ``./hosts.toml``, if any."""
    if environ.get(INVENTORY_ENV):
        return _ssh_target(f"${INVENTORY_ENV}", Path(environ[INVENTORY_ENV]))
    if (cwd / LOCAL_INVENTORY).is_file():
        return _ssh_target(f"./{LOCAL_INVENTORY}", cwd / LOCAL_INVENTORY)
    return None


def _lab_target(backend: str, source: str, environ: Mapping[str, str], cwd: Path) -> Target:
    if backend not in BACKENDS:
        raise BadInput(f"{source}: unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    if BACKENDS[backend].needs_inventory:
        found = _inventory_around(environ, cwd)
        if found is None:
            raise BadInput("the ssh backend needs an inventory: pass --backend ssh "
                           f"--inventory FILE (or set {INVENTORY_ENV}, or put a "
                           f"{LOCAL_INVENTORY} here)")
        return found
    return Target(backend, lab_name=environ.get(LAB_NAME_ENV) or LAB_LABEL, source=source)


def resolve_target(backend: str | None, inventory: Path | None,
                   environ: Mapping[str, str] | None = None,
                   cwd: Path | None = None) -> Target:
    """The target named by the options *backend* and *inventory*, else by the environment
    (default :data:`os.environ`) and the directory *cwd* (default the current one), in
    the order of the module docstring. Raises :class:`~tools.errors.NoTarget` when
    nothing names one, :class:`~tools.errors.BadInput` when what does is wrong."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    if inventory is not None:
        if backend not in (None, INVENTORY_BACKEND):
            raise BadInput(f"--inventory is for the ssh backend, not --backend {backend}")
        return _ssh_target("--inventory", inventory)
    if backend is not None:
        return _lab_target(backend, "--backend", environ, cwd)
    found = _inventory_around(environ, cwd)
    if found is not None:
        return found
    if environ.get(BACKEND_ENV) or environ.get(LAB_NAME_ENV):
        return _lab_target(environ.get(BACKEND_ENV) or DEFAULT_BACKEND, f"${BACKEND_ENV}",
                           environ, cwd)
    raise NoTarget()


@contextlib.contextmanager
def lab_errors() -> Iterator[None]:
    """Turn the lab's own errors about its environment into the command line's: the
    ``docker`` library missing, no Docker daemon, an invalid inventory."""
    from ..lab.inventory import InventoryError

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


def open_target(target: Target) -> Any:
    """The :class:`tools.lab.lab.Lab` of *target*, attached to (a lab is never started).

    A lab that is not up is :class:`~tools.errors.Unreachable` (exit 3).
    """
    from ..lab.lab import open_lab

    with lab_errors():
        try:
            return open_lab(target.backend, inventory=target.inventory, start=False,
                            name=target.lab_name)
        except LabError as exc:
            if isinstance(exc, DockerUnreachable):
                raise
            raise Unreachable(str(exc), hint=target.hint()) from exc
        except ValueError as exc:
            raise BadInput(str(exc)) from exc


def unreachable_reason(host: Host) -> str | None:
    """Why *host* does not run ``true`` (its error output), or ``None`` when it does.

    A missing transport (``ssh``, ``docker``) is :class:`~tools.errors.MissingBinary`.
    """
    try:
        result = host.run("true", timeout=REACH_TIMEOUT)
    except FileNotFoundError as exc:
        raise MissingBinary(f"{exc.filename or exc}: not installed, and {host.name} is "
                            "reached with it") from exc
    if result.ok:
        return None
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.exit_status}"


def check_reachable(hosts: Mapping[str, Host], hint: str | None = None) -> None:
    """Stop with :class:`~tools.errors.Unreachable` naming every host of *hosts* that does
    not answer (all are asked at once)."""
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        reasons = dict(zip(hosts, pool.map(unreachable_reason, hosts.values()), strict=True))
    failed = {name: why for name, why in reasons.items() if why is not None}
    if failed:
        said = "; ".join(f"{name}: {why}" for name, why in sorted(failed.items()))
        raise Unreachable(f"cannot reach {', '.join(sorted(failed))} ({said})", hint=hint)


def lab_hosts(backend: str | None, inventory: Path | None,
              nodes: tuple[str, ...] = ()) -> dict[str, Host]:
    """The nodes of the command's target (:func:`resolve_target`), by name: the ones
    named by *nodes*, else all; each has answered (:func:`check_reachable`)."""
    target = resolve_target(backend, inventory)
    lab = open_target(target)
    hosts: dict[str, Host] = {name: lab.hosts[name] for name in lab.nodes}
    chosen = list(nodes) or sorted(hosts)
    unknown = [name for name in chosen if name not in hosts]
    if unknown:
        raise BadInput(f"unknown node(s) {', '.join(unknown)}; have {', '.join(sorted(hosts))}")
    picked = {name: hosts[name] for name in chosen}
    check_reachable(picked, hint=target.hint())
    return picked


def choose_nodes(backend: str | None, inventory: Path | None,
                 nodes: tuple[str, ...]) -> dict[str, Host]:
    """The hosts named by ``--node`` (every node when none is), refusing unknown names."""
    return lab_hosts(backend, inventory, nodes)


TARGET_HELP = ("Where the nodes are: a lab's docker containers or qemu VMs, or ssh with an "
               "inventory. Without it: --inventory, $DEPLOYDOCS_INVENTORY, ./hosts.toml, "
               "then the lab of $DEPLOYDOCS_LAB_BACKEND / $DEPLOYDOCS_LAB_NAME (as the lab's "
               "workstation sets them); none of these is an error.")


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--backend`` (no default) and ``--inventory``: the target's options."""
    func = click.option("--inventory", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
                        help="SSH inventory (TOML): act on its hosts (the ssh backend).")(func)
    return click.option("--backend", type=click.Choice(list(BACKENDS)), default=None,
                        help=TARGET_HELP)(func)


def node_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--backend``, ``--inventory``, ``--node`` (repeatable) and ``--json``."""
    options = [
        click.option("--node", "nodes", multiple=True, help="Only these nodes (repeatable)."),
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        func = option(func)
    return target_options(func)
