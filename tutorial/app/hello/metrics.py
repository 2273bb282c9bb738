"""The metrics hello exports to cantal, with the ``cantal`` library.

cantal-agent finds a process's metrics through the ``CANTAL_PATH``
environment variable: the library writes ``<CANTAL_PATH>.meta`` (what each
value is) and ``<CANTAL_PATH>.values`` (the numbers, memory-mapped). When
``CANTAL_PATH`` is unset, nothing is written anywhere and the counters
simply count in memory, so the app runs the same on a laptop.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import MutableMapping

import cantal


class AppMetrics:
    """The app's counters, kept in their own cantal collection."""

    def __init__(self) -> None:
        self._collection = cantal.Collection()
        self.requests = cantal.Counter(
            collection=self._collection, group="hello", metric="requests"
        )
        self._active: object | None = None

    @property
    def exported(self) -> bool:
        """Whether the counters are being written to files for cantal."""
        return self._active is not None

    def export_to(self, base_path: str) -> None:
        """Write the counters to ``base_path + ".meta"/".values"`` from now on."""
        # Collection.start moves every counter onto the memory-mapped file.
        self._active = self._collection.start(base_path)

    def close(self) -> None:
        """Remove the exported files (cantal stops reading a finished process)."""
        if self._active is not None:
            self._active.close()  # type: ignore[attr-defined]
            self._active = None


METRICS = AppMetrics()
"""The counters of this process."""


def export_from_environment(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Start exporting to ``CANTAL_PATH`` if it is set; return the path used, or None."""
    path = environ.get("CANTAL_PATH")
    if not path or METRICS.exported:
        return None
    METRICS.export_to(path)
    atexit.register(METRICS.close)
    return path
