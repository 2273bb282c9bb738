"""Where the real lithos binaries are, when this machine has them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def find_lithos_bin() -> Path | None:
    """A directory holding the real lithos_check (and lithos_tree, lithos_knot), or None.

    Looked for in $DEPLOYDOCS_LITHOS_BIN, on PATH, then in the build cache of
    tools.lithos.build (/var/cache/deploydocs/lithos-0.18.4-*/bin). Nothing is
    built here: the lab's build helper does that.
    """
    explicit = os.environ.get("DEPLOYDOCS_LITHOS_BIN")
    if explicit:
        return Path(explicit)
    found = shutil.which("lithos_check")
    if found:
        return Path(found).parent
    for candidate in sorted(Path("/var/cache/deploydocs").glob("lithos-0.18.4-*/bin")):
        if (candidate / "lithos_check").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def lithos_bin() -> Path:
    """The real lithos binaries; the test is skipped (with the reason) when absent."""
    found = find_lithos_bin()
    if found is None:
        pytest.skip("real lithos 0.18.4 is not built on this machine "
                    "(deploydocs-tools lithos build builds it)")
    return found
