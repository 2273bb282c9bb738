"""Open the lab for a verify build (imported only by modes that execute).

``deploydocs_lab`` is a backend name understood by
``tools.lab.lab.open_lab`` (``docker``, ``ssh``, ``qemu``) or
``package.module:function``, a factory taking ``inventory``, ``tools_dir`` and
``progress`` keywords (the extension's tests use one for the local transport
double, and one for a docker lab of their own name).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol


class LabLike(Protocol):
    """What the runner and the kinds need from ``tools.lab.lab.Lab``."""

    hosts: Mapping[str, Any]
    nodes: list[str]

    def session(self, host: str, name: str = "default") -> Any: ...
    def tools(self, host: str) -> dict[str, str]: ...
    def fingerprint(self) -> dict[str, object]: ...
    def fault(self, host: str, action: str) -> None: ...
    def heal(self, host: str, action: str) -> None: ...


def open_configured_lab(spec: str, inventory: str, tools_dir: str,
                        progress: Callable[[str], None] = print) -> Any:
    """Return a started lab for the configured backend."""
    kwargs: dict[str, Any] = {
        "inventory": Path(inventory) if inventory else None,
        "tools_dir": Path(tools_dir) if tools_dir else None,
    }
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        return factory(progress=progress, **kwargs)
    from tools.lab.lab import open_lab

    return open_lab(spec, progress=progress, **kwargs)
