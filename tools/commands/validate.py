"""``python -m tools validate``: Check config files the way the real tools would."""

from __future__ import annotations

import click


@click.group("validate")
def cli() -> None:
    """Check config files the way the real tools would."""
