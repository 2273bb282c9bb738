"""Shared fixtures: the repository root and a render-mode Sphinx build."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top directory."""
    return REPO_ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the qemu lab's tests (``@pytest.mark.qemu``, anywhere under tests/) unless
    ``LAB=qemu`` is set: they boot three VMs, which takes minutes without KVM."""
    import os

    if os.environ.get("LAB") == "qemu":
        return
    qemu = [item for item in items if item.get_closest_marker("qemu")]
    if qemu:
        config.hook.pytest_deselected(items=qemu)
        items[:] = [item for item in items if not item.get_closest_marker("qemu")]
