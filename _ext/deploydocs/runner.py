"""Run a plan on the lab's hosts: one loop over the steps, whatever their kinds.

For each step, in plan order: a stopped session holds it back; the replay
cache may replay it (:mod:`deploydocs.cache`); the other gates its kind names
may hold it back (:mod:`deploydocs.gates`); otherwise its kind executes it and returns an
:class:`~deploydocs.outcome.Outcome`, which becomes the block's record and,
when it failed, a warning with the host's transcript tail and diagnostics.
The whole loop runs inside the fault ledger (:mod:`deploydocs.faults`), which
heals every fault when the run ends, however it ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from deploydocs.cache import CHAIN, DEFER, ReplayCache
from deploydocs.config import RunConfig
from deploydocs.context import Context
from deploydocs.diagnostics import Diagnostics
from deploydocs.faults import FaultLedger
from deploydocs.gates import STOPPED, Gates
from deploydocs.kinds import KindSpec, spec_for
from deploydocs.lab import LabLike
from deploydocs.masking import Masker
from deploydocs.outcome import Outcome
from deploydocs.plan import Plan
from deploydocs.records import OBSERVED, BlockRecord, Status, fingerprint_id
from deploydocs.results import Failure, RunResult
from deploydocs.steps import Step
from deploydocs.transcripts import Transcripts

TRANSCRIPT_TAIL = 12


class Runner:
    """Runs one plan against one lab.

    :param previous: block records of the last run, by (docname, block id), for caching.
    :param config: how to run (accept mode, cache, internet, tool aliases...).
    :param progress: called with one line per event (Sphinx's info log).
    """

    def __init__(self, lab: LabLike, *,
                 previous: Mapping[tuple[str, str], BlockRecord] | None = None,
                 config: RunConfig | None = None, masker: Masker | None = None,
                 progress: Callable[[str], None] = lambda line: None) -> None:
        self.lab = lab
        self.config = config or RunConfig()
        self.masker = masker or Masker()
        self.progress = progress
        self.previous = dict(previous or {})
        self.now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.result = RunResult()
        self.captures: dict[str, str] = {}
        self.transcripts = Transcripts(self.masker, self.result.transcripts)
        self.faults = FaultLedger(lab, progress, self.result.heals,
                                  heal_deadline=self.config.heal_deadline)
        self.gates = Gates(lab, aliases=self.config.tool_aliases,
                           internet=self.config.internet, captures=self.captures)
        self.diagnose = Diagnostics(lab, self.gates.tools, self.config.diagnostics)
        self.cache: ReplayCache | None = None

    def run(self, plan: Plan) -> RunResult:
        """Run every step; every fault is healed at the end whatever happens."""
        self.result.fingerprint = dict(self.lab.fingerprint())
        self.cache = ReplayCache(self.lab, self.previous,
                                 fingerprint_id=fingerprint_id(self.result.fingerprint),
                                 enabled=self.config.replay, captures=self.captures,
                                 transcripts=self.transcripts, progress=self.progress,
                                 serial=self.config.serial)
        with self.faults:
            page = None
            for step in plan.steps:
                if step.block.docname != page and page is not None:
                    self._observe()
                page = step.block.docname
                self._step(step)
            self._observe()
        return self.result

    def _observe(self) -> None:
        """Note the real tools on the nodes now (after each page and at the end): what
        the blocks installed and ran. Tools seen once stay noted, so a page that removes
        them (cleaning up) does not hide what the run used."""
        observed = getattr(self.lab, "observed", None)
        if not callable(observed):
            return
        seen = self.result.fingerprint.setdefault(OBSERVED, {})
        for node, info in observed().items():
            entry = seen.setdefault(node, {"tools": {}, "sha256": {}})
            entry["tools"].update(info.get("tools", {}))
            entry["sha256"].update(info.get("sha256", {}))

    def _step(self, step: Step) -> None:
        """Replay the step, hold it back at a gate, or run it.

        The order is the rule that keeps a replay sound: a block whose session stopped
        (an earlier block failed in this run) never replays; otherwise a keyed block
        whose key matches a passed record replays *before* the other gates are asked,
        since they look at the lab as it is now, which a replayed run did not make
        (the last page removes the tools the ``:requires:`` gate would look for). A
        keyed block's key is chained whether it runs, replays or is held back, so the
        chain of a session never depends on the lab's state.
        """
        assert self.cache is not None
        spec = spec_for(step.block.kind)
        first = tuple(g for g in spec.gates if g == STOPPED)
        held = self.gates.check(step, first)
        key = ""
        if held is None and spec.cache == CHAIN:
            key = self.cache.key(step)
            replayed = self.cache.replayable(step, key)
            if replayed is not None:
                self.captures.update(replayed.captures)
                if spec.keeps_session_state:
                    self.cache.replayed_state(step, key)
                self._store(step, replayed)
                return
        if held is None:
            held = self.gates.check(step, tuple(g for g in spec.gates if g != STOPPED))
        if held is not None:
            self._store(step, self._record(step, status=held[0], reason=held[1]))
            return
        if spec.cache == CHAIN:
            # Nothing to replay (asked above): this says so and breaks the sessions' cache.
            self.cache.replay(step, key)
            for deferred in self.faults.take_deferred():
                self._execute(deferred, spec_for(deferred.block.kind))
        elif spec.cache == DEFER and self.cache.enabled:
            self.faults.defer(step)
            replayed = self.cache.replay_unkeyed(step)
            self._store(step, replayed or self._record(step, status=Status.PASSED, cached=True),
                        quiet=True)
            return
        self._execute(step, spec, key)

    def _execute(self, step: Step, spec: KindSpec, key: str = "") -> None:
        """Execute one step and keep what came of it."""
        assert self.cache is not None
        ctx = Context(self.lab, self.config, self.masker, self.captures, self.transcripts,
                      self.faults, self.cache, self.progress)
        started = time.monotonic()
        for host in step.hosts:  # a block that runs may install tools there
            self.gates.tools.forget(host)
        try:
            outcome = spec.execute(step, ctx)
        except Exception as error:  # a lab error fails this block only
            outcome = Outcome(False, f"lab error: {type(error).__name__}: {error}",
                              host=step.hosts[0], line=ctx.line, outputs=ctx.outputs)
        duration = outcome.duration
        if duration is None:
            duration = round(time.monotonic() - started, 3)
        self.captures.update(outcome.captures)
        if outcome.differences:
            self.result.differences[(step.block.docname, step.block.id)] = outcome.differences
        if step.implicit:
            return
        record = self._record(step, status=Status.PASSED, cache_key=key, duration=duration,
                              cached=outcome.cached, outputs=dict(outcome.outputs),
                              captures=dict(outcome.captures))
        if spec.keeps_session_state and outcome.ok:
            self.cache.save_state(step, key)
        if outcome.ok:
            self._store(step, record)
            return
        record.status, record.reason, record.cache_key = Status.FAILED, outcome.summary, ""
        self._fail(step, record, outcome)

    # -- bookkeeping ------------------------------------------------------------
    def _record(self, step: Step, **fields: Any) -> BlockRecord:
        block = step.block
        return BlockRecord(block_id=block.id, lineno=block.lineno, kind=block.kind,
                           hosts=list(step.hosts), session=block.session,
                           verified_at=self.now, fingerprint_id=self.cache.fingerprint_id
                           if self.cache else "", stand_in=block.options.stand_in, **fields)

    def _store(self, step: Step, record: BlockRecord, quiet: bool = False) -> None:
        block = step.block
        self.result.records[(block.docname, record.block_id)] = record
        self.gates.recorded(step, record)
        if quiet:
            return
        label = f"{record.status}{' (cached)' if record.cached else ''}"
        if record.reason:
            label += f": {record.reason}"
        self.progress(f"{block.location} {block.kind} {' '.join(step.hosts)}: {label}")

    def _fail(self, step: Step, record: BlockRecord, outcome: Outcome) -> None:
        block = step.block
        message = self.masker.mask(outcome.message)
        record.diff = message
        for host in [outcome.host, *outcome.also_failed] if outcome.host else step.hosts:
            self.gates.stop(block, host)
        host = outcome.host or (step.hosts[0] if step.hosts else "")
        self.result.failures.append(Failure(
            block, record, message, host,
            self.transcripts.tail(host, block.session, TRANSCRIPT_TAIL),
            self.masker.mask(self.diagnose(host)), outcome.line))
        self._store(step, record)
