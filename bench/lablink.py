"""Lab factory for the verify benchmark: the docker lab named by ``DEPLOYDOCS_BENCH_LAB``.

``DEPLOYDOCS_LAB=bench.lablink:open_bench_lab`` makes the extension use it, so the benchmark
never touches a lab someone else is using.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def open_bench_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                   progress: Callable[[str], None] = print) -> Any:
    """Open (bringing it up, idempotently) the docker lab ``$DEPLOYDOCS_BENCH_LAB``."""
    from tools.lab.lab import open_lab

    del inventory
    return open_lab("docker", name=os.environ.get("DEPLOYDOCS_BENCH_LAB", "deploydocs.lab-bench"),
                    tools_dir=tools_dir, progress=progress)
