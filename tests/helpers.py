"""Small helpers shared by test modules: parametrize tables and CLI checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from click.testing import CliRunner


def keyed_cases(table: Mapping[str, object]) -> list[ParameterSet]:
    """One ``pytest.param(value, id=name)`` for each ``name: value`` entry of *table*."""
    return [pytest.param(value, id=name) for name, value in table.items()]


def named_cases(rows: Iterable[Sequence[object]]) -> list[ParameterSet]:
    """One ``pytest.param(*values, id=name)`` for each ``(name, *values)`` row of *rows*."""
    return [pytest.param(*row[1:], id=str(row[0])) for row in rows]


def assert_bad_name_rejected(command: Sequence[str], out: Path, args: Sequence[str],
                             option: str) -> None:
    """``python -m tools <command> --out <out> <args>`` exits 2 naming *option* (as click
    quotes it) and writes nothing to *out*."""
    from tools.cli import main

    result = CliRunner().invoke(main, [*command, "--out", str(out), *args])
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.output
    assert not out.exists()
