"""Lab factory of the fault tests: a docker lab of its own name, taken down when closed.

``DEPLOYDOCS_LAB=tests.faults.ephemeral_lab:open_ephemeral_lab`` with
``DEPLOYDOCS_FAULT_LAB=<name>`` makes a verify build bring up the lab ``<name>`` and remove it
in its teardown (``Lab.close``), so a test can tell whether teardown ran: after it, no resource
labelled with that lab's name remains.

``DEPLOYDOCS_FAULT_HOLD_HEAL=1`` makes every heal hang (it says so first), as a heal on a
starved machine may: only a deadline or a second interrupt ends it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def open_ephemeral_lab(*, inventory: Path | None = None, tools_dir: Path | None = None,
                       progress: Callable[[str], None] = print) -> Any:
    """Open the docker lab ``$DEPLOYDOCS_FAULT_LAB``; its ``close`` also takes it down."""
    from tools.lab.backends.docker import DockerLab
    from tools.lab.lab import open_lab

    del inventory
    name = os.environ["DEPLOYDOCS_FAULT_LAB"]
    lab = open_lab("docker", name=name, tools_dir=tools_dir,
                   progress=progress)
    close = lab.close

    def close_and_down(force: bool = False) -> None:
        try:
            close(force=force)
        finally:
            DockerLab(name).down()

    lab.close = close_and_down  # type: ignore[method-assign]
    if os.environ.get("DEPLOYDOCS_FAULT_HOLD_HEAL"):
        heal = lab.heal

        def held_heal(host: str, action: str) -> None:
            progress(f"holding heal {action} on {host}")
            threading.Event().wait(3600)  # a heal that does not come back by itself
            heal(host, action)

        lab.heal = held_heal  # type: ignore[method-assign]
    return lab
