"""Ctrl-C and SIGTERM during a verify run, and deadlines on what the teardown waits for.

The first SIGINT or SIGTERM of a run raises :class:`KeyboardInterrupt` where the run
is: the run unwinds, the fault ledger heals what it broke and the lab is closed
(:mod:`deploydocs.faults`, :func:`close_lab`), each under a deadline of its own
(:func:`deadline`), so a loaded machine makes a teardown fail, never hang.

A signal that arrives while the teardown runs (the second Ctrl-C, typically) forces
it: :class:`ForcedTeardown` is raised in whatever heal or wait is going on, the
heals still pending are skipped, and the lab is closed at once, without waiting for
its nodes (an ephemeral lab's resources are still removed). A signal during that
forced close gives up on it, and the build says what is left to ``lab reap``.

The handlers are installed from the main thread only (:mod:`signal` allows no other);
elsewhere the run keeps the process's handlers and runs without deadlines. They are
installed even when the build started with SIGINT ignored, as a job that a script
starts with ``&`` does (and everything it starts inherits): Python then installs no
``KeyboardInterrupt`` handler of its own, and a SIGINT sent to the build would be lost.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any, ClassVar

REAP_HINT = "`python -m tools lab reap` removes whatever the lab left behind"
"""What to run when a teardown could not finish."""
FORCED_CLOSE_DEADLINE = 30.0
"""Seconds a forced close of the lab may take at most (it asks the nodes nothing)."""


class ForcedTeardown(KeyboardInterrupt):
    """A second interrupt: stop waiting for heals and nodes, tear down at once."""


class DeadlineExceeded(BaseException):
    """A teardown step ran past its deadline.

    A :class:`BaseException`, so that the ``except Exception`` of the code being cut
    short (a lab call that swallows errors to go on) cannot swallow it too.
    """


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class Interrupts:
    """SIGINT and SIGTERM handling for one run (a context manager; see the module).

    :param say: where the lines saying what an interrupt did go.
    """

    _active: ClassVar[list[Interrupts]] = []

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self.say = say
        self.received: list[str] = []
        """Names of the signals received, in order."""
        self.forced = False
        """Whether the teardown was forced (an interrupt during the teardown)."""
        self.tearing_down = False
        self._previous: dict[int, Any] = {}

    @classmethod
    def current(cls) -> Interrupts | None:
        """The innermost :class:`Interrupts` in use, if any."""
        return cls._active[-1] if cls._active else None

    def __enter__(self) -> Interrupts:
        if _in_main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        self._active.append(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._active.remove(self)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: it only raises (printing here could re-enter a write)."""
        name = signal.Signals(signum).name
        self.received.append(name)
        if self.tearing_down or len(self.received) > 1:
            self.forced = True
            raise ForcedTeardown(f"signal {name} during the teardown")
        raise KeyboardInterrupt(f"signal {name}")

    @contextmanager
    def teardown(self) -> Iterator[Interrupts]:
        """While this block runs, an interrupt forces the teardown instead of starting it."""
        before, self.tearing_down = self.tearing_down, True
        try:
            yield self
        finally:
            self.tearing_down = before


@contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`DeadlineExceeded` in the block if it outlives *seconds*.

    The alarm (``SIGALRM``) cuts short any wait of the main thread: a ``docker`` API
    call, a ``select``, a ``sleep``. Not nested; outside the main thread there is no
    deadline.
    """
    if not _in_main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(f"{what} did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def close_lab(lab: Any, interrupts: Interrupts, say: Callable[[str], None],
              seconds: float) -> None:
    """Close *lab* (its sessions; an ephemeral lab goes down too) within *seconds*.

    A forced teardown (now, or by an interrupt during the close, or once *seconds* have
    passed) closes it with ``force=True`` when its ``close`` takes that: sessions are
    dropped without asking the nodes to end their commands, within
    :data:`FORCED_CLOSE_DEADLINE` (or *seconds*, if shorter). When even that does not
    finish, the build says what is left to ``lab reap``. So the close takes at most
    *seconds* plus that, however loaded the machine.
    """
    with interrupts.teardown():
        if not interrupts.forced:
            try:
                with deadline(seconds, "the teardown (closing the lab)"):
                    lab.close()
                return
            except ForcedTeardown:
                say("teardown forced (interrupted again): closing the lab at once, "
                    "without waiting for its nodes")
            except DeadlineExceeded as error:
                say(f"{error}: closing the lab at once, without waiting for its nodes")
        try:
            with deadline(min(seconds, FORCED_CLOSE_DEADLINE), "the forced teardown"):
                _close_now(lab)
            say("teardown forced: the lab is closed")
        except (ForcedTeardown, DeadlineExceeded) as error:
            why = "interrupted again" if isinstance(error, ForcedTeardown) else str(error)
            say(f"teardown abandoned ({why}): {REAP_HINT}")


def _close_now(lab: Any) -> None:
    """``lab.close(force=True)``, or ``lab.close()`` for a lab whose close has no *force*."""
    import inspect

    if "force" in inspect.signature(lab.close).parameters:
        lab.close(force=True)
    else:
        lab.close()
