"""Factory for the real docker lab under a name of its own, for the extension's lab tests.

``deploydocs_lab = "tests.ext.docker_lab:open_test_lab"`` opens (and brings up,
idempotently) the docker lab named :data:`LAB_NAME`, so these tests never
disturb a lab someone else is using. The test fixture takes it down.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

LAB_NAME = "deploydocs.lab-ext"


def open_test_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                  progress: Callable[[str], None] = print) -> Any:
    """Open the docker lab :data:`LAB_NAME` (``tools.lab.lab.open_lab``)."""
    from tools.lab.lab import open_lab

    return open_lab("docker", name=LAB_NAME, tools_dir=tools_dir, progress=progress)
