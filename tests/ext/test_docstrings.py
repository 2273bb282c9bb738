"""The examples in the extension's docstrings pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import deploydocs
import pytest

MODULES = sorted(m.name for m in pkgutil.walk_packages(deploydocs.__path__, "deploydocs."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
