"""``python -m tools validate``: Check config files the way the real tools would."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tools.commands.report import exit_with_problems
from tools.validate import KINDS, UsageError, validate_path

EPILOG = f"""\b
Kinds: {", ".join(KINDS)}. Guessed when --kind is omitted:
  */master.yaml, *.master.yaml      lithos-master
  */sandboxes/*.yaml                lithos-sandbox
  */processes/*.yaml                lithos-process (uses ../sandboxes/<name>.yaml if present)
  */config/*.yaml                   lithos-container
  vagga.yaml                        vagga
  a directory with scheduler/ or templates/   verwalter-tree

\b
Output: one problem a line, FILE:LINE: KEY: message (warnings end in "(warning)").
Exit codes: 0 all valid (warnings allowed), 1 a file is invalid, 2 usage error.
"""


def _fail_usage(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("validate", epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kind", metavar="KIND", help="What PATH is (see below); guessed when omitted.")
@click.option("--sandbox", type=click.Path(path_type=Path),
              help="lithos sandbox file to cross-check process and container configs with.")
@click.option("--image-dir", type=click.Path(path_type=Path),
              help="Local copy of the sandbox's image-dir: also check images and their "
                   "container configs (process configs).")
@click.option("--machine-id", type=click.Path(path_type=Path),
              help="Also check this machine-id file (verwalter trees).")
@click.option("--no-run-scheduler", is_flag=True,
              help="Don't load main.lua in sandboxed Lua (verwalter trees).")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
def cli(paths: tuple[Path, ...], kind: str | None, sandbox: Path | None,
        image_dir: Path | None, machine_id: Path | None, no_run_scheduler: bool,
        as_json: bool) -> None:
    """Check config files the way the real tools would.

    Every problem of every PATH is reported, not only the first.
    """
    if not paths:
        _fail_usage("give at least one PATH (see --help)")
    if kind is not None and kind not in KINDS:
        _fail_usage(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    problems = []
    for path in paths:
        try:
            problems += validate_path(path, kind, sandbox=sandbox, image_dir=image_dir,
                                      machine_id=machine_id,
                                      run_scheduler=not no_run_scheduler)
        except UsageError as exc:
            _fail_usage(str(exc))
    exit_with_problems(problems, as_json)
