"""``python -m tools lithos``: Generate and check lithos configs.

``lithos check`` runs the real ``lithos_check``: its absence is an environment error
(exit 3), as for every command (:mod:`tools.errors`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import generated
from ..errors import BadInput, CheckFailed, MissingBinary
from ..lithos.check import LithosCheckNotFound, run_lithos_check
from ..lithos.generate import (
    IMAGE_ROOT,
    DjangoParams,
    generate_files,
    lithos_name_problem,
    python_module_problem,
)
from ..lithos.systemd import lithos_tree_unit
from ..problems import errors


@click.group("lithos")
def cli() -> None:
    """Generate and check lithos configs."""


def _generated_problems(files: dict[str, str], params: DjangoParams) -> list[str]:
    from ..lithos import config

    sandbox_file = f"sandboxes/{params.sandbox}.yaml"
    sandbox, problems = config.parse_sandbox(files[sandbox_file], sandbox_file)
    problems += config.validate_master(files["master.yaml"], "master.yaml")
    process_file = f"processes/{params.sandbox}.yaml"
    problems += config.validate_process(files[process_file], process_file, sandbox=sandbox)
    container_file = f"config/{params.process}.yaml"
    problems += config.validate_container(files[container_file], container_file,
                                          sandbox=sandbox)
    return [str(p) for p in errors(problems)]


def _lithos_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    problem = lithos_name_problem(value)
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def module_name_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A click callback: *value* must be a Python module name (``--project``)."""
    problem = python_module_problem(value)
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def _absolute_path(ctx: click.Context, param: click.Parameter, value: str | None
                   ) -> str | None:
    if value is not None and not value.startswith("/"):
        raise click.BadParameter(f"must be an absolute path on the nodes, got {value!r}",
                                 ctx=ctx, param=param)
    return value


def print_outcome(outcome: generated.Outcome, as_json: bool = False) -> None:
    """Print a generator's outcome (stdout lines, then stderr lines) and exit with its code.

    Shared by the generator commands (``lithos generate``, ``vagga write``,
    ``verwalter scaffold``). With *as_json*, a failure (a refused overwrite, an
    unwritable target) is raised as the error every ``--json`` command prints as
    one JSON object, with the same exit code.
    """
    if as_json and outcome.errors and outcome.exit_code in (1, 2):
        message = "; ".join(line.removeprefix("error: ") for line in outcome.errors)
        raise (CheckFailed if outcome.exit_code == 1 else BadInput)(message)
    for line in outcome.output:
        click.echo(line)
    for line in outcome.errors:
        click.echo(line, err=True)
    sys.exit(outcome.exit_code)


def generator_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--force``, ``--diff`` and ``--dry-run`` (shared by the generator commands)."""
    options = [
        click.option("--force", is_flag=True,
                     help="Overwrite files whose content differs from the generated one."),
        click.option("--diff", is_flag=True,
                     help="Print a unified diff of what would change; write nothing "
                          "(exit 1 if something would change)."),
        click.option("--dry-run", is_flag=True,
                     help="List the files as new, changed or unchanged; write nothing."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_generator_flags(diff: bool, dry_run: bool) -> None:
    """Stop with a usage error (exit 2) when ``--diff`` and ``--dry-run`` are both given."""
    if diff and dry_run:
        raise click.UsageError("--diff and --dry-run exclude each other; give one")


GENERATOR_EPILOG = """\
An existing file is only replaced when its content differs from the generated
one, and then only with --force (it may hold edits); without --force nothing
is written and the command exits 1. Every file is written to a temp file and
renamed into place, so none is ever half-written."""


@cli.command("generate", epilog=f"""\b
Writes OUT/master.yaml, OUT/sandboxes/<sandbox>.yaml, OUT/processes/<sandbox>.yaml
and OUT/config/<process>.yaml (the container config that goes into the image at
/config/). Every file is validated first.
{GENERATOR_EPILOG}

