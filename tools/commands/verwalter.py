"""``python -m tools verwalter``: Scaffold, check and preview verwalter config trees.

``schedule-preview`` and ``render`` are stand-ins, named so in their output:
they run the tree's scheduler in real Lua 5.3 and render its templates here,
where verwalter and verwalter_render are not running.

Exit codes: 0 ok, 1 a check failed (scheduler error, contract broken, a
render command failed), 2 bad input (missing tree, unreadable JSON/YAML).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from tools.verwalter import schedule as sched


def read_json_file(path: Path, key: str) -> Any:
    """Load a JSON file or stop with ``file:line: key: message`` and exit 2."""
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise click.UsageError(f"{path}:0: {key}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise click.UsageError(f"{path}:{exc.lineno}: {key}: {exc.msg}") from exc


def write_atomically(path: Path, text: str) -> None:
    """Write *text* to *path* through a temp file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


@click.group("verwalter")
def cli() -> None:
    """Scaffold, check and preview verwalter config trees."""


@cli.command("schedule-preview")
@click.argument("tree", type=click.Path(path_type=Path))
@click.option("--current-host", required=True, help="The node the scheduler runs on.")
@click.option("--peers", default="", help="Other nodes' hostnames, comma separated.")
@click.option("--peers-file", type=click.Path(path_type=Path),
              help="cantal's /all_peers.json output to take the peers from.")
@click.option("--parents", type=click.Path(path_type=Path),
              help="JSON: the previous schedule (object) or schedules (list).")
@click.option("--actions", type=click.Path(path_type=Path),
              help="JSON object: action id -> action.")
@click.option("--now", "now_ms", type=int, default=None, help="ms since the epoch.")
@click.option("--timeout", type=float, default=sched.DEFAULT_TIMEOUT, show_default=True)
@click.option("--output", type=click.Path(path_type=Path),
              help="Also write the schedule JSON here (for `verwalter render`).")
@click.option("--json", "as_json", is_flag=True, help="Print schedule, log and problems as JSON.")
def schedule_preview(tree: Path, current_host: str, peers: str, peers_file: Path | None,
                     parents: Path | None, actions: Path | None, now_ms: int | None,
                     timeout: float, output: Path | None, as_json: bool) -> None:
    """Schedule preview: run TREE/scheduler/v1/main.lua in Lua 5.3 and check its output."""
    if not (tree / "scheduler" / "v1" / "main.lua").is_file():
        raise click.UsageError(f"{tree}/scheduler/v1/main.lua:0: scheduler: no such file")
    stamp = now_ms if now_ms is not None else sched.make_input(runtime={},
                                                               current_host="")["now"]
    peer_map = sched.peers_from_hostnames([p for p in peers.split(",") if p], stamp)
    if peers_file is not None:
        data = read_json_file(peers_file, "peers")
        records = data.get("peers") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise click.UsageError(f"{peers_file}:1: peers: expected cantal's "
                                   '{"peers": [...]}')
        peer_map.update(sched.peers_from_cantal(records, stamp))
    parent_list: list[Any] = []
    if parents is not None:
        loaded = read_json_file(parents, "parents")
        parent_list = loaded if isinstance(loaded, list) else [loaded]
    action_map = read_json_file(actions, "actions") if actions is not None else {}
    if not isinstance(action_map, dict):
        raise click.UsageError(f"{actions}:1: actions: expected an object")
    result = sched.preview(tree, current_host=current_host, peers=peer_map,
                           parents=parent_list, actions=action_map, now_ms=stamp,
                           timeout=timeout)
    if output is not None and result.schedule is not None:
        write_atomically(output, json.dumps(result.schedule, indent=2, sort_keys=True) + "\n")
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    else:
        click.echo("schedule preview (stand-in for the verwalter leader's scheduler run)")
        if result.error:
            click.echo(f"error: {result.error}")
        for host, roles in sorted(result.assignments().items()):
            click.echo(f"{host}: {', '.join(roles) or '(no roles)'}")
        for change in (result.schedule or {}).get("changes") or []:
            click.echo(f"change: {change}")
        for problem in result.problems:
            click.echo(str(problem))
    raise SystemExit(0 if result.ok else 1)
