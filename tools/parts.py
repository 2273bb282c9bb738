"""Parts of the package imported by name, and what a copy of ``tools/`` without one says.

The command groups (:data:`tools.cli.COMMANDS`) and the lab's nodes
(:data:`tools.commands.nodes.LAB_HOOK`) are named by strings, relative to the
package, and imported when needed: an operator's copy of ``tools/`` may leave
``lab/`` out, and then only what needs the lab fails, with exit 3.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import OWN_MACHINES_HINT, MissingDependency

PACKAGE = __name__.rpartition(".")[0]
"""This package's import name (``tools`` in the checkout, ``deploydocs_tools`` installed)."""


def import_part(name: str, missing: str) -> ModuleType:
    """Import the module *name* (relative to :data:`PACKAGE` when it starts with a dot).

    When it, or a package above it inside this one, is not in this copy, stop with
    :class:`~tools.errors.MissingDependency` saying *missing* (exit 3); a library it
    needs that is missing is raised as it is.
    """
    wanted = importlib.util.resolve_name(name, PACKAGE)
    try:
        return importlib.import_module(wanted)
    except ModuleNotFoundError as exc:
        absent = exc.name or ""
        if absent.startswith(f"{PACKAGE}.") and f"{wanted}.".startswith(f"{absent}."):
            raise MissingDependency(missing, hint=OWN_MACHINES_HINT) from exc
        raise
