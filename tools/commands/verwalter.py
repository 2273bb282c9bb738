"""``python -m tools verwalter``: Scaffold, check and preview verwalter config trees.

``schedule-preview`` and ``render`` are stand-ins, named so in their output:
they run the tree's scheduler in real Lua 5.3 and render its templates here,
where verwalter and verwalter_render are not running.

A check fails (exit 1) on a scheduler error, a broken contract or a render command
that failed; a missing tree or unreadable JSON is bad input (exit 2); a missing
``verwalter_render`` is an environment error (exit 3). The exit codes are those of every
command (:mod:`tools.errors`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import generated
from ..errors import BadInput, CheckFailed, MissingBinary
from ..fs import write_atomically
from ..verwalter import schedule as sched
from .lithos import (
    GENERATOR_EPILOG,
    check_generator_flags,
    generator_options,
    print_outcome,
)


def read_json_file(path: Path, key: str) -> Any:
    """Load a JSON file or stop with ``file:line: key: message`` (bad input, exit 2)."""
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise BadInput(f"{path}:1: {key}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: {key}: {exc.msg}") from exc


@click.group("verwalter")
def cli() -> None:
    """Scaffold, check and preview verwalter config trees."""


@cli.command("schedule-preview")
@click.argument("tree", type=click.Path(path_type=Path))
@click.option("--current-host", default=None,
              help="The node the scheduler runs on (required unless --input is given).")
@click.option("--input", "input_file", type=click.Path(path_type=Path),
              help="JSON: a whole scheduler input, e.g. a real leader's /v1/scheduler_input; "
                   "replaces --current-host, --peers, --parents, --actions, --now and runtime/.")
@click.option("--compare", type=click.Path(path_type=Path),
              help="JSON: a schedule to compare with, e.g. a real leader's /v1/schedule; "
                   "exit 1 when they differ.")
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
def schedule_preview(tree: Path, current_host: str | None, input_file: Path | None,
                     compare: Path | None, peers: str, peers_file: Path | None,
                     parents: Path | None, actions: Path | None, now_ms: int | None,
                     timeout: float, output: Path | None, as_json: bool) -> None:
    """Schedule preview: run TREE/scheduler/v1/main.lua in Lua 5.3 and check its output."""
    if not (tree / "scheduler" / "v1" / "main.lua").is_file():
        raise BadInput(f"{tree}/scheduler/v1/main.lua:1: scheduler: no such file")
    if input_file is not None:
        recorded = read_json_file(input_file, "input")
        if not isinstance(recorded, dict):
            raise BadInput(f"{input_file}:1: input: expected a JSON object")
        try:
            result = sched.preview_input(tree, recorded, timeout)
        except sched.SchedulerError as exc:
            raise BadInput(f"{input_file}:1: input: {exc}") from exc
    elif current_host is None:
        raise click.UsageError("give --current-host (or a whole --input)")
    else:
        result = _preview_from_options(tree, current_host, peers, peers_file, parents,
                                       actions, now_ms, timeout)
    if output is not None and result.schedule is not None:
        write_atomically(output, json.dumps(result.schedule, indent=2, sort_keys=True) + "\n")
    differs = _compare_schedule(result.schedule, compare) if compare is not None else None
    if as_json:
        data = result.as_dict()
        if differs is not None:
            data["compared_with"] = {"file": str(compare), "same": not differs,
                                     "differences": differs}
        click.echo(json.dumps(data, indent=2, sort_keys=True))
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
        if differs is not None:
            if differs:
                click.echo(f"differs from {compare}:")
                for line in differs:
                    click.echo(f"  {line}")
            else:
                click.echo(f"same schedule as {compare}")
    raise SystemExit(0 if result.ok and not differs else 1)


def _compare_schedule(schedule: Any, compare: Path) -> list[str]:
    """Where *schedule* differs from the one in *compare* ([] when they are equal).

    *compare* may hold a bare schedule or verwalter's ``/v1/schedule`` answer, whose
    ``data`` is the schedule.
    """
    other = read_json_file(compare, "compare")
    if isinstance(other, dict) and {"data", "hash"} <= set(other):
        other = other["data"]
    return sched.schedule_differences(schedule, other)


def _preview_from_options(tree: Path, current_host: str, peers: str, peers_file: Path | None,
                          parents: Path | None, actions: Path | None, now_ms: int | None,
                          timeout: float) -> sched.Preview:
    stamp = now_ms if now_ms is not None else sched.make_input(runtime={},
                                                               current_host="")["now"]
    peer_map = sched.peers_from_hostnames([p for p in peers.split(",") if p], stamp)
    if peers_file is not None:
        data = read_json_file(peers_file, "peers")
        records = data.get("peers") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise BadInput(f"{peers_file}:1: peers: expected cantal's "
                                   '{"peers": [...]}')
        peer_map.update(sched.peers_from_cantal(records, stamp))
    parent_list: list[Any] = []
    if parents is not None:
        loaded = read_json_file(parents, "parents")
        parent_list = loaded if isinstance(loaded, list) else [loaded]
    action_map = read_json_file(actions, "actions") if actions is not None else {}
    if not isinstance(action_map, dict):
        raise BadInput(f"{actions}:1: actions: expected an object")
    return sched.preview(tree, current_host=current_host, peers=peer_map,
                         parents=parent_list, actions=action_map, now_ms=stamp,
                         timeout=timeout)


def _lithos_validator(sandbox: Path | None) -> Any:
    try:
        from ..lithos.config import validate_process
    except ImportError:  # pragma: no cover - the lithos validators ship with tools/
        return None

    def validate(text: str, name: str) -> list[Any]:
        return validate_process(text, name, sandbox=sandbox)

    return validate


@cli.command("render")
@click.argument("tree", type=click.Path(path_type=Path))
@click.option("--schedule", "schedule_file", required=True, type=click.Path(path_type=Path),
              help="Schedule JSON (from schedule-preview --output, or verwalter's "
                   "schedule.json / /v1/schedule).")
@click.option("--node", required=True, help="Hostname to render for.")
@click.option("--role", "roles", multiple=True, help="Role(s) to render (default: all the "
                                                     "node's roles).")
@click.option("--apply", "do_apply", is_flag=True,
              help="Render apply: run the commands for real (e.g. the real lithos_switch).")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="With --apply: put Copy/SplitText/CleanFiles destinations under this "
                   "directory and run commands there.")
@click.option("--lithos-sandbox", type=click.Path(path_type=Path), default=None,
              help="Sandbox config to validate files passed to lithos_switch against.")
@click.option("--json", "as_json", is_flag=True)
def render_command(tree: Path, schedule_file: Path, node: str, roles: tuple[str, ...],
                   do_apply: bool, root: Path | None, lithos_sandbox: Path | None,
                   as_json: bool) -> None:
    """Render preview (default) or render apply of a node's roles, as verwalter_render would.

    Handlebars templates are rendered with pybars3; Tera templates with jinja2
    as an approximation.
    """
    from ..verwalter import render

    if not (tree / "templates").is_dir():
        raise BadInput(f"{tree}/templates:1: templates: no such directory")
    data = read_json_file(schedule_file, "schedule")
    if isinstance(data, dict) and isinstance(data.get("data"), dict) and "hash" in data:
        data = data["data"]  # verwalter's /v1/schedule envelope
    if not isinstance(data, dict):
        raise BadInput(f"{schedule_file}:1: schedule: must be a JSON object")
    node_roles = ((data.get("nodes") or {}).get(node) or {}).get("roles") or {}
    chosen = list(roles) or sorted(node_roles)
    if not chosen:
        raise CheckFailed(f"{node} has no roles in this schedule: verwalter renders "
                          "nothing there")
    unlisted = [r for r in chosen if r not in node_roles]
    if unlisted:
        raise CheckFailed(f"{node} does not have role(s) {', '.join(unlisted)} in this "
                          "schedule: verwalter would not render them there")
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    results = []
    for role in chosen:
        executor = render.LocalExecutor(root) if do_apply else None
        results.append(render.render_role(tree, data, node, role, executor=executor,
                                          validate_lithos=_lithos_validator(lithos_sandbox)))
    missing = [(result.role, command.display) for result in results
               for action in result.actions for command in action.commands
               if command.exit_status == 127]
    if missing:
        role, display = missing[0]
        program = display.split()[0] if display.split() else display
        raise MissingBinary(f"role {role}: {program} not found (exit 127 running "
                            f"`{display}`): render apply needs the real tools",
                            hint=f"install {program} on this machine's PATH")
    if as_json:
        payload: Any = [r.as_dict() for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2,
                              sort_keys=True))
    else:
        for result in results:
            stand_in = "render apply" if result.applied else "render preview"
            click.echo(f"{stand_in} (stand-in for verwalter_render): role {result.role} "
                       f"on {result.node}, template {result.template}")
            for action in result.actions:
                click.echo(f"--- {action.render_file}")
                for name, text in action.outputs.items():
                    click.echo(f"[{name}]\n{text.rstrip()}")
                for command in action.commands:
                    status = "" if command.exit_status is None else f" -> {command.exit_status}"
                    click.echo(f"$ {command.display}{status}")
                    if command.output:
                        click.echo(command.output)
            for problem in result.problems:
                click.echo(str(problem))
            if result.failed:
                click.echo(f"error: {result.failed}")
    raise SystemExit(0 if all(r.ok for r in results) else 1)


@cli.command("render-check")
@click.argument("tree", type=click.Path(path_type=Path))
@click.option("--schedule", "schedule_file", required=True, type=click.Path(path_type=Path),
              help="Schedule JSON (schedule-preview --output, or a leader's /v1/schedule).")
@click.option("--node", required=True, help="Hostname to render for.")
@click.option("--role", "roles", multiple=True,
              help="Role(s) to check (default: all the node's roles).")
@click.option("--verwalter-render", "binary", default="verwalter_render", show_default=True,
              help="The real verwalter_render to compare with (run with --dry-run).")
def render_check_command(tree: Path, schedule_file: Path, node: str, roles: tuple[str, ...],
                         binary: str) -> None:
    """Compare the render preview with the real verwalter_render, template by template.

    verwalter_render runs with --dry-run: it renders, applies nothing and runs no command.
    Exit 1 when a template differs.
    """
    from ..verwalter import render_check

    schedule = read_json_file(schedule_file, "schedule")
    if isinstance(schedule, dict) and {"data", "hash"} <= set(schedule):
        schedule = schedule["data"]
    if not isinstance(schedule, dict):
        raise BadInput(f"{schedule_file}:1: schedule: expected a JSON object")
    node_roles = ((schedule.get("nodes") or {}).get(node) or {}).get("roles") or {}
    wanted = list(roles) or sorted(node_roles)
    if not wanted:
        raise BadInput(f"{schedule_file}:1: nodes.{node}: no roles to render")
    failed = False
    for role in wanted:
        try:
            checked = render_check.check_role(tree, schedule, node, role, binary)
        except render_check.RenderCheckError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                raise MissingBinary(f"role {role}: {exc}",
                                    hint="install verwalter, or pass --verwalter-render "
                                         "PATH") from exc
            raise CheckFailed(f"role {role}: {exc}") from exc
        for template in checked.same:
            click.echo(f"role {role}: {template}: same text as verwalter_render")
        for template, diff in checked.differences.items():
            failed = True
            click.echo(f"role {role}: {template}: differs from verwalter_render")
            click.echo(diff.rstrip("\n"))
    raise SystemExit(1 if failed else 0)


def _scaffold_name(kind: str, pattern: str, rule: str) -> Callable[..., str | None]:
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and (not re.fullmatch(pattern, value) or value.startswith(".")):
            raise click.BadParameter(f"{value!r} is not {kind}: {rule}", ctx=ctx, param=param)
        return value

    return check


def _role_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..lithos.generate import lithos_name_problem

    problem = lithos_name_problem(value)
    if problem:
        raise click.BadParameter(f"{problem} (the role is also the lithos sandbox's name)",
                                 ctx=ctx, param=param)
    return value


def _absolute(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.startswith("/"):
        raise click.BadParameter(f"must be an absolute path inside the image, got {value!r}",
                                 ctx=ctx, param=param)
    return value


@cli.command("scaffold", epilog=f"""\b
{GENERATOR_EPILOG}

