"""``python -m tools images``: Build, pack, push, list and prune images."""

from __future__ import annotations

import click


@click.group("images")
def cli() -> None:
    """Build, pack, push, list and prune images."""
