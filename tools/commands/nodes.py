"""Options and host selection shared by the commands that act on a lab's nodes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..lab.base import Host
from .machine_id import lab_hosts


def choose_nodes(backend: str, inventory: Path | None, nodes: tuple[str, ...]) -> dict[str, Host]:
    """The hosts named by ``--node`` (every node when none is), refusing unknown names."""
    hosts = lab_hosts(backend, inventory)
    chosen = list(nodes) or sorted(hosts)
    unknown = [n for n in chosen if n not in hosts]
    if unknown:
        raise click.UsageError(f"unknown node(s) {', '.join(unknown)}; have {sorted(hosts)}")
    return {n: hosts[n] for n in chosen}


def node_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--backend``, ``--inventory``, ``--node`` (repeatable) and ``--json``."""
    options = [
        click.option("--backend", type=click.Choice(["docker", "ssh", "qemu"]),
                     default="docker", show_default=True, envvar="DEPLOYDOCS_LAB_BACKEND",
                     help="Where the nodes are (default from $DEPLOYDOCS_LAB_BACKEND)."),
        click.option("--inventory", type=click.Path(exists=True, dir_okay=False,
                                                    path_type=Path)),
        click.option("--node", "nodes", multiple=True, help="Only these nodes (repeatable)."),
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        func = option(func)
    return func
