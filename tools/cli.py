"""The thin command line over :mod:`tools`: it parses arguments and calls functions.

Exit codes, for every command: 0 success, 1 the thing checked is wrong
(an invalid file, an unhealthy cluster), 2 usage error or bad input.
"""

from __future__ import annotations

import click

from tools import __version__, machine_id


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deploydocs tools")
def main() -> None:
    """Deploy a Django app with vagga, lithos, cantal and verwalter, step by step."""


@main.group("machine-id")
def machine_id_group() -> None:
    """Generate and check /etc/machine-id."""


@machine_id_group.command("generate")
def machine_id_generate() -> None:
    """Print a new random machine id (32 lowercase hex digits)."""
    click.echo(machine_id.generate_machine_id())
