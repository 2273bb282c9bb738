"""``python -m tools lab``: Start, inspect and stop the lab's machines.

These commands are about the lab itself, so without ``--name`` they mean the default
lab (and with ``--inventory``, the hosts of an ssh inventory). A lab that is not up,
nodes that do not answer, no Docker daemon and no ``docker`` library are environment
errors (exit 3); an operation on the lab that fails exits 1. ``lab exec`` exits with
its command's status (255 when the node is down, as ssh does).

The group lives in the lab (``python -m tools`` registers it by name, as ``.lab.cli``),
so a copy of ``tools/`` without ``lab/`` simply has no ``lab`` command.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import click

from ..commands.nodes import Target, unreachable_reason
from ..errors import BadInput, CheckFailed, Unreachable
from ..inventory import InventoryError
from ..probe import REAL_TOOLS
from .backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    INVENTORY_BACKEND,
    LAB_BACKENDS,
    Backend,
    LabOptions,
    open_backend,
)
from .base import LAB_LABEL, DockerUnreachable, LabError
from .fault_actions import FaultAction
from .lab import Lab
from .targets import attach, lab_errors
from .workstation import Workstation

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])


class _LoginHost(Protocol):
    """A node ``lab shell`` can log in to (every backend's hosts can)."""

    def login_argv(self) -> list[str]:
        """An interactive login shell on the node, on this terminal."""
        ...

LAB_NAME_HELP = "Lab name: prefix of its Docker resources (must start with deploydocs.lab)."


def _name_option(func: F) -> F:
    func = click.option(  # stored in ctx.meta, read by _backend()
        "--backend", type=click.Choice(list(LAB_BACKENDS)), default=DEFAULT_BACKEND,
        show_default=True, expose_value=False,
        callback=lambda ctx, _param, value: ctx.meta.update(lab_backend=value),
        help=", or ".join(BACKENDS[name].summary for name in LAB_BACKENDS) + ".")(func)
    return click.option("--name", "lab_name", default=LAB_LABEL, show_default=True,
                        help=LAB_NAME_HELP)(func)


def _backend() -> str:
    return str(click.get_current_context().meta.get("lab_backend", DEFAULT_BACKEND))


def _open_backend(lab_name: str, nodes: int | None = None) -> Backend:
    """The backend of ``--backend`` for lab *lab_name* (nothing is started); options it
    refuses are bad input."""
    try:
        return open_backend(_backend(), LabOptions(name=lab_name, nodes=nodes))
    except ValueError as err:
        raise BadInput(str(err)) from err


def _inventory_option(func: F) -> F:
    return click.option(
        "--inventory", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Use the ssh backend with this TOML inventory instead of the docker lab.",
    )(func)


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _fail(message: str, code: int) -> None:
    """Print ``error: message`` and exit *code* (for the statuses outside the table)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def _lab_operation() -> Iterator[None]:
    """Run an operation on the lab: a failure of the lab is a failed operation (exit 1),
    its environment errors are the command line's (:func:`~tools.lab.targets.lab_errors`:
    no ``docker`` library, no daemon, exit 3; an invalid inventory, exit 2)."""
    with lab_errors():
        try:
            yield
        except (DockerUnreachable, InventoryError):
            raise
        except (LabError, ValueError, RuntimeError) as err:
            raise CheckFailed(str(err)) from err


def _sigterm_as_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.group("lab")
def cli() -> None:
    """Start, inspect and stop the lab's machines."""


@cli.command("up")
@_name_option
@click.option("--tools-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory of real tool binaries (vagga, cantal-agent, verwalter...), put "
                   "on the workstation's PATH, where the tutorial copies them to the nodes "
                   "from (qemu: also installed in every VM's /usr/bin).")
@click.option("--no-lithos", is_flag=True,
              help="qemu: do not build or install lithos (docker nodes start bare anyway).")
@click.option("--nodes", type=click.IntRange(1, 32), default=None,
              help="How many nodes (docker backend): default as many as the lab has, else 3. "
                   "The tutorial needs node1..node3.")
