"""``python -m tools cantal``: the agent's command line and unit, peers, app metrics.

The commands that ask an agent ask the one at ``--agent`` (default: this machine's, as
the tutorial runs them on a node). A check fails (exit 1) when peers are missing at the
deadline, no metric matches or a metrics file is bad; an agent that does not answer is
an environment error (exit 3), as for every command (:mod:`tools.errors`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import cantal
from ..errors import BadInput, CheckFailed, ToolsError, Unreachable

AGENT_HINT = "is cantal-agent running there? pass --agent URL to ask another one"


def agent_error(exc: cantal.CantalError) -> ToolsError:
    """The command line's error for *exc*: an agent (or a name) that does not answer is
    :class:`~tools.errors.Unreachable`; a wrong answer is a failed check."""
    if isinstance(exc.__cause__, OSError):
        return Unreachable(str(exc), hint=AGENT_HINT)
    return CheckFailed(str(exc))


def _peer(addr: str) -> str:
    """``ip:port`` for peer *addr*; a bad port is bad input, a name not found unreachable."""
    try:
        return cantal.peer_address(addr)
    except cantal.CantalError as exc:
        if isinstance(exc.__cause__, OSError):
            raise Unreachable(str(exc)) from exc
        raise BadInput(str(exc)) from exc


def _agent_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--host", default="127.0.0.1", show_default=True,
                     help="Bind address (0.0.0.0 or the node IP for a cluster)."),
        click.option("--port", default=cantal.DEFAULT_PORT, show_default=True, type=int),
        click.option("--cluster-name", default=None,
                     help="Same on every node; without it the agent never gossips."),
        click.option("--storage-dir", default=None,
                     help="Persist peers and history here (e.g. /var/lib/cantal)."),
        click.option("--bind-localhost", is_flag=True,
                     help="Also bind 127.0.0.1 when --host is a specific IP."),
        click.option("--cluster-size", default=1, show_default=True, type=int,
                     help="Number of nodes, to check the flags make sense for it."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(host: str, port: int, cluster_name: str | None, storage_dir: str | None,
             bind_localhost: bool, cluster_size: int) -> cantal.AgentOptions:
    options = cantal.AgentOptions(host=host, port=port, cluster_name=cluster_name,
                                  storage_dir=storage_dir, bind_localhost=bind_localhost)
    problems = cantal.check_options(options, cluster_size)
    if problems:
        raise BadInput("; ".join(str(problem) for problem in problems))
    return options


@click.group("cantal")
def cli() -> None:
    """Run and query cantal agents."""


@cli.command("argv")
@_agent_options
def argv(**kwargs: Any) -> None:
    """Print the cantal-agent command line (long flags only)."""
    click.echo(shlex.join(cantal.agent_argv(_options(**kwargs))))


@cli.command("unit")
@_agent_options
@click.option("--binary", default="/usr/bin/cantal-agent", show_default=True)
def unit(binary: str, **kwargs: Any) -> None:
    """Print a systemd unit running cantal-agent with these flags."""
    click.echo(cantal.systemd_unit(_options(**kwargs), binary), nl=False)


@cli.command("join")
@click.argument("addresses", nargs=-1, required=True)
@click.option("--agent", default=cantal.DEFAULT_URL, show_default=True,
              help="The agent to tell (any node of the cluster).")
def join(addresses: tuple[str, ...], agent: str) -> None:
    """Tell one agent about peers (ADDRESS is a name or IP, optionally :port).

    Names are looked up here: the agent itself only takes an IP address.
    """
    for addr in addresses:
        _peer(addr)
        try:
            sent = cantal.add_host(addr, agent)
        except cantal.CantalError as exc:
            raise agent_error(exc) from exc
        click.echo(f"added {addr} ({sent})" if sent.split(":")[0] != addr.split(":")[0]
                   else f"added {sent}")


def _all_peers(agent: str) -> list[dict[str, object]]:
    """The peers *agent* lists; an agent that does not answer is unreachable (exit 3)."""
    try:
        return cantal.all_peers(agent)
    except cantal.CantalError as exc:
        raise agent_error(exc) from exc


def _wait_for_peers(expect: tuple[str, ...], agent: str, wait: float
                    ) -> list[dict[str, object]]:
    """The peers once every one of *expect* is listed. Missing at the deadline is a failed
    check (exit 1), unless the agent itself no longer answers (exit 3)."""
    try:
        return cantal.wait_for_peers(set(expect), agent, deadline=wait)
    except cantal.CantalError as exc:
        missing = exc
    _all_peers(agent)
    raise CheckFailed(str(missing)) from missing


@cli.command("peers")
@click.option("--agent", default=cantal.DEFAULT_URL, show_default=True)
@click.option("--expect", multiple=True, help="Hostname that must be listed (repeatable).")
@click.option("--wait", default=0.0, show_default=True, type=float,
              help="Poll up to this many seconds for the expected peers.")
@click.option("--json", "as_json", is_flag=True)
def peers(agent: str, expect: tuple[str, ...], wait: float, as_json: bool) -> None:
    """List the peers an agent knows (it never lists itself)."""
    found = _wait_for_peers(expect, agent, wait) if expect else _all_peers(agent)
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True))
    else:
        for peer in sorted(found, key=lambda p: str(p.get("hostname"))):
            click.echo(f"{peer.get('hostname')}\t{peer.get('primary_addr', '')}\t"
                       f"{peer.get('id')}")


@cli.command("agent-metrics")
@click.option("--agent", default=cantal.DEFAULT_URL, show_default=True)
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="Only metrics with this label (repeatable), e.g. metric=requests.")
@click.option("--json", "as_json", is_flag=True)
def agent_metrics(agent: str, labels: tuple[str, ...], as_json: bool) -> None:
    """The metrics an agent collected (its /all_metrics.json, which is CBOR), decoded.

    Exit 1 when --label matches nothing.
    """
    wanted: dict[str, str] = {}
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="'--label'")
        wanted[key] = value
    try:
        found = cantal.agent_metrics(agent)
    except cantal.CantalError as exc:
        raise agent_error(exc) from exc
    found = [m for m in found if wanted.items() <= m.labels.items()]
    found.sort(key=lambda m: json.dumps(m.labels, sort_keys=True))
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in found], indent=2, sort_keys=True))
    else:
        for metric in found:
            click.echo(f"{json.dumps(metric.labels, sort_keys=True)}\t{metric.kind}\t"
                       f"{metric.value}")
    raise SystemExit(0 if found else 1)


@cli.command("metrics")
@click.argument("cantal_path")
@click.option("--json", "as_json", is_flag=True)
def metrics(cantal_path: str, as_json: bool) -> None:
    """Read an app's metrics from CANTAL_PATH(.meta/.values), without the agent."""
    if not Path(cantal_path + ".meta").is_file():
        raise BadInput(f"{cantal_path}.meta: no such file")
    found = cantal.read_metrics(cantal_path)
    if as_json:
        click.echo(json.dumps({"path": found.path,
                               "metrics": [m.as_dict() for m in found.metrics],
                               "problems": [p.as_dict() for p in found.problems]},
                              indent=2, sort_keys=True))
    else:
        for metric in found.metrics:
            labels = json.dumps(metric.labels, sort_keys=True)
            click.echo(f"{metric.kind}\t{labels}\t{metric.value}")
        for problem in found.problems:
            click.echo(str(problem), err=True)
    raise SystemExit(1 if found.problems else 0)
