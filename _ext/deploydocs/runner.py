"""Run a plan on the lab's hosts: the only module that executes anything.

Blocks run in plan order; within a (host, session) they run one after
another in one long-lived shell (``lab.session(host, name)``). Faults are
healed at ``lab-heal``, at the end of their page, and always in teardown
(``finally``), even when a block failed, timed out or the run was interrupted.

Caching: each block's key chains its text (captures substituted), every
earlier block of its session(s) and the lab fingerprint. A block whose key
equals the recorded one, and which passed then, is not re-run.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from deploydocs.blocks import Block, Kind
from deploydocs.checks import parse_check, run_check, testinfra_host
from deploydocs.compare import compare_output
from deploydocs.masking import Masker
from deploydocs.plan import Plan, Step
from deploydocs.records import BlockRecord, Status, cache_key, fingerprint_id

TOOL_ALIASES = {"lithos": "lithos_tree", "cantal": "cantal-agent"}
"""``:requires:`` names that stand for a tool's main binary."""
CAPTURE_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
POLL_INTERVAL = 1.0
STATE_DIR = "/tmp/deploydocs-session-state"
"""Where, on each host, a session's cwd and exported variables are saved after each block,
so a later build can resume the session after the blocks it takes from the cache."""
TRANSCRIPT_TAIL = 12


class LabLike(Protocol):
    """What the runner needs from ``tools.lab.lab.Lab`` (contract section A)."""

    hosts: Mapping[str, Any]
    nodes: list[str]

    def session(self, host: str, name: str = "default") -> Any: ...
    def tools(self, host: str) -> dict[str, str]: ...
    def fingerprint(self) -> dict[str, object]: ...
    def fault(self, host: str, action: str) -> None: ...
    def heal(self, host: str, action: str) -> None: ...


@dataclass
class Failure:
    """A failed block, with everything the warning needs."""

    block: Block
    record: BlockRecord
    message: str
    host: str = ""
    transcript_tail: list[str] = field(default_factory=list)
    diagnostics: str = ""
    lineno: int = 0
    """The failing command's line, when one command failed."""


@dataclass
class RunResult:
    """What a run produced: per-block records, transcripts, failures."""

    records: dict[tuple[str, str], BlockRecord] = field(default_factory=dict)
    transcripts: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    heals: list[str] = field(default_factory=list)
    """Heals performed, in order, with why (for the log and tests)."""


def wrap(command: str) -> str:
    """Merge stderr into stdout, in order, as a terminal shows it (runs in the session's shell)."""
    return "{ " + command + "\n} 2>&1"


