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

An inventory's hosts are reached here with :mod:`tools.ssh`; a lab's nodes come from
the lab, which this module never imports: :data:`LAB_HOOK` names the function that
gives them, imported when a target is a lab. In a copy of ``tools/`` without ``lab/``
that is an environment error (exit 3) and inventories still work.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..errors import BadInput, MissingBinary, NoTarget, Unreachable
from ..hosts import Host
from ..parts import import_part
from ..ssh import inventory_hosts

INVENTORY_BACKEND = "ssh"
"""The backend whose machines an inventory lists: reached here, with no lab."""
LAB_BACKENDS = ("docker", "qemu")
"""The backends whose nodes a lab runs (the lab's registry has the same names)."""
BACKEND_NAMES = (*LAB_BACKENDS, INVENTORY_BACKEND)
"""Every name ``--backend`` takes."""
DEFAULT_BACKEND = "docker"
"""The lab backend of ``$DEPLOYDOCS_LAB_NAME`` without ``$DEPLOYDOCS_LAB_BACKEND``."""
DEFAULT_LAB_NAME = "deploydocs.lab"
"""The lab meant when none is named (the lab's label)."""
LAB_HOOK = ".lab.targets:lab_nodes"
"""Where the lab's nodes come from: ``module:function``, the module relative to this
package (as the command registry of :mod:`tools.cli` names modules). The function
takes the backend, the lab's name and the hint for a lab that is not up."""
LAB_MISSING = "the lab is not part of this copy of tools"
"""What a command whose target is a lab says when ``lab/`` is not there."""

INVENTORY_ENV = "DEPLOYDOCS_INVENTORY"
BACKEND_ENV = "DEPLOYDOCS_LAB_BACKEND"
LAB_NAME_ENV = "DEPLOYDOCS_LAB_NAME"
LOCAL_INVENTORY = "hosts.toml"
"""The inventory a machine command uses when it finds one in the current directory."""
REACH_TIMEOUT = 30.0
"""Seconds each node gets to answer ``true`` before a command acts on it."""


@dataclass(frozen=True)
class Target:
    """The machines a command acts on: a lab's nodes, or an inventory's hosts."""

    backend: str
    """``docker`` or ``qemu`` (a lab's nodes), or ``ssh`` (an inventory's hosts)."""
    inventory: Path | None = None
    """The ssh backend's inventory."""
    lab_name: str = DEFAULT_LAB_NAME
    """The lab, for ``docker`` and ``qemu``."""
    source: str = ""
    """Where the target came from (``--inventory``, ``$DEPLOYDOCS_INVENTORY``...)."""

    def hint(self) -> str:
        """What to check when its machines do not answer."""
        if self.backend == INVENTORY_BACKEND:
            return (f"check the address, port, user and key of each host in {self.inventory}"
                    " and that sshd runs there")
        options = "" if self.backend == DEFAULT_BACKEND else f" --backend {self.backend}"
        options += "" if self.lab_name == DEFAULT_LAB_NAME else f" --name {self.lab_name}"
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
    if backend not in BACKEND_NAMES:
        raise BadInput(f"{source}: unknown backend {backend!r} "
                       f"(known: {', '.join(BACKEND_NAMES)})")
    if backend == INVENTORY_BACKEND:
        found = _inventory_around(environ, cwd)
        if found is None:
            raise BadInput("the ssh backend needs an inventory: pass --backend ssh "
                           f"--inventory FILE (or set {INVENTORY_ENV}, or put a "
                           f"{LOCAL_INVENTORY} here)")
        return found
    return Target(backend, lab_name=environ.get(LAB_NAME_ENV) or DEFAULT_LAB_NAME, source=source)


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


LabNodes = Callable[[str, str, str], Mapping[str, Host]]
"""The lab's hook: ``(backend, lab name, hint)`` → its nodes by name."""


def lab_hook() -> LabNodes:
    """The function :data:`LAB_HOOK` names, imported; stops with
    :class:`~tools.errors.MissingDependency` (exit 3) when the lab is not in this copy."""
    module, _, function = LAB_HOOK.partition(":")
    hook: LabNodes = getattr(import_part(module, LAB_MISSING), function)
    return hook


def target_hosts(target: Target) -> dict[str, Host]:
    """The machines of *target*, by name: an inventory's hosts (read here), or a lab's
    nodes (from the lab, :func:`lab_hook`; a lab is never started).

    An invalid inventory is :class:`~tools.errors.BadInput`; a lab that is not up,
    :class:`~tools.errors.Unreachable` (exit 3).
    """
    if target.inventory is not None:
        try:
            return dict(inventory_hosts(target.inventory))
        except ValueError as exc:  # an InventoryError is one
            raise BadInput(str(exc)) from exc
    return dict(lab_hook()(target.backend, target.lab_name, target.hint()))


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
    hosts = target_hosts(target)
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
    return click.option("--backend", type=click.Choice(list(BACKEND_NAMES)), default=None,
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
