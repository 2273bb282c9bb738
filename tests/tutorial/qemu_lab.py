"""Lab factory for the tutorial's qemu verify test: the qemu lab ``deploydocs.lab-qemututorial``.

``DEPLOYDOCS_LAB=tests.tutorial.qemu_lab:open_tutorial_qemu_lab`` makes a verify build use
it, so the test never touches the default lab or a lab someone else is using.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

LAB_NAME = "deploydocs.lab-qemututorial"


def open_tutorial_qemu_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                           progress: Callable[[str], None] = print) -> Any:
    """Open (bringing it up, idempotently) the test's qemu lab, with real lithos."""
    from tools.lab.lab import open_lab

    del inventory
    return open_lab("qemu", name=LAB_NAME, tools_dir=tools_dir, progress=progress)
