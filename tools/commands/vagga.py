"""``python -m tools vagga``: Write and check vagga.yaml, name images."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from .. import generated
from ..errors import BadInput
from ..problems import errors
from ..vagga import (
    VaggaParams,
    check_deploy_container,
    explain_name,
    parse_vagga,
    tutorial_vagga_yaml,
    validate_vagga,
)
from .lithos import (
    GENERATOR_EPILOG,
    check_generator_flags,
    generator_options,
    module_name_option,
    print_outcome,
)
from .report import exit_with_problems

UBUNTU_LTS_CODENAMES = ("trusty", "xenial", "bionic", "focal", "jammy", "noble")
"""The Ubuntu LTS releases ``--base`` accepts: vagga's ``!Ubuntu`` takes any name and only
fails when the download does, so a typo is caught here instead."""

@click.group("vagga")
def cli() -> None:
    """Write and check vagga.yaml, name images."""


def _container_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # the rule explain-name applies too: vagga names builds .vagga/.roots/<name>.<hash8>
    if not re.fullmatch(r"[\w.-]+", value) or value.startswith("."):
        raise click.BadParameter(f"{value!r} is not a vagga container name: use letters, "
                                 "digits, '_', '-' and '.', not starting with '.'",
                                 ctx=ctx, param=param)
    return value


@cli.command("write", epilog=f"""\b
Writes OUT/vagga.yaml: a development container (with /tmp: !Empty) and a
deployment container built on it with !Container (code in /app, lithos container
configs in /config, mount points made with !EnsureDir). The result is validated first.
{GENERATOR_EPILOG}

\b
Exit codes: 0 written (or, with --diff, nothing would change), 1 the result would be
invalid, OUT/vagga.yaml differs (without --force) or, with --diff, it would change;
nothing is written then; 2 usage error (a bad name, an unreadable target).""")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Project directory to write vagga.yaml into.")
@click.option("--dev", default="django", show_default=True, callback=_container_name,
              help="Development container.")
@click.option("--deploy", default="django-deploy", show_default=True,
              callback=_container_name, help="Deployment container.")
@click.option("--base", default="jammy", show_default=True,
              type=click.Choice(UBUNTU_LTS_CODENAMES),
              help="Ubuntu LTS release codename (vagga's !Ubuntu step downloads it).")
@click.option("--project", default="MyProject", show_default=True, callback=module_name_option,
              help="Django project: a Python module name.")
@click.option("--lithos-configs", default="/work/lithos/config", show_default=True,
              help="Directory (under /work) holding the lithos container configs.")
@click.option("--mount", "mounts", multiple=True, default=("/state",), show_default=True,
              help="Mount point the lithos configs use (repeatable).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@generator_options
def write(out: Path, dev: str, deploy: str, base: str, project: str, lithos_configs: str,
          mounts: tuple[str, ...], port: int, force: bool, diff: bool, dry_run: bool) -> None:
    """Write the tutorial's vagga.yaml."""
    check_generator_flags(diff, dry_run)
    if dev == deploy:
        raise click.BadParameter(f"the deployment container must differ from the "
                                 f"development one (--dev), both are {dev!r}",
                                 param_hint="'--deploy'")
    params = VaggaParams(dev=dev, deploy=deploy, base=base, project=project,
                         lithos_configs=lithos_configs, mount_points=tuple(mounts), port=port)
    text = tutorial_vagga_yaml(params)
    problems = errors(validate_vagga(text, str(out / "vagga.yaml")))
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    print_outcome(generated.run(out, {"vagga.yaml": text}, force=force, diff=diff,
                                dry_run=dry_run))


@cli.command("explain-name", epilog="""\b
CONTAINER.HASH8 is how vagga names a build (.vagga/.roots/<container>.<hash8>);
the tutorial uses the same name for the image directory on the nodes.
Get HASH with: vagga _version_hash --short CONTAINER (only vagga can compute it).
Exit codes: 0, 2 bad container name or hash.""")
@click.argument("container")
@click.argument("hash8", metavar="HASH")
@click.option("--image-dir", default="/var/lib/lithos/images/django", show_default=True,
              help="The sandbox's image-dir on the nodes.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_name_command(container: str, hash8: str, image_dir: str, as_json: bool) -> None:
    """Explain where the image name CONTAINER.HASH appears."""
    try:
        info = explain_name(container, hash8, image_dir)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    width = max(len(k) for k in info)
    for key, value in info.items():
        click.echo(f"{key:<{width}}  {value}")


@cli.command("check-deploy", epilog="""\b
Checks that CONTAINER starts with !Container, that the development container mounts
/tmp: !Empty (warning) and that every volume mount point of the given lithos container
configs exists in the image.
Exit codes: 0 fine, 1 problems, 2 usage error.""")
@click.argument("vagga_yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--container", default="django-deploy", show_default=True)
@click.option("--lithos-config", "lithos_configs", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="lithos container config whose volumes must have mount points.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def check_deploy(vagga_yaml: Path, container: str, lithos_configs: tuple[Path, ...],
                 as_json: bool) -> None:
    """Check a deployment container against the tutorial's rules."""
    from ..lithos.config import parse_container

    for path in (vagga_yaml, *lithos_configs):
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
    record, problems = parse_vagga(vagga_yaml)
    mounts: list[str] = []
    for path in lithos_configs:
        model, more = parse_container(path)
        problems += more
        if model is not None:
            mounts += list(model.volumes)
    if record is not None:
        problems += check_deploy_container(record, container, str(vagga_yaml), mounts)
    exit_with_problems(problems, as_json)
