"""``python -m tools cantal``: Run and query cantal agents."""

from __future__ import annotations

import click


@click.group("cantal")
def cli() -> None:
    """Run and query cantal agents."""