def up(lab_name: str, tools_dir: Path | None, no_lithos: bool, nodes: int | None) -> None:
    """Build what is missing and start node1..node3, or node1..nodeN (idempotent).

    Ctrl-C (or SIGTERM) removes everything this run made; leftovers of a killed run are
    removed by the next `lab up` or `lab reap`.
    """
    console = _console()
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    started = time.monotonic()
    try:
        with _lab_operation(), console.status("lab up") as status:

            def progress(line: str) -> None:
                elapsed = time.monotonic() - started
                console.log(f"[{elapsed:6.1f} s] {line}")
                status.update(line)

            lab = _open_backend(lab_name, nodes)
            record: Mapping[str, Any] = lab.up(tools_dir=tools_dir, with_lithos=not no_lithos,
                                               progress=progress)
    except KeyboardInterrupt:
        console.print("interrupted: removed what this run had made")
        sys.exit(130)
    elapsed = time.monotonic() - started
    console.print(f"lab {lab_name} is up ({elapsed:.1f} s); node image {record['image']['tag']}")
    lithos = record.get("lithos", {})
    if "absent" in lithos:
        console.print(f"lithos: absent ({lithos['absent']})")
    mirror = record.get("mirror")
    if mirror:
        from .backends.docker.mirror import STANDS_IN_FOR

        console.print(f"package mirror: {mirror['container']} (alias mirror), standing in "
                      f"for {STANDS_IN_FOR}")
    _print_status(_open(lab_name, None))


def _target(lab_name: str, inventory: Path | None) -> Target:
    """*inventory*'s hosts, else the lab *lab_name* of ``--backend``."""
    if inventory is not None:
        return Target(INVENTORY_BACKEND, inventory, source="--inventory")
    return Target(_backend(), lab_name=lab_name, source="--name")


def _attach(target: Target) -> Lab:
    """The lab of *target* (which must be up), or its inventory's hosts as one."""
    return attach(target.backend, target.lab_name, target.inventory, target.hint())


def _open(lab_name: str, inventory: Path | None) -> Lab:
    """The lab *lab_name* of ``--backend`` (which must be up), or *inventory*'s hosts."""
    return _attach(_target(lab_name, inventory))


def _status_data(lab: Lab) -> list[dict[str, Any]]:
    """One row per node: ``state`` (``up``, ``down`` or ``unreachable``), and for a node
    that is up what its probe says (address, machine id, OS, real tools with version and
    ``sha256``); for one that does not answer, ``error`` says what its transport said."""
    from concurrent.futures import ThreadPoolExecutor

    def empty(node: str, state: str) -> dict[str, Any]:
        return {"node": node, "state": state, "address": "", "machine_id": "", "os": "",
                "tools": {}, "sha256": {}, "absent": []}

    def row(node: str) -> dict[str, Any]:
        if not lab.is_running(node):  # a stopped node is not probed: nothing answers there
            return empty(node, "down")
        reason = unreachable_reason(lab.hosts[node])
        if reason is not None:
            return {**empty(node, "unreachable"), "error": reason}
        info = lab.hosts[node].info()
        return {
            "node": info.name, "state": "up", "address": info.address,
            "machine_id": info.machine_id, "os": info.os, "tools": info.tools,
            "sha256": info.sha256, "absent": [t for t in REAL_TOOLS if t not in info.tools],
        }

    with ThreadPoolExecutor(max_workers=len(lab.nodes)) as pool:
        return list(pool.map(row, lab.nodes))


def _unreachable(rows: list[dict[str, Any]], hint: str) -> Unreachable | None:
    """The error naming the nodes of *rows* that did not answer (``None`` if all did)."""
    failed = [row for row in rows if row["state"] == "unreachable"]
    if not failed:
        return None
    said = "; ".join(f"{row['node']}: {row['error']}" for row in failed)
    return Unreachable(f"cannot reach {', '.join(str(row['node']) for row in failed)} "
                       f"({said})", hint=hint)


def _short_version(text: str) -> str:
    """The version number in a ``--version`` line ('' when the tool printed none).

    >>> [_short_version(t) for t in ("v0.8.1", "lithos_tree 0.18.4", "present at /usr/bin/x")]
    ['0.8.1', '0.18.4', '']
    """
    import re

    match = re.search(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?\S*)", text)
    return match.group(1) if match else ""


def _describe_tools(tools: dict[str, str], sha256: dict[str, str]) -> str:
    """``tool version (sha256 first 12 hex)`` for each real tool, comma-separated.

    >>> _describe_tools({"lithos_tree": "lithos_tree 0.18.4", "lithos_knot": "present at /x"},
    ...                 {"lithos_tree": "ab" * 32})
    'lithos_tree 0.18.4 (abababababab), lithos_knot'
    """
    parts = []
    for name, version in tools.items():
        text = f"{name} {_short_version(version)}".strip()
        if sha256.get(name):
            text += f" ({sha256[name][:12]})"
        parts.append(text)
    return ", ".join(parts)


def _start_hint(lab: Lab, node: str) -> str:
    """The command that powers *node* of *lab* on again."""
    options = "" if lab.backend == DEFAULT_BACKEND else f" --backend {lab.backend}"
    if lab.name != LAB_LABEL:
        options += f" --name {lab.name}"
    return f"python -m tools lab start {node}{options}"