\b
Exit codes: 0 written (or, with --diff, nothing would change), 1 an existing file
differs (without --force) or, with --diff, something would change; nothing is
written then; 2 usage error (a bad name, an unreadable target).""")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the tree into (e.g. /etc/verwalter).")
@click.option("--role", default="django", show_default=True,
              callback=_role_name,
              help="The role to schedule (also the lithos sandbox's name).")
@click.option("--image", default=None, metavar="CONTAINER.HASH8",
              callback=_scaffold_name("an image name", r"[\w.-]+",
                                      "one directory name under the image-dir: letters, "
                                      "digits, '_', '-' and '.', not starting with '.'"),
              help="Also write runtime/<role>/<version>.yaml naming this image.")
@click.option("--version", "version", default="v1", show_default=True,
              callback=_scaffold_name("a version name", r"[\w.-]+",
                                      "it names the file runtime/<role>/<version>.yaml: use "
                                      "letters, digits, '_', '-' and '.', not starting "
                                      "with '.'"),
              help="The runtime version the --image file is for.")
@click.option("--config", default="/config/web.yaml", show_default=True, callback=_absolute,
              help="The lithos container config's path inside the image.")
@click.option("--instances", default=1, show_default=True, type=click.IntRange(min=0),
              help="Instances of the process on each node.")
@generator_options
def scaffold(out: Path, role: str, image: str | None, version: str, config: str,
             instances: int, force: bool, diff: bool, dry_run: bool) -> None:
    """Write the tutorial's verwalter tree: Lua scheduler, templates, sandbox, runtime/.

    The printed paths are the tree's files; ``runtime/<role>/`` is created even
    without an ``--image``. Check the result with
    ``python -m tools validate --kind verwalter-tree OUT``.
    """
    from ..verwalter.tree import scaffold_files

    check_generator_flags(diff, dry_run)
    files = scaffold_files(role=role, image=image, version=version, config=config,
                           instances=instances)
    outcome = generated.run(out, files, force=force, diff=diff, dry_run=dry_run)
    if outcome.exit_code == 0 and not (diff or dry_run):
        (out / "runtime" / role).mkdir(parents=True, exist_ok=True)
    print_outcome(outcome)
