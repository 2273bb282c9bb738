"""The thin command line over :mod:`tools`: it parses arguments and calls functions.

Exit codes, for every command: 0 success, 1 the thing checked is wrong
(an invalid file, an unhealthy cluster), 2 usage error or bad input.

The command groups live in :mod:`tools.commands` and are imported only when
one of them runs (or its help is asked for): ``python -m tools --help`` lists
them from :data:`COMMANDS` without importing any. Add a group by adding it there.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import click

from . import __version__


@dataclass(frozen=True)
class LazyCommand:
    """Where a command group lives, and the help line ``--help`` shows for it."""

    module: str
    """The module defining it, relative to this package (``.commands.lab``), so the
    package works under any import name; its ``cli`` attribute is the command."""
    help: str
    """Its short help, the same text as its docstring's first sentence."""


#: Every command group of ``python -m tools``, by name.
COMMANDS: dict[str, LazyCommand] = {
    "cantal": LazyCommand(
        ".commands.cantal",
        "Run and query cantal agents (exit 0 ok, 1 check failed, 2 bad input)."),
    "deploy": LazyCommand(
        ".commands.deploy",
        "Publish versions and watch rollouts (exit 0 ok, 1 check failed, 2 bad input)."),
    "images": LazyCommand(
        ".commands.images",
        "Build (stand-in), pack, push, list and prune images "
        "(exit 0 ok, 1 failed, 2 bad input)."),
    "lab": LazyCommand(".commands.lab", "Start, inspect and stop the lab's machines."),
    "lithos": LazyCommand(".commands.lithos", "Generate and check lithos configs."),
    "machine-id": LazyCommand(
        ".commands.machine_id",
        "Generate, check and fix /etc/machine-id (exit 0 ok, 1 check failed, 2 bad input)."),
    "vagga": LazyCommand(".commands.vagga", "Write and check vagga.yaml, name images."),
    "validate": LazyCommand(".commands.validate",
                            "Check config files the way the real tools would."),
    "verwalter": LazyCommand(".commands.verwalter",
                             "Scaffold, check and preview verwalter config trees."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's LazyGroup pattern).

    ``list_commands`` answers from the registry and ``--help`` prints the
    registry's help lines, so neither imports a subcommand's module;
    ``get_command`` imports it. Loaded commands are cached apart from
    ``commands`` (which holds only the ones added eagerly), so documentation
    tools that look at ``commands`` first still see every command through
    ``list_commands`` and ``get_command``.
    """

    def __init__(self, *args: object, lazy_commands: Mapping[str, LazyCommand] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})
        """The subcommands imported on demand, by name."""
        self._loaded: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, sorted, without importing any."""
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand *cmd_name*, importing its module the first time."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is None:
            return None
        if cmd_name not in self._loaded:
            command = getattr(importlib.import_module(lazy.module, __package__), "cli", None)
            if not isinstance(command, click.Command):
                raise TypeError(f"{lazy.module}.cli is not a click command (for {cmd_name!r})")
            self._loaded[cmd_name] = command
        return self._loaded[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section of ``--help``, from the registry for unloaded ones."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or self._loaded.get(name)
            if command is None:
                # a stand-in carrying the registry's help, shortened the way click does
                command = click.Command(name, help=self.lazy_commands[name].help)
            if not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in rows])


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deploydocs tools")
def main() -> None:
    """Deploy a Django app with vagga, lithos, cantal and verwalter, step by step."""
