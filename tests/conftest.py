"""Shared fixtures: the repository root and a render-mode Sphinx build."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top directory."""
    return REPO_ROOT


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--burn-cpu[=N]``: keep N cores (default: all) busy while the fault tests run."""
    parser.addoption(
        "--burn-cpu", nargs="?", const="auto", default=None, metavar="N",
        help="run tests/faults with N busy processes (default: one per core) loading the "
             "machine; also DEPLOYDOCS_BURN_CPU=N")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the qemu lab's tests (``@pytest.mark.qemu``, anywhere under tests/) unless
    ``LAB=qemu`` is set: they boot three VMs, which takes minutes without KVM. Deselect the
    ``@pytest.mark.real_tools`` tests unless ``TOOLS_DIR`` (real binaries) is set."""
    import os

    skip = {"qemu": os.environ.get("LAB") != "qemu",
            "real_tools": not os.environ.get("TOOLS_DIR")}
    dropped = [item for item in items
               if any(on and item.get_closest_marker(name) for name, on in skip.items())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
