"""The tools package type-checks: ``mypy tools`` with the ``[tool.mypy]`` settings of the
repository's pyproject.toml (strict for ``tools.lab``) finds nothing."""

from __future__ import annotations

from tests.helpers import assert_mypy_clean


def test_mypy_finds_no_error_in_tools() -> None:
    assert_mypy_clean("tools")
