"""Lab factory for the verify benchmark: the lab named by ``DEPLOYDOCS_BENCH_LAB``.

``DEPLOYDOCS_LAB=bench.lablink:open_bench_lab`` makes the extension use it, so the benchmark
never touches a lab someone else is using. ``DEPLOYDOCS_BENCH_BACKEND`` picks its backend
(``docker``, the default, or ``qemu``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def open_bench_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                   progress: Callable[[str], None] = print) -> Any:
    """Open (bringing it up, idempotently) the lab ``$DEPLOYDOCS_BENCH_LAB``."""
    from tools.lab.lab import open_lab

    del inventory
    backend = os.environ.get("DEPLOYDOCS_BENCH_BACKEND") or "docker"
    return open_lab(backend, name=os.environ.get("DEPLOYDOCS_BENCH_LAB", "deploydocs.lab-bench"),
                    tools_dir=tools_dir, progress=progress)
