"""``python -m tools verwalter``: Scaffold, check and preview verwalter config trees."""

from __future__ import annotations

import click


@click.group("verwalter")
def cli() -> None:
    """Scaffold, check and preview verwalter config trees."""