def _print_status(lab: Lab, rows: list[dict[str, Any]] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"lab ({lab.backend})")
    table.add_column("node", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("address", no_wrap=True)
    table.add_column("machine id", no_wrap=True)
    table.add_column("os")
    table.add_column("real tools (version, sha256)")
    table.add_column("absent")
    for row in _status_data(lab) if rows is None else rows:
        if row["state"] == "unreachable":
            table.add_row(row["node"], "unreachable", "-", "-", "-",
                          f"not probed: {row['error']}", "-")
            continue
        if row["state"] == "down":
            table.add_row(row["node"], "down", "-", "-", "-",
                          f"not probed: the node is stopped ({_start_hint(lab, row['node'])})",
                          "-")
            continue
        tools = _describe_tools(row["tools"], row["sha256"])
        table.add_row(row["node"], "up", row["address"], row["machine_id"], row["os"],
                      tools or "none", ", ".join(row["absent"]) or "-")
    console = Console(width=max(140, Console().width))
    console.print(table)
    station = lab.hosts.get("workstation")
    if station is not None:
        info = station.info()
        where = (f" (--tools-dir {station.tools_dir} on its PATH)"
                 if isinstance(station, Workstation) and station.tools_dir else "")
        console.print(f"workstation{where}: real tools: "
                      f"{_describe_tools(info.tools, info.sha256) or 'none'}")
    for line in lab.provider.status_lines() if lab.provider is not None else []:
        console.print(line)


@cli.command("status")
@_name_option
@_inventory_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(lab_name: str, inventory: Path | None, as_json: bool) -> None:
    """Nodes (up, down or unreachable), addresses, machine ids, and which real tools each
    has: their versions and the SHA-256 of their binaries (the first 12 hex digits; --json:
    all).

    A node that does not answer is listed as unreachable, with what its transport said,
    and the command exits 3 (with --json: the error object only).
    """
    target = _target(lab_name, inventory)
    lab = _attach(target)
    rows = _status_data(lab)
    failed = _unreachable(rows, target.hint())
    if as_json and failed is None:
        click.echo(json.dumps(rows, indent=2))
    elif not as_json:
        _print_status(lab, rows)
    lab.close()
    if failed is not None:
        raise failed


@cli.command("exec", context_settings={"ignore_unknown_options": True})
@_name_option
@_inventory_option
@click.option("--timeout", type=float, default=None, help="Seconds before the command is killed.")
@click.argument("node")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(lab_name: str, inventory: Path | None, timeout: float | None, node: str,
          command: tuple[str, ...]) -> None:
    """Run COMMAND (after `--`) on NODE; its exit status becomes ours.

    Exit status 255 (as ssh's when it cannot reach a machine) without running anything
    when NODE is down (stopped: `lab start NODE` powers it on); 2 when there is no such
    host.
    """
    import shlex

    lab = _open(lab_name, inventory)
    if node not in lab.hosts:
        raise BadInput(f"no host {node!r} (hosts: {', '.join(lab.hosts)})")
    _refuse_down_node(lab, node)
    text = command[0] if len(command) == 1 else shlex.join(command)
    result = lab.hosts[node].run(text, timeout=timeout)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    lab.close()
    sys.exit(result.exit_status)


@cli.command("shell")
@_name_option
@_inventory_option
@click.argument("node")
def shell(lab_name: str, inventory: Path | None, node: str) -> None:
    """An interactive login shell on NODE (exit status 255 when NODE is down).

    NODE may be ``workstation``: a shell in the lab workstation's scratch directory with the
    environment the tutorial's workstation blocks get (its HOME, the project's Python and
    the lab's --tools-dir first on PATH), so ``cd ~/hello`` and ``python3 -m tools`` work
    as the pages show.
    """
    lab = _open(lab_name, inventory)
    host = lab.hosts.get(node)
    if node == "workstation" and isinstance(host, Workstation):
        env = host.environment()
        lab.close()
        os.chdir(host.scratch)
        os.execvpe("bash", ["bash", "--noprofile", "--norc", "-i"], env)
    if host is None:
        raise BadInput(f"no node {node!r} (nodes: {', '.join(lab.nodes)}, workstation)")
    _refuse_down_node(lab, node)
    argv = cast(_LoginHost, host).login_argv()
    os.execvp(argv[0], argv)


DOWN_NODE_STATUS = 255
"""Exit status of ``lab exec`` and ``lab shell`` on a node that is down (ssh's for a machine
it cannot reach): the command did not run."""


def _refuse_down_node(lab: Lab, node: str) -> None:
    """Stop with a clear message (exit :data:`DOWN_NODE_STATUS`) if node *node* is down."""
    if node in lab.nodes and not lab.is_running(node):
        lab.close()
        _fail(f"{node} is down (stopped): start it with `{_start_hint(lab, node)}`",
              DOWN_NODE_STATUS)


def _node_of(lab: Lab, node: str) -> None:
    if node not in lab.nodes:
        raise BadInput(f"no node {node!r} (nodes: {', '.join(lab.nodes)})")


@cli.command("stop")
@_name_option
@click.argument("node")
def stop(lab_name: str, node: str) -> None:
    """Power NODE off, as the tutorial's `stop` fault does (its other nodes stay up).

    `lab start NODE` powers it on again; until then `lab status` lists it as down.
    """
    lab = _open(lab_name, None)
    _node_of(lab, node)
    with _lab_operation():
        lab.fault(node, FaultAction.STOP)
    lab.close()
    click.echo(f"{node} is down; `{_start_hint(lab, node)}` starts it again")


@cli.command("start")
@_name_option
@click.argument("node")
def start(lab_name: str, node: str) -> None:
    """Power NODE on again (after `lab stop` or the `stop` fault) and wait until it answers.

    The wait has a deadline (a docker node: 60 s; a qemu VM: its boot timeout). A node that
    is up already is left alone.
    """
    lab = _open(lab_name, None)
    _node_of(lab, node)
    if lab.is_running(node):
        lab.close()
        click.echo(f"{node} is up already")
        return
    started = time.monotonic()
    with _lab_operation():
        lab.heal(node, FaultAction.STOP)
    answer = lab.hosts[node].run("hostname", timeout=30)
    lab.close()
    if not answer.ok:
        raise Unreachable(f"{node} was started but does not answer: {answer.stderr.strip()}")
    click.echo(f"{node} is up (answered after {time.monotonic() - started:.1f} s)")


@cli.command("isolate")
@_name_option
@click.argument("node")
def isolate(lab_name: str, node: str) -> None:
    """Cut NODE off the lab's network, as the tutorial's `isolate` fault does.

    NODE keeps running and `lab exec` / `lab shell` still reach it; it reaches no other
    node and none reaches it until `lab reconnect NODE`.
    """
    _fault_command(lab_name, node, heal=False)
    click.echo(f"{node} is cut off the network; `lab reconnect {node}` joins it again")


@cli.command("reconnect")
@_name_option
@click.argument("node")
def reconnect(lab_name: str, node: str) -> None:
    """Join NODE to the lab's network again (after `lab isolate` or the `isolate` fault)."""
    _fault_command(lab_name, node, heal=True)
    click.echo(f"{node} is on the network again")


def _fault_command(lab_name: str, node: str, *, heal: bool) -> None:
    """Apply or undo the ``isolate`` fault on *node*, with the lab's own fault code."""
    lab = _open(lab_name, None)
    _node_of(lab, node)
    with _lab_operation():
        (lab.heal if heal else lab.fault)(node, FaultAction.ISOLATE)
    lab.close()


@cli.command("down")
@_name_option
def down(lab_name: str) -> None:
    """Remove every container, network and volume of the lab, and its workstation's files
    (images stay cached)."""
    with _lab_operation():
        removed = _open_backend(lab_name).down()
    click.echo("\n".join(f"removed {item}" for item in removed) or "nothing to remove")


@cli.command("reap")
@click.option("--all", "everything", is_flag=True,
              help="Remove every labelled resource of every lab, not only leftovers.")
@click.option("--images", is_flag=True, help="Also remove the cached lab images.")
def reap(everything: bool, images: bool) -> None:
    """Remove what interrupted or killed runs left behind (label deploydocs.lab), on every
    backend: one whose environment is missing (no Docker daemon) does not stop the others."""
    failure: Exception | None = None
    for entry in BACKENDS.values():
        if entry.reap is None:
            continue
        try:
            with _lab_operation():
                removed = entry.reap(everything, images)
        except click.ClickException as err:
            failure = failure or err
            continue
        click.echo("\n".join(f"removed {item}" for item in removed)
                   or f"nothing of the {entry.name} backend to remove")
    if failure is not None:
        raise failure


@cli.command("inventory")
@_name_option
def inventory(lab_name: str) -> None:
    """Write an ssh inventory for the docker lab's nodes (real sshd) and print its path."""
    from .backends.ssh import docker_lab_inventory

    with lab_errors():  # it reads the docker lab's node names (the docker library)
        path = docker_lab_inventory(lab_name)
    click.echo(str(path))
