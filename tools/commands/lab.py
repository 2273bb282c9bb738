"""``python -m tools lab``: Start, inspect and stop the lab's machines."""

from __future__ import annotations

import click


@click.group("lab")
def cli() -> None:
    """Start, inspect and stop the lab's machines."""