def substitute(text: str, captures: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``${NAME}`` by captured values; return the text and the missing names.

    >>> substitute("ping ${LEADER}", {"LEADER": "node2"})
    ('ping node2', [])
    """
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in captures:
            return captures[name]
        missing.append(name)
        return match.group(0)

    return CAPTURE_REF.sub(repl, text), missing


class Runner:
    """Runs one plan against one lab.

    :param previous: block records of the last run, by (docname, block id), for caching.
    :param block_id: maps a block to its id in its document.
    :param progress: called with one line per event (Sphinx's info log).
    """

    def __init__(
        self,
        lab: LabLike,
        *,
        block_id: Callable[[Block], str],
        previous: Mapping[tuple[str, str], BlockRecord] | None = None,
        masker: Masker | None = None,
        progress: Callable[[str], None] = lambda line: None,
        accept: bool = False,
        use_cache: bool = True,
        internet: bool = False,
    ) -> None:
        self.lab = lab
        self.block_id = block_id
        self.previous = dict(previous or {})
        self.masker = masker or Masker()
        self.progress = progress
        self.accept = accept
        self.use_cache = use_cache and not accept
        self.internet = internet
        """Whether the lab reaches the internet; blocks marked ``:needs-internet:`` run only
        then (the docker and qemu labs never do)."""
        self.real_runs: dict[tuple[str, str], BlockRecord] = {}
        """(docname, tool) → the record of the page's latest block that requires *tool*."""
        self.captures: dict[str, str] = {}
        self.session_keys: dict[tuple[str, str], str] = {}
        self.stopped: dict[tuple[str, str, str], Block] = {}
        """(docname, host, session) → the failed block that stops the rest of that page's
        session on that host; the other hosts' sessions of the same name go on."""
        self.pending_faults: list[tuple[str, str]] = []
        self.tool_cache: dict[str, dict[str, str]] = {}
        self.result = RunResult()
        self.fp_id = ""
        self.now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.cache_broken: set[tuple[str, str]] = set()
        self.fail_line = 0
        self.deferred: list[Step] = []
        self.state_keys: dict[tuple[str, str], tuple[str, Block]] = {}
        """(host, session) → cache key and block of its last lab-run block."""
        self.live: set[tuple[str, str]] = set()
        """Sessions that ran a command in this build."""
        self.accepted: dict[tuple[str, str], dict[int, str]] = {}
        """(docname, block id) → command index → observed output, in accept mode."""

    # -- the loop -------------------------------------------------------------
    def run(self, plan: Plan) -> RunResult:
        """Run every step; heal every fault at the end whatever happens."""
        self.result.fingerprint = dict(self.lab.fingerprint())
        self.fp_id = fingerprint_id(self.result.fingerprint)
        previous_handler = None
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so the heals below run.
            previous_handler = signal.signal(signal.SIGTERM, _terminate)
        try:
            for step in plan.steps:
                self._step(step)
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            self.deferred.clear()
            for host, action in reversed(self.pending_faults):
                self._heal(host, action, "teardown")
            self.pending_faults.clear()
        return self.result

    def _step(self, step: Step) -> None:
        kind = step.block.kind
        if kind is Kind.FAULT:
            self._fault(step)
        elif kind is Kind.HEAL:
            applied = [self._heal(host, action, "end of page" if step.implicit else
                                  f"lab-heal at {step.block.location}")
                       for host, action in step.heals]
            if not step.implicit:
                self._store(step, BlockRecord(**self._base(step), status=Status.PASSED,
                                              cached=not any(applied)))
        else:
            self._run_block(step)

    # -- faults ---------------------------------------------------------------
    def _fault(self, step: Step) -> None:
        missing = self._missing_tools(step)
        if missing:
            self._store(step, BlockRecord(**self._base(step), status=Status.NOT_RUN,
                                          reason=missing))
            return
        if self.use_cache:
            # Deferred: applied just before the next block that really runs, so a build
            # whose blocks all come from the cache breaks nothing.
            self.deferred.append(step)
            old = self.previous.get((step.block.docname, self.block_id(step.block)))
            record = BlockRecord(**self._base(step), status=Status.PASSED, cached=True)
            if old is not None and old.status == Status.PASSED:
                record = BlockRecord(**{**old.__dict__, "cached": True})
            self._store(step, record, quiet=True)
            return
        self._apply_fault(step)

    def _apply_deferred(self) -> None:
        deferred, self.deferred = self.deferred, []
        for step in deferred:
            self._apply_fault(step)

    def _apply_fault(self, step: Step) -> None:
        action = step.block.options.action
        started = time.monotonic()
        try:
            for host in step.hosts:
                # Registered first: a fault that half-happened is still healed.
                self.pending_faults.append((host, action))
                self.lab.fault(host, action)
                self.progress(f"fault {action} on {host} ({step.block.location})")
        except Exception as error:  # any lab error fails this block only
            record = BlockRecord(**self._base(step), status=Status.FAILED,
                                 reason=f"fault {action} failed: {error}")
            self._fail(step, record, record.reason)
            return
        self._store(step, BlockRecord(**self._base(step), status=Status.PASSED,
                                      duration=round(time.monotonic() - started, 3)))

    def _heal(self, host: str, action: str, why: str) -> bool:
        """Undo a fault; False when it was deferred and never applied."""
        for step in list(self.deferred):
            if host in step.hosts and step.block.options.action == action:
                self.deferred.remove(step)
                self.result.heals.append(f"heal {action} on {host} skipped ({why}): "
                                         "the fault was never applied")
                self.progress(f"{step.block.location}: fault {action} on {host} not applied: "
                              "every block it covered came from the cache")
                return False
        if (host, action) in self.pending_faults:
            self.pending_faults.remove((host, action))
        try:
            self.lab.heal(host, action)
            self.result.heals.append(f"heal {action} on {host} ({why})")
            self.progress(f"heal {action} on {host} ({why})")
        except Exception as error:  # teardown must try every heal
            self.result.heals.append(f"heal {action} on {host} FAILED ({why}): {error}")
            self.progress(f"heal {action} on {host} failed ({why}): {error}")
        return True

    # -- blocks ---------------------------------------------------------------
    def _base(self, step: Step) -> dict[str, Any]:
        block = step.block
        return {
            "block_id": self.block_id(block), "lineno": block.lineno, "kind": block.kind.value,
            "hosts": list(step.hosts), "session": block.session,
            "verified_at": self.now, "fingerprint_id": self.fp_id,
            "stand_in": block.options.stand_in,
        }

    def _missing_tools(self, step: Step) -> str:
        absent = []
        for host in step.hosts:
            if host not in self.tool_cache:
                self.tool_cache[host] = dict(self.lab.tools(host))
            for tool in step.block.options.requires:
                binary = TOOL_ALIASES.get(tool, tool)
                if binary not in self.tool_cache[host] and tool not in absent:
                    absent.append(tool)
        return ", ".join(absent) + " absent" if absent else ""

    def _done_by_real_tool(self, step: Step) -> str:
        """Why a stand-in block is not needed ('' when it is): every real tool it stands in
        for passed the latest block on this page that requires it."""
        tools = step.block.options.instead_of
        if not tools:
            return ""
        where = []
        for tool in tools:
            latest = self.real_runs.get((step.block.docname, tool))
            if latest is None or latest.status != Status.PASSED:
                return ""
            where.append(f"{tool} at line {latest.lineno}")
        return f"real {', '.join(tools)} ran instead ({'; '.join(where)})"

    def _run_block(self, step: Step) -> None:
        block = step.block
        sessions = [(h, block.session) for h in step.hosts]
        base = self._base(step)
        stopper = next((self.stopped[(block.docname, host, block.session)]
                        for host in step.hosts
                        if (block.docname, host, block.session) in self.stopped), None)
        if stopper is not None:
            self._store(step, BlockRecord(**base, status=Status.NOT_RUN,
                                          reason=f"earlier block failed ({stopper.location})"))
            return
        replaced_by = self._done_by_real_tool(step)
        if replaced_by:
            self._store(step, BlockRecord(**base, status=Status.SKIPPED, reason=replaced_by))
            return
        missing = self._missing_tools(step)
        if missing:
            self._store(step, BlockRecord(**base, status=Status.NOT_RUN, reason=missing))
            return
        if block.options.needs_internet and not self.internet:
            self._store(step, BlockRecord(
                **base, status=Status.NOT_RUN,
                reason=f"needs the internet: {block.options.needs_internet}"))
            return
        text, unknown = substitute("\n".join(block.content), self.captures)
        if unknown:
            self._store(step, BlockRecord(
                **base, status=Status.NOT_RUN,
                reason=f"capture {', '.join(sorted(set(unknown)))} unavailable"))
            return
        previous_keys = "|".join(self.session_keys.get(s, "") for s in sessions)
        key = cache_key(previous_keys, f"{block.kind}\0{block.raw_options}\0{block.argument}"
                                       f"\0{text}", self.fp_id)
        for s in sessions:
            self.session_keys[s] = key
        old = self.previous.get((block.docname, base["block_id"]))
        if (self.use_cache and old is not None and old.cache_key == key
                and old.status == Status.PASSED):
            self.captures.update(old.captures)
            if block.kind is Kind.RUN:
                for s in sessions:
                    self.state_keys[s] = (key, block)
            cached = BlockRecord(**{**old.__dict__, "cached": True})
            self._store(step, cached)
            return
        if self.use_cache and self.previous and not any(s in self.cache_broken
                                                        for s in sessions):
            if old is None:
                why = "the block is new or changed"
            elif old.status != Status.PASSED:
                why = f"it was {old.status} last time"
            else:
                why = "an earlier block of the session, a capture or the lab changed"
            self.progress(f"re-running from {block.location} onward in session "
                          f"{', '.join(f'{h}[{n}]' for h, n in sessions)}: {why}")
        self.cache_broken.update(sessions)
        self._apply_deferred()
        record = BlockRecord(**base, status=Status.PASSED, cache_key=key)
        self.fail_line = 0
        started = time.monotonic()
        try:
            if block.kind is Kind.RUN:
                problem, host = self._run_commands(step, record)
            elif block.kind is Kind.FILE:
                problem, host = self._put_file(step, record)
                host = host or step.hosts[0]
            else:
                problem, host = self._check(step, record)
        except Exception as error:  # a lab error fails this block only
            problem, host = f"lab error: {type(error).__name__}: {error}", step.hosts[0]
        record.duration = round(time.monotonic() - started, 3)
        if block.kind is Kind.RUN and not problem:
            for host, name in sessions:
                self._save_state(host, name, key)
                self.state_keys[(host, name)] = (key, block)
        if problem:
            record.status = Status.FAILED
            record.reason = problem.splitlines()[0]
            record.cache_key = ""
            self._fail(step, record, problem, host)
            return
        self._store(step, record)

    def _run_commands(self, step: Step, record: BlockRecord) -> tuple[str, str]:
        block = step.block
        opts = block.options
        deadline = time.monotonic() + (opts.wait_until or 0)
        attempt = 0
        while True:
            attempt += 1
            problem, host, outputs = self._attempt(step)
            record.outputs = outputs
            if not problem or opts.wait_until is None or time.monotonic() >= deadline:
                break
            time.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
        if problem and opts.wait_until is not None:
            problem = (f"did not converge within {opts.wait_until:g}s ({attempt} attempts), "
                       f"last attempt: {problem}")
        if not problem and opts.captures:
            combined = "\n".join(record.outputs.get(step.hosts[0], []))
            for name, pattern in opts.captures:
                match = re.search(pattern, combined, re.M)
                if not match:
                    return f"capture {name}: /{pattern}/ matched nothing in the output", host
                record.captures[name] = match.group(1)
                self.captures[name] = match.group(1)
        return problem, host

    def _attempt(self, step: Step) -> tuple[str, str, dict[str, list[str]]]:
        block = step.block
        opts = block.options
        outputs: dict[str, list[str]] = {}
        for host in step.hosts:
            session = self.lab.session(host, block.session)
            self._resume(host, block.session, session)
            outputs[host] = []
            for index, command in enumerate(block.commands):
                text, _ = substitute(command.text, self.captures)
                result = session.run(wrap(text), timeout=opts.timeout)
                observed = self.masker.mask(result.stdout)
                outputs[host].append(observed)
                self._transcript(host, block.session, text, result, observed)
                last = index == len(block.commands) - 1
                where = f"{block.source}:{command.lineno}"
                self.fail_line = command.lineno
                if result.timed_out:
                    return (f"timed out after {opts.timeout:g}s on {host}[{block.session}]: "
                            f"$ {text}", host, outputs)
                comparison = compare_output(
                    command.expected, observed, normalizers=opts.normalize,
                    unordered=opts.unordered, label_expected=f"expected ({where})",
                    label_observed=f"observed on {host}[{block.session}]")
                want = (opts.exit if last else 0)
                if want is not None and result.exit_status != want:
                    detail = comparison.diff or "output as expected"
                    return (f"exit status {result.exit_status}, expected {want}: $ {text}"
                            f"\n{detail}", host, outputs)
                if not comparison.matched and self.accept and host == step.hosts[0]:
                    key = (block.docname, self.block_id(block))
                    self.accepted.setdefault(key, {})[index] = observed
                elif not comparison.matched:
                    return f"output differs: $ {text}\n{comparison.diff}", host, outputs
        return "", "", outputs

    def _put_file(self, step: Step, record: BlockRecord) -> tuple[str, str]:
        block = step.block
        data = file_content(block.content, self.captures)
        if block.options.validate:
            problem = validate_file(block.options.validate, block.argument, data)
            first = re.match(rf"{re.escape(block.argument)}:(\d+):", problem)
            if first and 0 < int(first.group(1)) <= len(block.content_lines):
                # Point the warning at the page line of the first problem.
                self.fail_line = block.content_lines[int(first.group(1)) - 1]
            if problem:
                return f"validation ({block.options.validate}) failed:\n{problem}", ""
        for host in step.hosts:
            self.lab.hosts[host].put_file(block.argument, data, owner=block.options.owner,
                                          mode=block.options.mode)
            self.result.transcripts.setdefault((host, "files"), []).append(
                f"# wrote {block.argument} ({len(data)} bytes, {block.options.owner}, "
                f"{block.options.mode:04o})")
            record.outputs[host] = []
        return "", ""

    def _check(self, step: Step, record: BlockRecord) -> tuple[str, str]:
        block = step.block
        deadline = time.monotonic() + (block.options.wait_until or 0)
        while True:
            problems: list[str] = []
            bad_host = ""
            for host in step.hosts:
                lab_host = self.lab.hosts[host]

                def run(cmd: str, lab_host: Any = lab_host) -> Any:
                    return lab_host.run(cmd, timeout=block.options.timeout)

                infra = testinfra_host(run, host)
                seen = []
                for line in block.checks:
                    ok, message = run_check(parse_check(line), infra)
                    seen.append(("ok   " if ok else "FAIL ") + self.masker.mask(message))
                    if not ok:
                        problems.append(f"{host}: {message}")
                        bad_host = bad_host or host
                record.outputs[host] = seen
            if not problems or block.options.wait_until is None or time.monotonic() >= deadline:
                break
            time.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
        for host in step.hosts:
            self.result.transcripts.setdefault((host, "checks"), []).extend(record.outputs[host])
        if problems:
            return "state check failed:\n" + "\n".join(problems), bad_host
        return "", ""

    # -- session state across builds -------------------------------------------
    def _save_state(self, host: str, name: str, key: str) -> None:
        command = (f"mkdir -p {STATE_DIR} && {{ export -p; printf 'cd %q\\n' \"$PWD\"; }}"
                   f" > {STATE_DIR}/{key}.sh")
        self.lab.session(host, name).run(command, timeout=30)

    def _resume(self, host: str, name: str, session: Any) -> None:
        """Before a session's first command in this build, restore the state that the
        blocks taken from the cache left (cwd and exported variables)."""
        if (host, name) in self.live:
            return
        self.live.add((host, name))
        if (host, name) not in self.state_keys:
            return
        key, block = self.state_keys[(host, name)]
        path = f"{STATE_DIR}/{key}.sh"
        result = session.run(f"if [ -r {path} ]; then . {path} >/dev/null 2>&1; echo restored;"
                             " fi", timeout=30)
        lines = self.result.transcripts.setdefault((host, name), [])
        if result.stdout.strip() == "restored":
            note = f"restored the cwd and exported variables left by {block.location}"
        else:
            note = (f"no saved state of {block.location} on {host}; the session starts "
                    "fresh (run once without the cache: deploydocs_cache = False)")
        lines.append(f"# {note}")
        self.progress(f"{host}[{name}]: {note}")

    # -- bookkeeping ----------------------------------------------------------
    def _transcript(self, host: str, session: str, command: str, result: Any,
                    observed: str) -> None:
        lines = self.result.transcripts.setdefault((host, session), [])
        lines.append(f"$ {self.masker.mask(command)}")
        lines.extend(observed.rstrip("\n").split("\n") if observed.strip() else [])
        note = " TIMED OUT" if result.timed_out else ""
        lines.append(f"[exit {result.exit_status}, {result.duration:.2f}s{note}]")
        if result.stderr.strip():
            lines.append(f"[stderr] {self.masker.mask(result.stderr.strip())}")

    def _store(self, step: Step, record: BlockRecord, quiet: bool = False) -> None:
        block = step.block
        self.result.records[(block.docname, record.block_id)] = record
        for tool in block.options.requires:
            self.real_runs[(block.docname, tool)] = record
        if quiet:
            return
        label = f"{record.status}{' (cached)' if record.cached else ''}"
        if record.reason:
            label += f": {record.reason}"
        self.progress(f"{block.location} {block.kind.value} {' '.join(step.hosts)}: {label}")

    def _fail(self, step: Step, record: BlockRecord, message: str, host: str = "") -> None:
        block = step.block
        record.diff = self.masker.mask(message)
        for stopped_host in [host] if host else step.hosts:
            self.stopped[(block.docname, stopped_host, block.session)] = block
        host = host or (step.hosts[0] if step.hosts else "")
        tail = self.result.transcripts.get((host, block.session), [])[-TRANSCRIPT_TAIL:]
        failure = Failure(block, record, self.masker.mask(message), host, list(tail),
                          self.masker.mask(self._diagnostics(host)), self.fail_line)
        self.result.failures.append(failure)
        self._store(step, record)

    def _diagnostics(self, host: str) -> str:
        """What the host says about its supervisor, when the supervisor is there."""
        if not host or host not in self.lab.hosts:
            return ""
        try:
            tools = self.tool_cache.get(host) or dict(self.lab.tools(host))
            if "lithos_ps" not in tools:
                return ""
            result = self.lab.hosts[host].run(
                "echo '--- lithos_ps'; lithos_ps 2>&1 | tail -n 30; "
                "echo \"(exit ${PIPESTATUS[0]})\"; echo '--- lithos logs'; "
                "if ls /var/log/lithos/*.log >/dev/null 2>&1; "
                "then tail -n 20 /var/log/lithos/*.log; else echo '(no /var/log/lithos/*.log)'; fi",
                timeout=20)
            return result.stdout
        except Exception as error:  # diagnostics are best effort
            return f"(diagnostics unavailable: {error})"


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def file_content(lines: Sequence[str], captures: Mapping[str, str]) -> bytes:
    """A lab-file's bytes: its lines with captured ``${NAME}`` values substituted.

    >>> file_content(["image: ${IMAGE}"], {"IMAGE": "hello.1"})
    b'image: hello.1\\n'
    """
    text, _ = substitute("\n".join(lines), captures)
    return (text + "\n").encode()


def validate_file(kind: str, path: str, data: bytes) -> str:
    """Run ``python -m tools validate --kind KIND FILE`` on the build machine; "" if valid."""
    with tempfile.TemporaryDirectory(prefix="deploydocs-validate-") as tmp:
        target = Path(tmp) / Path(path).name
        target.write_bytes(data)
        result = subprocess.run(
            [sys.executable, "-m", "tools", "validate", "--kind", kind, str(target)],
            capture_output=True, text=True, timeout=120, check=False,
        )
    if result.returncode == 0:
        return ""
    return (result.stdout + result.stderr).replace(str(target), path).strip()
