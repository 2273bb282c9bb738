"""``python -m tools lithos``: Generate and check lithos configs."""

from __future__ import annotations

import click


@click.group("lithos")
def cli() -> None:
    """Generate and check lithos configs."""
