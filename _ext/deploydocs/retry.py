"""``:wait-until: N``: doing one attempt of a step again until it holds or N seconds pass.

The kinds that take the option (``lab-run``, ``lab-check``, ``lab-show-file``)
hand one attempt to :func:`poll`, or to :func:`until_passes` when the attempt
is an :class:`~deploydocs.outcome.Outcome`. Without the option an attempt
runs exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from deploydocs.outcome import Outcome

POLL_INTERVAL = 1.0
"""The longest pause, in seconds, between two attempts."""

T = TypeVar("T")


def poll(attempt: Callable[[], T], done: Callable[[T], bool],
         wait_until: float | None) -> tuple[T, int]:
    """Call *attempt* until *done* holds for what it returned, or *wait_until* seconds
    (counted from before the first call) have gone by; ``None`` means a single call.

    Returns the last result and how many calls were made.

    >>> poll(lambda: 3, lambda n: n > 5, None)
    (3, 1)
    >>> calls = iter(range(10))
    >>> poll(lambda: next(calls), lambda n: n == 2, 60.0)
    (2, 3)
    """
    deadline = time.monotonic() + (wait_until or 0)
    attempts = 0
    while True:
        attempts += 1
        result = attempt()
        if done(result) or wait_until is None or time.monotonic() >= deadline:
            return result, attempts
        time.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))


def until_passes(attempt: Callable[[], Outcome], wait_until: float | None) -> Outcome:
    """:func:`poll` for an outcome that passes; a last failure after waiting says how long
    and how many attempts it took.

    >>> until_passes(lambda: Outcome(False, "no"), 0.0).message
    'did not converge within 0s (1 attempts), last attempt: no'
    >>> until_passes(lambda: Outcome(False, "no"), None).message
    'no'
    """
    outcome, attempts = poll(attempt, lambda found: found.ok, wait_until)
    if not outcome.ok and wait_until is not None:
        return replace(outcome, message=f"did not converge within {wait_until:g}s "
                                        f"({attempts} attempts), last attempt: "
                                        f"{outcome.message}")
    return outcome