\b
Exit codes: 0 written (or, with --diff, nothing would change), 1 the parameters
give an invalid config, an existing file differs (without --force) or, with --diff,
something would change; nothing is written then; 2 usage error (a bad name,
an unreadable target).""")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write into (created if missing).")
@click.option("--sandbox", default="django", show_default=True, callback=_lithos_name,
              help="Sandbox (role) name: letters, digits, '_' and '-'.")
@click.option("--image", default="django-deploy.current", show_default=True,
              help="Image directory name, normally <container>.<hash8> from vagga.")
@click.option("--image-dir", default=None, show_default=f"{IMAGE_ROOT}/<sandbox>",
              callback=_absolute_path,
              help="The sandbox's image-dir on the nodes.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--user", default=1, show_default=True, type=click.IntRange(0))
@click.option("--group", default=1, show_default=True, type=click.IntRange(0))
@click.option("--instances", default=1, show_default=True, type=click.IntRange(0))
@click.option("--process", default="web", show_default=True, callback=_lithos_name,
              help="Process name: letters, digits, '_' and '-'.")
@click.option("--project", default="MyProject", show_default=True, callback=module_name_option,
              help="Django project: a Python module name.")
@click.option("--storage-dir", default=None, callback=_absolute_path,
              help="Host dir for a writable /storage volume (omitted by default).")
@generator_options
@click.option("--json", "as_json", is_flag=True,
              help="Print the paths (with --dry-run: paths and states) as JSON.")
def generate(out: Path, sandbox: str, image: str, image_dir: str | None, port: int, user: int,
             group: int, instances: int, process: str, project: str, storage_dir: str | None,
             force: bool, diff: bool, dry_run: bool, as_json: bool) -> None:
    """Write the tutorial's lithos configs for the Django app."""
    check_generator_flags(diff, dry_run)
    params = DjangoParams(sandbox=sandbox, image=image, image_dir=image_dir or "", port=port,
                          user=user, group=group, instances=instances, process=process,
                          project=project, storage_dir=storage_dir)
    files = generate_files(params)
    problems = _generated_problems(files, params)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        sys.exit(1)
    outcome = generated.run(out, files, force=force, diff=diff, dry_run=dry_run)
    if as_json and not diff and not outcome.errors:
        if dry_run:
            outcome.output = [json.dumps([{"path": str(f.path), "status": f.status}
                                          for f in outcome.files])]
        else:
            outcome.output = [json.dumps([str(f.path) for f in outcome.files])]
    print_outcome(outcome, as_json)


@cli.command("unit", epilog="Exit code: 0.")
@click.option("--bin-dir", default="/usr/bin", show_default=True,
              help="Where lithos_tree is installed.")
@click.option("--config", default="/etc/lithos/master.yaml", show_default=True,
              help="The master config lithos_tree reads.")
def unit(bin_dir: str, config: str) -> None:
    """Print the systemd unit (lithos.service) that runs lithos_tree."""
    click.echo(lithos_tree_unit(bin_dir, config), nl=False)


@cli.command("check", epilog="""\b
Runs the real lithos_check (from --bin-dir, else PATH); nothing is emulated.
Exit codes: 0 lithos_check found no problem, 1 it reported errors,
2 usage error, 3 lithos_check not found (an environment error).""")
@click.option("--bin-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory holding lithos_check (and lithos_tree, lithos_knot).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Master config (lithos_check's default: /etc/lithos/master.yaml).")
@click.option("--sandbox", help="Sandbox to check --alternate-config for.")
@click.option("--alternate-config", type=click.Path(dir_okay=False, path_type=Path),
              help="Process config to check instead of the sandbox's current one.")
@click.option("--check-container", "containers", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Only check this container config (repeatable); needs no master.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(bin_dir: Path | None, config: Path | None, sandbox: str | None,
          alternate_config: Path | None, containers: tuple[Path, ...], as_json: bool) -> None:
    """Run the real lithos_check and report what it found."""
    if alternate_config is not None and sandbox is None:
        raise click.UsageError("--alternate-config needs --sandbox")
    try:
        result = run_lithos_check(config=config, sandbox=sandbox,
                                  alternate_config=alternate_config,
                                  check_containers=containers, bin_dir=bin_dir)
    except LithosCheckNotFound as exc:
        raise MissingBinary(str(exc), hint="install lithos, or pass --bin-dir DIR") from exc
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for message in result.messages:
            click.echo(f"{message.level}: {message.text}")
        click.echo("lithos_check: ok" if result.ok else
                   f"lithos_check: failed (exit {result.exit_status})")
    sys.exit(0 if result.ok else 1)


def _add_build() -> None:
    """``lithos build`` lives in a module of its own (:mod:`tools.commands.lithos_build`)."""
    from .lithos_build import cli as build

    cli.add_command(build)


_add_build()
