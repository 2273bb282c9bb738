"""``python -m tools machine-id``: generate and check /etc/machine-id."""

from __future__ import annotations

import click

from tools import machine_id


@click.group("machine-id")
def cli() -> None:
    """Generate and check /etc/machine-id."""


@cli.command("generate")
def generate() -> None:
    """Print a new random machine id (32 lowercase hex digits)."""
    click.echo(machine_id.generate_machine_id())
