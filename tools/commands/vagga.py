"""``python -m tools vagga``: Write and check vagga.yaml, name images."""

from __future__ import annotations

import click


@click.group("vagga")
def cli() -> None:
    """Write and check vagga.yaml, name images."""
