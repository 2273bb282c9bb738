"""The replay cache: keys, the session state kept across builds, and "replay or run".

A block's key chains its text (captured values substituted), the keys of
every earlier block of its session(s) and the lab fingerprint. A block whose
key equals the one recorded last time, and which passed then, is *replayed*:
its record is taken as it is and nothing runs. The first block of a session
that is not replayed *breaks* the session's cache: it and everything after it
in that session run.

So that such a session can resume where the replayed blocks left it, each
block that ran in a session saves the session's working directory and
exported variables on the host (:data:`STATE_DIR`, named by its key); the
session's first command of a later build restores the state of its last
replayed block.

How a kind is cached is its :attr:`~deploydocs.kinds.base.KindSpec.cache`:
:data:`CHAIN`, :data:`DEFER` or :data:`ALWAYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.parallel import each_host
from deploydocs.records import BlockRecord, Status, cache_key
from deploydocs.steps import Step
from deploydocs.transcripts import Transcripts

CHAIN = "chain"
"""Keyed and chained through the block's sessions; replayed when the key is unchanged."""
DEFER = "defer"
"""Not keyed; with the cache on, taken as recorded and its effect deferred until a block
really runs (faults)."""
ALWAYS = "always"
"""Always executed (heals)."""

STATE_DIR = "/tmp/deploydocs-session-state"
"""Where, on each host, a session's cwd and exported variables are saved after each block,
so a later build can resume the session after the blocks it takes from the cache."""

Session = tuple[str, str]
"""(host, session name)."""


def key_text(block: Block, text: str) -> str:
    """What of a block goes into its key: kind, options as written, argument, text.

    The committed records hold keys made from exactly this; changing it re-runs
    every block once.

    >>> key_text(Block("lab-run", "d", "d.rst", 1, ("n",), argument="n"), "$ ls")
    'lab-run\\x00()\\x00n\\x00$ ls'
    """
    return f"{block.kind}\0{block.raw_options}\0{block.argument}\0{text}"


def sessions_of(step: Step) -> list[Session]:
    """The (host, session) pairs a step runs in."""
    return [(host, step.block.session) for host in step.hosts]


class ReplayCache:
    """Replay or run, for one run.

    :param previous: the last records, by (docname, block id).
    :param fingerprint_id: the lab's fingerprint id (part of every key).
    :param enabled: whether recorded results may be replayed.
    :param captures: the run's captured values (substituted into the keyed text).
    :param serial: a step's sessions are saved one after the other (``deploydocs_serial``).
    """

    def __init__(self, lab: Any, previous: Mapping[tuple[str, str], BlockRecord], *,
                 fingerprint_id: str, enabled: bool, captures: Mapping[str, str],
                 transcripts: Transcripts, progress: Callable[[str], None],
                 serial: bool = False) -> None:
        self.lab = lab
        self.serial = serial
        self.previous = previous
        self.fingerprint_id = fingerprint_id
        self.enabled = enabled
        self.captures = captures
        self.transcripts = transcripts
        self.progress = progress
        self.session_keys: dict[Session, str] = {}
        self.broken: set[Session] = set()
        self.state_keys: dict[Session, tuple[str, Block]] = {}
        """(host, session) → key and block of its last block that keeps session state."""
        self.live: set[Session] = set()
        """Sessions that ran a command in this build."""

    # -- keys and replay --------------------------------------------------------
    def key(self, step: Step) -> str:
        """The step's key, chained onto (and now ending) its sessions' chains."""
        sessions = sessions_of(step)
        text, _ = substitute("\n".join(step.block.content), self.captures)
        previous_keys = "|".join(self.session_keys.get(s, "") for s in sessions)
        key = cache_key(previous_keys, key_text(step.block, text), self.fingerprint_id)
        for session in sessions:
            self.session_keys[session] = key
        return key

    def replay_unkeyed(self, step: Step) -> BlockRecord | None:
        """The step's last record, as replayed, when it passed (for kinds without a key)."""
        old = self.previous.get((step.block.docname, step.block.id))
        if old is None or old.status != Status.PASSED:
            return None
        return BlockRecord(**{**old.__dict__, "cached": True})

    def replayable(self, step: Step, key: str) -> BlockRecord | None:
        """The recorded result to replay when the step's key matches a passed record, else
        None (without breaking the sessions' cache: :meth:`replay` does that)."""
        old = self.previous.get((step.block.docname, step.block.id))
        if self.enabled and old is not None and old.cache_key == key:
            return self.replay_unkeyed(step)
        return None

    def replay(self, step: Step, key: str) -> BlockRecord | None:
        """The recorded result to replay, or None: then the step must run, and its
        sessions' cache is broken from here on (said once per session)."""
        old = self.previous.get((step.block.docname, step.block.id))
        if self.enabled and old is not None and old.cache_key == key:
            replayed = self.replay_unkeyed(step)
            if replayed is not None:
                return replayed
        sessions = sessions_of(step)
        if self.enabled and self.previous and not any(s in self.broken for s in sessions):
            if old is None:
                why = "the block is new or changed"
            elif old.status != Status.PASSED:
                why = f"it was {old.status} last time"
            else:
                why = "an earlier block of the session, a capture or the lab changed"
            self.progress(f"re-running from {step.block.location} onward in session "
                          f"{', '.join(f'{h}[{n}]' for h, n in sessions)}: {why}")
        self.broken.update(sessions)
        return None

    # -- session state across builds ----------------------------------------------
    def replayed_state(self, step: Step, key: str) -> None:
        """A replayed block left its sessions in the state saved under *key*."""
        for session in sessions_of(step):
            self.state_keys[session] = (key, step.block)

    def save_state(self, step: Step, key: str) -> None:
        """Save the state the step left in each of its sessions, under *key* (the
        sessions at once, as the step ran, unless :attr:`serial`)."""
        command = (f"mkdir -p {STATE_DIR} && {{ export -p; printf 'cd %q\\n' \"$PWD\"; }}"
                   f" > {STATE_DIR}/{key}.sh")

        def save(host: str) -> None:
            self.lab.session(host, step.block.session).run(command, timeout=30)

        each_host(step.hosts, save, serial=self.serial)
        for session in sessions_of(step):
            self.state_keys[session] = (key, step.block)

    def session(self, host: str, name: str) -> Any:
        """The lab session *name* on *host*; before its first command in this build, the
        state the replayed blocks left (cwd and exported variables) is restored."""
        session = self.lab.session(host, name)
        if (host, name) in self.live:
            return session
        self.live.add((host, name))
        if (host, name) not in self.state_keys:
            return session
        key, block = self.state_keys[(host, name)]
        path = f"{STATE_DIR}/{key}.sh"
        result = session.run(f"if [ -r {path} ]; then . {path} >/dev/null 2>&1; echo restored;"
                             " fi", timeout=30)
        if result.stdout.strip() == "restored":
            note = f"restored the cwd and exported variables left by {block.location}"
        else:
            note = (f"no saved state of {block.location} on {host}; the session starts "
                    "fresh (run once without the cache: deploydocs_cache = False)")
        self.transcripts.note(host, name, f"# {note}")
        self.progress(f"{host}[{name}]: {note}")
        return session
