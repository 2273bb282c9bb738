"""A multi-host block's hosts at once: proved with events and barriers, never with timing.

The lab doubles here block inside ``run`` until every host has started (a
:class:`threading.Barrier` with a deadline: run serially, the first host would
wait alone, so the test fails at the deadline instead of hanging), then finish
in the order the test releases them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import deploydocs
import pytest
from deploydocs import retry
from deploydocs.blocks import Block
from deploydocs.config import RunConfig
from deploydocs.identity import freeze
from deploydocs.parallel import each_host
from deploydocs.parse import parse_block
from deploydocs.plan import describe, make_plan
from deploydocs.runner import Runner

from tools.lab.base import CommandResult

NODES = ["node1", "node2", "node3"]
DEADLINE = 10.0
"""Seconds any wait of these tests may take before it fails (none hangs)."""


def command_of(wrapped: str) -> str:
    """The command a session was sent, without the runner's stderr wrapping."""
    return wrapped.removeprefix("{ ").removesuffix("\n} 2>&1")


@dataclass
class FakeLab:
    """What the runner needs of a lab besides its sessions: the three nodes, no real tools."""

    hosts: dict[str, object] = field(default_factory=lambda: dict.fromkeys(NODES))
    nodes: list[str] = field(default_factory=lambda: list(NODES))

    def tools(self, host: str) -> dict[str, str]:
        return {}

    def fingerprint(self) -> dict[str, object]:
        return {"backend": type(self).__name__}


