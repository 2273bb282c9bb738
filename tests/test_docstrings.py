"""Run the stdlib doctest on every module of tools/."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tools

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(tools.__path__, "tools.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_some_docstring_examples_exist() -> None:
    attempted = sum(doctest.testmod(importlib.import_module(n)).attempted for n in MODULES)
    assert attempted > 0
