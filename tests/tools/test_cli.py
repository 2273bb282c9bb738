"""``python -m tools``: the command groups load lazily, and ``--help`` still lists them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tools.cli import COMMANDS, LazyCommand, LazyGroup, main

_HELP_IN_A_FRESH_PROCESS = """
import json, sys
import click
from tools.cli import main
if sys.argv[1:] == ["loaded"]:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        main.get_command(ctx, name)  # load them all: --help then uses their own help
try:
    main(["--help"], prog_name="python -m tools", terminal_width=80)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def fresh_help(*args: str) -> tuple[str, list[str]]:
    """``--help`` in a new interpreter (so no earlier test's imports count): its text and
    the modules it imported. With ``loaded``, every group is loaded first."""
    result = subprocess.run([sys.executable, "-c", _HELP_IN_A_FRESH_PROCESS, *args],
                            capture_output=True, text=True, check=True,
                            env={k: v for k, v in os.environ.items()
                                 if k not in ("COLUMNS", "LINES")})
    text, _, modules = result.stdout.rpartition("\n[")
    return text + "\n", json.loads("[" + modules)


def test_help_imports_no_command_group_nor_heavy_library() -> None:
    text, modules = fresh_help()
    assert "Commands:" in text
    assert [m for m in modules if m.startswith("tools.commands")] == []
    for heavy in ("rich", "docker", "ruamel", "jinja2", "lupa", "tools.lab"):
        assert heavy not in modules


def test_help_lists_every_group_as_the_loaded_groups_would() -> None:
    lazy_text, _ = fresh_help()
    loaded_text, modules = fresh_help("loaded")
    assert "tools.commands.validate" in modules
    assert loaded_text == lazy_text
    for name in COMMANDS:
        assert f"\n  {name} " in lazy_text


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_group_resolves_with_the_registered_help(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command)
    assert command.name == name
    registered = click.Command(name, help=COMMANDS[name].help)
    assert registered.get_short_help_str(1000) == command.get_short_help_str(1000)


def test_unknown_commands_and_broken_registrations() -> None:
    ctx = click.Context(main)
    assert main.get_command(ctx, "nosuch") is None
    assert CliRunner().invoke(main, ["nosuch"]).exit_code == 2
    group = LazyGroup("g", lazy_commands={"x": LazyCommand("tools.problems", "X.")})
    with pytest.raises(TypeError, match=r"tools\.problems\.cli is not a click command"):
        group.get_command(click.Context(group), "x")


def test_sphinx_click_sees_every_group() -> None:
    ext = pytest.importorskip("sphinx_click.ext")
    ctx = click.Context(main, info_name="python -m tools")
    assert [c.name for c in ext._filter_commands(ctx)] == sorted(COMMANDS)
    lithos = click.Context(main.get_command(ctx, "lithos"), info_name="lithos", parent=ctx)
    assert [c.name for c in ext._filter_commands(lithos)] == ["build", "check", "generate", "unit"]
    assert any("--dry-run" in line for line in ext._format_command(
        click.Context(lithos.command.get_command(lithos, "generate"), info_name="generate",
                      parent=lithos), nested="full"))