@dataclass
class GatedLab(FakeLab):
    """Hosts whose commands wait until every host has started one, then until released.

    :param answer: host, command → what it prints (default ``hi``).
    """

    answer: Callable[[str, str], str] = lambda host, command: "hi\n"
    events: list[str] = field(default_factory=list)
    barrier: threading.Barrier = field(
        default_factory=lambda: threading.Barrier(len(NODES), timeout=DEADLINE))
    release: dict[str, threading.Event] = field(
        default_factory=lambda: {h: threading.Event() for h in NODES})
    finished: dict[str, threading.Event] = field(
        default_factory=lambda: {h: threading.Event() for h in NODES})
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_use: set[tuple[str, str]] = field(default_factory=set)

    def note(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    def session(self, host: str, name: str = "default") -> GatedSession:
        return GatedSession(self, host, name)


@dataclass
class GatedSession:
    """One (host, session) of a :class:`GatedLab`; refuses to be used by two threads."""

    lab: GatedLab
    host: str
    name: str

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        if not command.startswith("{ "):  # not a block's command: the saving of its state
            return CommandResult(command, 0, "", "")
        key = (self.host, self.name)
        with self.lab.lock:
            assert key not in self.lab.in_use, f"{key} used by two threads at once"
            self.lab.in_use.add(key)
        try:
            self.lab.note(f"start {self.host}")
            self.lab.barrier.wait()
            assert self.lab.release[self.host].wait(DEADLINE), f"{self.host} never released"
            self.lab.note(f"end {self.host}")
            return CommandResult(command, 0, self.lab.answer(self.host, command_of(command)),
                                 "")
        finally:
            with self.lab.lock:
                self.lab.in_use.discard(key)
            self.lab.finished[self.host].set()


def block(line: int, hosts: str = "all", text: str = "$ echo hi", expected: str = "hi",
          **options: str) -> Block:
    content = [text, expected]
    return parse_block("lab-run", docname="a", source="a.rst", lineno=line, argument=hosts,
                       raw_options=options, content=content,
                       content_lines=list(range(line + 2, line + 2 + len(content))))


def plan_of(blocks: list[Block]) -> object:
    return make_plan({"a": freeze(blocks)}, ["a"], lab_hosts=[*NODES, "workstation"],
                     nodes=NODES)


@dataclass
class Started:
    """A runner running in a thread of its own, so the test can release its hosts."""

    runner: Runner
    progress: list[str]
    thread: threading.Thread

    def join(self) -> None:
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "the run did not end"


def start(blocks: list[Block], lab: object, **config: bool) -> Started:
    progress: list[str] = []
    runner = Runner(lab, config=RunConfig(cache=False, **config),  # type: ignore[arg-type]
                    progress=progress.append)
    plan = plan_of(blocks)
    thread = threading.Thread(target=runner.run, args=(plan,), daemon=True)
    thread.start()
    return Started(runner, progress, thread)


def release_in_reverse(lab: GatedLab, started: Started) -> None:
    """Let node3, then node2 finish; the block must not be reported before node1 has."""
    for host in reversed(NODES[1:]):
        lab.release[host].set()
        assert lab.finished[host].wait(DEADLINE)
        assert not started.runner.result.records, "reported before every host finished"
        assert not any("lab-run" in line for line in started.progress)
    lab.release[NODES[0]].set()
    started.join()


def test_the_hosts_run_at_once_and_the_block_ends_when_the_last_has() -> None:
    lab = GatedLab()
    started = start([block(1)], lab)
    release_in_reverse(lab, started)
    assert sorted(lab.events[:3]) == [f"start {h}" for h in NODES]
    assert lab.events[3:] == ["end node3", "end node2", "end node1"]
    assert [r.status for r in started.runner.result.records.values()] == ["passed"]


def test_outputs_records_and_transcripts_keep_host_order() -> None:
    lab = GatedLab()
    started = start([block(1)], lab)
    release_in_reverse(lab, started)
    (record,) = started.runner.result.records.values()
    assert record.status == "passed"
    assert list(record.outputs) == NODES
    assert record.hosts == NODES
    transcripts = started.runner.result.transcripts
    assert [host for host, _ in transcripts] == NODES
    assert transcripts[("node2", "default")][0] == "$ echo hi"
    assert started.progress[-1] == "a.rst:1 lab-run node1 node2 node3: passed"


def test_a_failure_on_some_hosts_stops_only_their_sessions() -> None:
    lab = GatedLab(answer=lambda host, command: "hi\n" if host == "node2" else "no\n")
    later = [block(5 + 4 * n, hosts=h) for n, h in enumerate(NODES)]
    started = start([block(1), *later], lab)
    lab.release["node3"].set()
    lab.release["node1"].set()
    assert lab.finished["node1"].wait(DEADLINE)
    assert lab.finished["node3"].wait(DEADLINE)
    # the later single-host blocks need no barrier: only node2's may run, alone
    lab.barrier = threading.Barrier(1, timeout=DEADLINE)
    lab.release["node2"].set()
    started.join()
    failure = started.runner.result.failures[0]
    assert (failure.host, failure.record.lineno) == ("node1", 1)
    statuses = [(r.lineno, r.hosts, r.status) for r in started.runner.result.records.values()]
    assert statuses == [(1, NODES, "failed"), (5, ["node1"], "not run"),
                        (9, ["node2"], "passed"), (13, ["node3"], "not run")]


def test_wait_until_polls_every_host_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "POLL_INTERVAL", 0.0)
    attempts: dict[str, int] = {}

    def answer(host: str, command: str) -> str:
        attempts[host] = attempts.get(host, 0) + 1
        return "hi\n" if attempts[host] > 1 else "not yet\n"

    lab = GatedLab(answer=answer)
    for event in lab.release.values():
        event.set()
    started = start([block(1, **{"wait-until": "30"})], lab)
    started.join()
    (record,) = started.runner.result.records.values()
    assert record.status == "passed"
    assert attempts == dict.fromkeys(NODES, 2)
    # each attempt met all three hosts at the barrier: two rounds of three starts
    assert sorted(lab.events[:3]) == sorted(lab.events[6:9]) == [f"start {h}" for h in NODES]


@dataclass
class TurnLab(FakeLab):
    """Hosts that note whether another host is running while they run (serial runs)."""

    fail_on: str = ""
    events: list[str] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)

    def session(self, host: str, name: str = "default") -> TurnSession:
        return TurnSession(self, host)


@dataclass
class TurnSession:
    lab: TurnLab
    host: str

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        if not command.startswith("{ "):  # the saving of the block's state
            return CommandResult(command, 0, "", "")
        if self.lab.running:
            self.lab.overlaps.append(f"{self.host} while {sorted(self.lab.running)}")
        self.lab.running.add(self.host)
        self.lab.events.append(self.host)
        self.lab.running.discard(self.host)
        out = "no\n" if self.host == self.lab.fail_on else "hi\n"
        return CommandResult(command, 0, out, "")


