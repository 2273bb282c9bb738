"""Factory for the real docker lab under a name of its own, for the extension's lab tests.

``deploydocs_lab = "tests.ext.docker_lab:open_test_lab"`` opens (and brings up,
idempotently) the docker lab named by ``DEPLOYDOCS_TEST_LAB_NAME`` (default
:data:`LAB_NAME`). The test fixture sets a name of its own per test session,
so two test runs, or a test run and someone's verify, never share (and never
take down) each other's lab. The fixture takes its lab down at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

LAB_NAME = "deploydocs.lab-ext"


def open_test_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                  progress: Callable[[str], None] = print) -> Any:
    """Open the docker lab :data:`LAB_NAME` (``tools.lab.lab.open_lab``)."""
    from tools.lab.lab import open_lab

    name = os.environ.get("DEPLOYDOCS_TEST_LAB_NAME") or LAB_NAME
    return open_lab("docker", name=name, tools_dir=tools_dir, progress=progress)
