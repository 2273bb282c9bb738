"""What executing one step produced: an explicit :class:`Outcome`, whatever the kind.

A kind's ``execute`` hook returns one; the runner turns it into the block's
record (and, when it failed, a warning). Nothing travels on the side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """The result of executing one step.

    :param ok: whether the block did what the page says.
    :param message: why not (several lines: the first is the reason, the rest a diff...).
    :param host: the host it went wrong on; ``""`` means the block as a whole (every one of
        its hosts' sessions stops).
    :param also_failed: other hosts it went wrong on too (their sessions stop as well);
        the hosts of a multi-host step run at once, so more than one can fail.
    :param line: the source line to point the warning at (0: the directive's).
    :param outputs: host → what the block showed there (one entry per command for a run).
    :param captures: values the block captured, by name.
    :param differences: command index → observed output, for outputs that differed but
        were tolerated (accept mode); accept mode writes them into the page afterwards.
    :param reason: the record's one-line reason, when not the message's first line.
    :param cached: the step had nothing to do (a heal of a fault never applied).
    :param duration: seconds to record, when not the time the runner measured.
    """

    ok: bool = True
    message: str = ""
    host: str = ""
    also_failed: tuple[str, ...] = ()
    line: int = 0
    outputs: Mapping[str, list[str]] = field(default_factory=dict)
    captures: Mapping[str, str] = field(default_factory=dict)
    differences: Mapping[int, str] = field(default_factory=dict)
    reason: str = ""
    cached: bool = False
    duration: float | None = None

    @property
    def summary(self) -> str:
        """The one-line reason of a failed outcome.

        >>> Outcome(False, "output differs: $ ls\\n--- expected").summary
        'output differs: $ ls'
        """
        if self.reason:
            return self.reason
        return self.message.splitlines()[0] if self.message else ""
