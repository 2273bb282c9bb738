"""What the lab can do to a node for the fault chapters: one list, for every backend, the
CLI and the Sphinx extension.

A data centre gives a power switch and a network cable; the lab gives the same two, and
a third, gentler fault that a reader would type themselves:

* ``stop``: the power switch (off; the heal powers the node on and waits for it);
* ``isolate``: the cable (pulled; the heal plugs it back and waits for the node);
* ``kill:<pattern>``: end the node's processes whose command line matches the ``pgrep
  -f`` pattern. Its heal does nothing: what was killed stays dead until a later block
  (or the process's supervisor) starts it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FaultAction(StrEnum):
    """The kinds of fault (a ``str``: ``FaultAction.STOP == "stop"``)."""

    STOP = "stop"
    ISOLATE = "isolate"
    KILL = "kill"


POWER_AND_CABLE = (FaultAction.STOP, FaultAction.ISOLATE)
"""The faults a backend carries out (``kill`` runs ``pkill`` on the node, the same for all)."""

USAGE = "stop, isolate or kill:<pattern>"
"""How the fault actions are written, for error messages."""


@dataclass(frozen=True)
class Fault:
    """One fault as written: its action, and for ``kill`` the ``pgrep -f`` pattern."""

    action: FaultAction
    pattern: str = ""

    def __str__(self) -> str:
        return f"kill:{self.pattern}" if self.action is FaultAction.KILL else self.action.value


def parse_fault(text: str) -> Fault:
    """The fault *text* names; :class:`ValueError` saying what is accepted otherwise.

    >>> parse_fault("kill:gunicorn")
    Fault(action=<FaultAction.KILL: 'kill'>, pattern='gunicorn')
    >>> str(parse_fault("stop"))
    'stop'
    """
    if text.startswith("kill:"):
        pattern = text[len("kill:"):]
        if not pattern:  # pkill -f '' would end every process of the node
            raise ValueError("fault 'kill:' needs a pattern: kill:<pgrep -f pattern>")
        return Fault(FaultAction.KILL, pattern)
    if text in (FaultAction.STOP, FaultAction.ISOLATE):
        return Fault(FaultAction(text))
    raise ValueError(f"unknown fault {text!r}: use {USAGE}")
