"""The Sphinx extension type-checks: ``mypy _ext/deploydocs`` with the ``[tool.mypy]``
settings of the repository's pyproject.toml (strict for ``deploydocs``) finds nothing."""

from __future__ import annotations

from tests.helpers import assert_mypy_clean


def test_mypy_finds_no_error_in_the_extension() -> None:
    assert_mypy_clean("_ext/deploydocs")
