"""What a kind's ``execute`` hook may use: the :class:`Context` of one step.

It gives the lab, the run's configuration, masking, the captured values,
transcripts, the fault ledger and sessions (restored across builds). A kind
records what it has seen so far in :attr:`Context.outputs` and
:attr:`Context.line`, so that a lab error in the middle of a block still
reports them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deploydocs.cache import ReplayCache
from deploydocs.config import RunConfig
from deploydocs.faults import FaultLedger
from deploydocs.lab import LabLike
from deploydocs.masking import Masker
from deploydocs.transcripts import Transcripts


@dataclass
class Context:
    """One step's view of the run."""

    lab: LabLike
    config: RunConfig
    masker: Masker
    captures: Mapping[str, str]
    transcripts: Transcripts
    faults: FaultLedger
    cache: ReplayCache
    progress: Callable[[str], None]
    outputs: dict[str, list[str]] = field(default_factory=dict)
    """Host → what the block has shown so far."""
    line: int = 0
    """The source line of the last command run so far (0: none)."""
    opening: threading.Lock = field(default_factory=threading.Lock)
    """Held while a host's worker opens (and restores) its session: the lab's and the
    cache's tables of sessions are shared by the step's workers."""

    def session(self, host: str, name: str) -> Any:
        """The lab session *name* on *host*, with the state replayed blocks left restored."""
        with self.opening:
            return self.cache.session(host, name)
