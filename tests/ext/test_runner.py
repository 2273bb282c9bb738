"""The runner against small in-memory lab doubles: teardown, tools, caching keys."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.config import RunConfig
from deploydocs.identity import freeze
from deploydocs.parse import BlockSyntaxError, parse_block
from deploydocs.plan import make_plan
from deploydocs.records import BlockRecord, Status, cache_key
from deploydocs.runner import Runner

from tools.lab.base import CommandResult


@dataclass
class ScriptedSession:
    """A session double answering from a dict, raising for one command."""

    answers: dict[str, str]
    explode_on: str = ""

    def run(self, command: str, timeout: float = 60) -> CommandResult:
        inner = command.removeprefix("{ ").removesuffix("\n} 2>&1")
        if self.explode_on and inner == self.explode_on:
            raise KeyboardInterrupt
        return CommandResult(command, 0, self.answers.get(inner, ""), "")


@dataclass
class ScriptedLab:
    """A lab double: records faults/heals, reports the tools it is told to."""

    tools_present: dict[str, str] = field(default_factory=dict)
    explode_on: str = ""
    events: list[str] = field(default_factory=list)
    hosts: dict = field(default_factory=lambda: dict.fromkeys(["node1", "node2", "node3"]))
    nodes: list[str] = field(default_factory=lambda: ["node1", "node2", "node3"])

    def session(self, host: str, name: str = "default") -> ScriptedSession:
        self.events.append(f"session {host} {name}")
        return ScriptedSession({"echo hi": "hi\n"}, self.explode_on)

    def tools(self, host: str) -> dict[str, str]:
        return self.tools_present

    def fingerprint(self) -> dict[str, object]:
        return {"backend": "scripted"}

    def fault(self, host: str, action: str) -> None:
        self.events.append(f"fault {host} {action}")

    def heal(self, host: str, action: str) -> None:
        self.events.append(f"heal {host} {action}")


RUN, FILE, FAULT, HEAL = "lab-run", "lab-file", "lab-fault", "lab-heal"


def block(line: int, kind: str = RUN, hosts: str = "node1", text: str = "$ echo hi",
          **options: str) -> Block:
    content = [text, "hi"] if kind == RUN else []
    return parse_block(kind, docname="a", source="a.rst", lineno=line, argument=hosts,
                       raw_options=options, content=content,
                       content_lines=list(range(line + 2, line + 2 + len(content))))


def run(blocks: list[Block], lab: ScriptedLab,
        previous: dict[tuple[str, str], BlockRecord] | None = None, **config: bool) -> Runner:
    plan = make_plan({"a": freeze(blocks)}, ["a"], lab_hosts=[*lab.nodes, "workstation"],
                     nodes=lab.nodes)
    runner = Runner(lab, previous=previous, config=RunConfig(**config))  # type: ignore[arg-type]
    runner.run(plan)
    return runner


def test_heal_runs_in_teardown_even_when_the_run_is_interrupted() -> None:
    lab = ScriptedLab(explode_on="echo boom")
    blocks = [block(1, FAULT, "node3", action="stop"), block(5, text="$ echo boom"),
              block(9, HEAL, "node3")]
    with pytest.raises(KeyboardInterrupt):
        run(blocks, lab, cache=False)
    assert [e for e in lab.events if not e.startswith("session")] == [
        "fault node3 stop", "heal node3 stop"]


def test_requires_is_satisfied_by_a_present_tool_and_alias() -> None:
    lab = ScriptedLab(tools_present={"lithos_tree": "0.18.4"})
    runner = run([block(1, requires="lithos"), block(5, requires="lithos verwalter")], lab)
    statuses = {r.lineno: (r.status, r.reason) for r in runner.result.records.values()}
    assert statuses == {1: ("passed", ""), 5: ("not run", "verwalter absent")}


def test_a_failed_block_stops_the_rest_of_its_page_session_only() -> None:
    lab = ScriptedLab()
    runner = run([block(1, text="$ echo nope"), block(5), block(9, session="other")], lab)
    statuses = {r.lineno: r.status for r in runner.result.records.values()}
    assert statuses == {1: "failed", 5: "not run", 9: "passed"}


def test_a_failure_on_one_host_leaves_the_same_session_on_other_hosts_running() -> None:
    lab = ScriptedLab()
    runner = run([block(1, hosts="node2", text="$ echo nope"), block(5, hosts="node2"),
                  block(9, hosts="node1"), block(13, hosts="node1 node2")], lab)
    statuses = {r.lineno: (r.status, r.reason) for r in runner.result.records.values()}
    assert statuses[1][0] == "failed"
    assert statuses[5] == ("not run", "earlier block failed (a.rst:1)")
    assert statuses[9] == ("passed", "")
    assert statuses[13] == ("not run", "earlier block failed (a.rst:1)")


def test_cache_keys_chain_through_the_session() -> None:
    first = cache_key("", "a", "fp")
    assert cache_key(first, "b", "fp") != cache_key(cache_key("", "a2", "fp"), "b", "fp")
    assert cache_key(first, "b", "fp") != cache_key(first, "b", "other-lab")
    assert cache_key(first, "b", "fp") == cache_key(first, "b", "fp")


def test_a_cached_run_starts_no_session_and_applies_no_fault() -> None:
    blocks = [block(1, FAULT, "node3", action="stop"), block(5), block(9, HEAL,
                                                                               "node3")]
    first = run(blocks, ScriptedLab())
    lab = ScriptedLab()
    second = run(blocks, lab, previous=first.result.records and {
        ("a", k[1]): v for k, v in first.result.records.items()})
    assert lab.events == []
    assert all(r.cached for r in second.result.records.values())


def test_a_capture_fills_later_commands_and_a_missing_one_is_not_run() -> None:
    assert substitute("ping ${LEADER} ${X}", {"LEADER": "node2"}) == ("ping node2 ${X}", ["X"])
    lab = ScriptedLab()
    runner = run([block(1, text="$ echo ${NOPE}")], lab)
    record = next(iter(runner.result.records.values()))
    assert (record.status, record.reason) == ("not run", "capture NOPE unavailable")


def test_a_file_that_fails_validation_is_not_written_and_points_at_its_line() -> None:
    lab = ScriptedLab()  # its hosts cannot take files: validation must stop first
    bad = parse_block(FILE, docname="a", source="a.rst", lineno=1,
                      argument="/etc/lithos/master.yaml",
                      raw_options={"hosts": "node1", "validate": "lithos-master"},
                      content=["runtime-dir: /run/lithos", "bogus_key: x"],
                      content_lines=[5, 6])
    runner = run([bad], lab)
    failure = runner.result.failures[0]
    assert failure.record.reason == "validation (lithos-master) failed:"
    assert "/etc/lithos/master.yaml:2: bogus_key: unknown key" in failure.message
    assert failure.lineno == 6


@dataclass
class FileHost:
    """A host double that keeps the files put on it."""

    files: dict[str, bytes] = field(default_factory=dict)

    def put_file(self, path: str, data: bytes, owner: str = "root:root",
                 mode: int = 0o644) -> None:
        self.files[path] = data


def test_a_lab_file_gets_captured_values_substituted() -> None:
    host = FileHost()
    lab = ScriptedLab(hosts={"node1": host})
    written = parse_block(FILE, docname="a", source="a.rst", lineno=5,
                          argument="/etc/app.yaml", raw_options={"hosts": "node1"},
                          content=["image: ${IMAGE}", "kept: $HOME"], content_lines=[7, 8])
    runner = run([block(1, capture="IMAGE=(h.)"), written], lab)
    assert [r.status for r in runner.result.records.values()] == ["passed", "passed"]
    assert host.files == {"/etc/app.yaml": b"image: hi\nkept: $HOME\n"}


def test_sigterm_during_a_run_still_heals(tmp_path: object) -> None:
    import os
    import signal

    class TerminatedLab(ScriptedLab):
        def session(self, host: str, name: str = "default") -> ScriptedSession:
            os.kill(os.getpid(), signal.SIGTERM)
            return super().session(host, name)

    lab = TerminatedLab()
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        run([block(1, FAULT, "node2", action="isolate"), block(5)], lab, cache=False)
    assert lab.events[-1] == "heal node2 isolate"
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_stand_in_is_skipped_where_the_real_tool_did_the_job_and_runs_where_not() -> None:
    real = block(1, requires="verwalter")
    stand_in = block(5, **{"stand-in": "render-preview", "instead-of": "verwalter"})
    with_tool = run([real, stand_in], ScriptedLab(tools_present={"verwalter": "v0.13.4"}),
                    cache=False)
    statuses = [r.status for r in with_tool.result.records.values()]
    assert statuses == [Status.PASSED, Status.SKIPPED]
    skipped = list(with_tool.result.records.values())[1]
    assert skipped.reason == "real verwalter ran instead (verwalter at line 1)"
    without = run([real, stand_in], ScriptedLab(), cache=False)
    assert [r.status for r in without.result.records.values()] == [Status.NOT_RUN,
                                                                   Status.PASSED]


def test_a_stand_in_with_no_real_block_before_it_on_its_page_runs() -> None:
    stand_in = block(5, **{"stand-in": "render-preview", "instead-of": "verwalter"})
    runner = run([stand_in], ScriptedLab(tools_present={"verwalter": "v0.13.4"}),
                 cache=False)
    assert [r.status for r in runner.result.records.values()] == [Status.PASSED]


def test_a_block_that_needs_the_internet_is_not_run_offline_with_what_it_downloads() -> None:
    online_only = block(1, requires="vagga", **{"needs-internet": "the Ubuntu base image"})
    lab = ScriptedLab(tools_present={"vagga": "v0.8.1"})
    offline = run([online_only], lab, cache=False)
    record = next(iter(offline.result.records.values()))
    assert (record.status, record.reason) == (Status.NOT_RUN,
                                              "needs the internet: the Ubuntu base image")
    assert not [e for e in lab.events if e.startswith("session")]
    online = run([online_only], ScriptedLab(tools_present={"vagga": "v0.8.1"}),
                 cache=False, internet=True)
    assert next(iter(online.result.records.values())).status == Status.PASSED
    absent = run([online_only], ScriptedLab(), cache=False)
    assert next(iter(absent.result.records.values())).reason == "vagga absent"


def test_instead_of_without_stand_in_is_refused() -> None:
    with pytest.raises(BlockSyntaxError) as error:
        block(1, **{"instead-of": "verwalter"})
    assert error.value.key == "instead-of"
