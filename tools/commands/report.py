"""How a checking command prints its problems and ends (exit 1 when any is an error)."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from ..problems import Problem, errors


def exit_with_problems(problems: list[Problem], as_json: bool) -> NoReturn:
    """Print *problems* (one a line, or a JSON list with *as_json*) and exit.

    The exit code is 1 when a problem is an error, 0 when there are only
    warnings or none.
    """
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
    sys.exit(1 if errors(problems) else 0)
