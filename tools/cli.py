"""The thin command line over :mod:`tools`: it parses arguments and calls functions.

Exit codes, for every command: 0 success, 1 the thing checked is wrong
(an invalid file, an unhealthy cluster), 2 usage error or bad input.
"""

from __future__ import annotations

import click

from tools import __version__
from tools.commands import (
    cantal,
    deploy,
    images,
    lab,
    lithos,
    machine_id,
    vagga,
    validate,
    verwalter,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deploydocs tools")
def main() -> None:
    """Deploy a Django app with vagga, lithos, cantal and verwalter, step by step."""


for _module in (machine_id, lab, validate, vagga, lithos, images, cantal, verwalter, deploy):
    main.add_command(_module.cli)
