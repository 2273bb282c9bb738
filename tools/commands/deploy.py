"""``python -m tools deploy``: publish versions and watch rollouts.

A check fails (exit 1) when images are missing, a node was not written or the rollout
did not finish by the deadline; an unreadable or invalid runtime file is bad input
(exit 2). The exit codes are those of every command (:mod:`tools.errors`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from .. import deploy
from ..errors import BadInput, CheckFailed
from ..hosts import Host
from .nodes import choose_nodes, node_options


def _hosts(local_root: Path | None, backend: str | None, inventory: Path | None,
           nodes: tuple[str, ...]) -> dict[str, Host]:
    if local_root is not None:
        return {"local": deploy.LocalRoot(local_root)}
    return choose_nodes(backend, inventory, nodes)


def _rel(path: str, local_root: Path | None) -> str:
    """Paths are relative to the root's directory for --local-root."""
    return path.lstrip("/") if local_root is not None else path


def _where(func: Any) -> Any:
    options = [
        click.option("--local-root", type=click.Path(file_okay=False, path_type=Path),
                     help="Act on a directory of this machine standing for a node's /."),
    ]
    for option in reversed(options):
        func = option(func)
    return node_options(func)


def _read_runtime_file(spec: Path) -> Any:
    """The YAML (or JSON) data of runtime file *spec*; unreadable or invalid is bad input."""
    try:
        return YAML(typ="safe", pure=True).load(spec.read_text())
    except OSError as exc:
        raise BadInput(f"{spec}: cannot read it: {exc.strerror}") from exc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise BadInput(f"{spec}:{line}: yaml: {exc.problem}") from exc


def _runtime_data(spec: Path | None, image: str | None, config_path: str | None,
                  daemon: str, instances: int) -> Any:
    """The runtime data ``publish`` writes: *spec*'s, or one daemon's from the options."""
    if spec is not None:
        return _read_runtime_file(spec)
    if image and config_path:
        return {"daemons": {daemon: {"image": image, "config": config_path,
                                     "instances": instances}}}
    raise click.UsageError("give --file, or --image and --config")


@click.group("deploy")
def cli() -> None:
    """Publish versions and watch rollouts."""


@cli.command("publish")
@click.argument("role")
@click.argument("version")
@click.option("--file", "spec", type=click.Path(path_type=Path),
              help="YAML/JSON runtime data for this version.")
@click.option("--image", help="Without --file: the image directory name of the daemon.")
@click.option("--config", "config_path", help="Without --file: the config path in the image.")
@click.option("--daemon", default="web", show_default=True, help="Without --file: its name.")
@click.option("--instances", default=1, show_default=True, type=int)
@click.option("--config-dir", default=deploy.VERWALTER_CONFIG, show_default=True)
@click.option("--image-dir", default=None,
              help="Refuse to publish unless every image is under this dir on every node.")
@_where
def publish(role: str, version: str, spec: Path | None, image: str | None,
            config_path: str | None, daemon: str, instances: int, config_dir: str,
            image_dir: str | None, local_root: Path | None, backend: str | None,
            inventory: Path | None, nodes: tuple[str, ...], as_json: bool) -> None:
    """Write runtime/ROLE/VERSION.yaml to every node (after checking the images are there)."""
    data = _runtime_data(spec, image, config_path, daemon, instances)
    problems = deploy.check_runtime(role, version, data)
    if problems:
        raise BadInput("; ".join(str(p) for p in problems))
    hosts = _hosts(local_root, backend, inventory, nodes)
    try:
        result = deploy.publish_runtime(
            hosts, role, version, data, config_dir=_rel(config_dir, local_root),
            image_dir=_rel(image_dir, local_root) if image_dir else None)
    except deploy.DeployError as exc:
        raise CheckFailed(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"path": result.path, "written": result.written,
                               "failed": result.failed}, indent=2, sort_keys=True))
    else:
        for node in result.written:
            click.echo(f"{node}: wrote {result.path}")
        for node, error in result.failed.items():
            click.echo(f"{node}: FAILED {error}")
    raise SystemExit(0 if result.ok else 1)


@cli.command("status")
@click.argument("sandbox")
@click.option("--image", required=True, help="The image every node should run.")
@click.option("--health-url", default=None,
              help="Asked on each node, e.g. http://127.0.0.1:8000/health (200 = healthy).")
@click.option("--deadline", default=120.0, show_default=True, type=float,
              help="Seconds to wait for every node.")
@click.option("--processes-dir", default=deploy.LITHOS_PROCESSES, show_default=True)
@_where
def status(sandbox: str, image: str, health_url: str | None, deadline: float,
           processes_dir: str, local_root: Path | None, backend: str | None,
           inventory: Path | None, nodes: tuple[str, ...], as_json: bool) -> None:
    """Wait until every node runs IMAGE in SANDBOX (and answers HEALTH_URL), or the deadline."""
    hosts = _hosts(local_root, backend, inventory, nodes)
    console = Console(stderr=True)
    with console.status(f"waiting for {image} on {len(hosts)} node(s)") as spinner:
        def show(statuses: dict[str, deploy.NodeRollout]) -> None:
            done = sum(s.ok for s in statuses.values())
            spinner.update(f"{done}/{len(statuses)} node(s) run {image}")

        statuses = deploy.wait_for_rollout(hosts, sandbox, image, health_url=health_url,
                                           deadline=deadline,
                                           processes_dir=_rel(processes_dir, local_root),
                                           on_poll=show)
    if as_json:
        click.echo(json.dumps({n: s.as_dict() for n, s in statuses.items()}, indent=2,
                              sort_keys=True))
    else:
        for name, node_status in sorted(statuses.items()):
            click.echo(f"{name}: {'ok' if node_status.ok else 'NOT READY'} "
                       f"({node_status.detail})")
    raise SystemExit(0 if all(s.ok for s in statuses.values()) else 1)