def test_the_serial_switch_runs_the_hosts_one_after_the_other() -> None:
    lab = TurnLab()
    started = start([block(1)], lab, serial=True)
    started.join()
    assert lab.overlaps == []
    assert lab.events == ["node1", "node2", "node3"]
    (record,) = started.runner.result.records.values()
    assert record.status == "passed"


def test_serially_the_first_failing_host_ends_the_block_as_before() -> None:
    lab = TurnLab(fail_on="node2")
    started = start([block(1)], lab, serial=True)
    started.join()
    assert lab.events == ["node1", "node2"]
    (record,) = started.runner.result.records.values()
    assert list(record.outputs) == ["node1", "node2"]


def test_concurrently_every_host_runs_even_after_one_failed() -> None:
    lab = GatedLab(answer=lambda host, command: "no\n" if host == "node1" else "hi\n")
    for event in lab.release.values():
        event.set()
    started = start([block(1)], lab)
    started.join()
    assert sorted(e for e in lab.events if e.startswith("end")) == [f"end {h}" for h in NODES]
    (record,) = started.runner.result.records.values()
    assert (record.status, list(record.outputs)) == ("failed", NODES)


def test_each_host_raises_the_first_error_in_host_order_once_all_are_done() -> None:
    done = []
    barrier = threading.Barrier(3, timeout=DEADLINE)

    def work(host: str) -> str:
        barrier.wait()
        done.append(host)
        if host != "node1":
            raise ValueError(host)
        return host

    with pytest.raises(ValueError, match="node2"):
        each_host(NODES, work)
    assert sorted(done) == NODES


def test_the_plan_marks_the_steps_whose_hosts_run_at_once() -> None:
    file = parse_block("lab-file", docname="a", source="a.rst", lineno=9,
                       argument="/etc/x", raw_options={"hosts": "node1 node2"},
                       content=["x"], content_lines=[11])
    plan = plan_of([block(1), block(5, hosts="node2"), file])
    lines = describe(plan, {"a": "a.rst"})  # type: ignore[arg-type]
    assert [line for line in lines if not line.startswith(" " * 7)] == [
        "  1. a.rst:1  lab-run → node1 node2 node3 [session default]"
        " [parallel: node1 node2 node3]",
        "  2. a.rst:5  lab-run → node2 [session default]",
        "  3. a.rst:9  lab-file → node1 node2 [parallel: node1 node2]"]
    serial = describe(plan, {"a": "a.rst"}, serial=True)  # type: ignore[arg-type]
    assert not any("parallel" in line for line in serial)


@pytest.mark.parametrize(("value", "serial"), [("1", True), ("", False), ("0", False)])
def test_deploydocs_serial_defaults_to_the_environment(
        monkeypatch: pytest.MonkeyPatch, value: str, serial: bool) -> None:
    monkeypatch.setenv("DEPLOYDOCS_SERIAL", value)
    app = mock.MagicMock()
    deploydocs.setup(app)
    defaults = {c.args[0]: c.args[1] for c in app.add_config_value.call_args_list}
    assert defaults["deploydocs_serial"] is serial
    config = mock.MagicMock(deploydocs_serial=serial, deploydocs_tool_aliases={},
                            deploydocs_diagnostics={})
    assert RunConfig.from_sphinx(config, accept=False).serial is serial


@dataclass
class GatedCheckHost:
    """A host for ``lab-check``: its first command waits for every host's, then fails."""

    name: str
    barrier: threading.Barrier
    calls: list[str]

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        first = self.name not in self.calls
        self.calls.append(self.name)
        if first:
            self.barrier.wait()
            return CommandResult(command, 1, "", "")
        return CommandResult(command, 0, "", "")


def test_a_check_with_wait_until_polls_every_host_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "POLL_INTERVAL", 0.0)
    barrier = threading.Barrier(len(NODES), timeout=DEADLINE)
    calls: list[str] = []
    lab = GatedLab(hosts={h: GatedCheckHost(h, barrier, calls) for h in NODES})
    check = parse_block("lab-check", docname="a", source="a.rst", lineno=1, argument="all",
                        raw_options={"wait-until": "30"}, content=["command true exits 0"],
                        content_lines=[3])
    started = start([check], lab)
    started.join()
    (record,) = started.runner.result.records.values()
    assert record.status == "passed"
    assert list(record.outputs) == NODES
    assert sorted(calls) == sorted(NODES * 2)
