"""The thin command line over :mod:`tools`: it parses arguments and calls functions.

Exit codes, the same for every command (:class:`tools.errors.ExitCode`):

- 0: done, the check passed;
- 1: the thing checked is wrong (an invalid file, an unhealthy cluster, a failed check),
  or an operation on it did not succeed;
- 2: bad input: a usage error, a bad option, an input a command needs that is unreadable
  or invalid, no machines to act on (a file ``validate`` checks and finds wrong is 1);
- 3: the environment: an unreachable host or agent, a missing binary, no Docker daemon,
  the ``docker`` library not installed.

An error is one ``error: <message>`` line on stderr (and a ``hint:`` line); only real
usage errors print click's usage banner. Given ``--json``, a failing command prints one
JSON object on stdout instead (``{"ok": false, "error": {"kind": ..., "message": ...,
"exit_code": ...}}``) and nothing else there: :class:`MainGroup` does that for every
command.

The command groups live in :mod:`tools.commands` (the ``lab`` group in the lab,
:mod:`tools.lab.cli`) and are imported only when one of them runs (or its help is
asked for): ``python -m tools --help`` lists them from :data:`COMMANDS` without
importing any. Add a group by adding it there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click

from . import __version__
from .errors import ToolsError, usage_document
from .parts import import_part


@dataclass(frozen=True)
class LazyCommand:
    """Where a command group lives, and the help line ``--help`` shows for it."""

    module: str
    """The module defining it, relative to this package (``.commands.lithos``), so the
    package works under any import name; its ``cli`` attribute is the command."""
    help: str
    """Its short help, the same text as its docstring's first sentence."""


#: Every command group of ``python -m tools``, by name. The help lines say what a group
#: does; the exit codes are the same for all (the module docstring), so none repeats them.
COMMANDS: dict[str, LazyCommand] = {
    "cantal": LazyCommand(".commands.cantal", "Run and query cantal agents."),
    "copy": LazyCommand(".commands.copy", "Copy files from here to every node."),
    "deploy": LazyCommand(".commands.deploy", "Publish versions and watch rollouts."),
    "images": LazyCommand(".commands.images",
                          "Build (stand-in), pack, push, list and prune images."),
    "lab": LazyCommand(".lab.cli", "Start, inspect and stop the lab's machines."),
    "lithos": LazyCommand(".commands.lithos", "Generate and check lithos configs."),
    "machine-id": LazyCommand(".commands.machine_id",
                              "Generate, check and fix /etc/machine-id."),
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

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
            module = import_part(lazy.module, f"the {cmd_name} commands are not part of this "
                                              "copy of tools")
            command = getattr(module, "cli", None)
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


JSON_WANTED = "deploydocs_tools.json"
"""The key in ``ctx.meta`` (shared by a command's context and its parents') set when a
command's ``--json`` flag is given."""

EXIT_CODES_EPILOG = """\b
Exit codes (every command):
  0  done: the check passed, the operation succeeded
  1  the thing checked is wrong (invalid file, unhealthy cluster, failed check)
  2  bad input: usage error, bad option, an input a command needs that is
     unreadable or invalid, no machines to act on (a file `validate`
     checks and finds wrong is 1)
  3  environment: unreachable host or agent, missing binary, no Docker daemon,
     the docker library not installed
With --json, an error is one JSON object on stdout:
{"ok": false, "error": {"kind": ..., "message": ..., "exit_code": ...}}"""


def _note_json(previous: Callable[..., Any] | None) -> Callable[..., Any]:
    """A ``--json`` option callback that records the flag in ``ctx.meta``, then runs
    *previous* (the option's own callback, if any)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value:
            ctx.meta[JSON_WANTED] = True
        return previous(ctx, param, value) if previous is not None else value

    callback.notes_json = True  # type: ignore[attr-defined]  # a marker, read with getattr
    return callback


def note_json_flags(command: click.Command) -> None:
    """Make every ``--json`` option of *command* and its subcommands record itself in
    ``ctx.meta`` (:data:`JSON_WANTED`), so an error can be printed as JSON."""
    for param in command.params:
        if (isinstance(param, click.Option) and "--json" in param.opts
                and not getattr(param.callback, "notes_json", False)):
            param.callback = _note_json(param.callback)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            note_json_flags(sub)


class MainGroup(LazyGroup):
    """The ``python -m tools`` group: lazy subcommands, and one way to end on an error.

    A :class:`tools.errors.ToolsError` (or a usage error raised once the arguments were
    parsed) of a command given ``--json`` becomes one JSON object on stdout; without
    ``--json`` it prints itself (``error: ...`` on stderr). Either way the exit code is
    the error's.
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand *cmd_name*, its ``--json`` flags noted (:func:`note_json_flags`)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            note_json_flags(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a failure of one given ``--json`` is printed as JSON."""
        try:
            return super().invoke(ctx)
        except ToolsError as err:
            if not ctx.meta.get(JSON_WANTED):
                raise
            document = err.as_document()
        except click.UsageError as err:
            if not ctx.meta.get(JSON_WANTED):
                raise
            document = usage_document(err)
        click.echo(json.dumps(document, indent=2))
        ctx.exit(document["error"]["exit_code"])


@click.group(cls=MainGroup, lazy_commands=COMMANDS, epilog=EXIT_CODES_EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deploydocs-tools")
def main() -> None:
    """Deploy a Django app with vagga, lithos, cantal and verwalter, step by step."""
