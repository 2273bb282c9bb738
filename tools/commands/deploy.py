"""``python -m tools deploy``: Publish versions and watch rollouts."""

from __future__ import annotations

import click


@click.group("deploy")
def cli() -> None:
    """Publish versions and watch rollouts."""
