"""``lab-show-file``: a file as the hosts have it, shown on the page and checked against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from deploydocs.blocks import Block
from deploydocs.config import RunConfig
from deploydocs.display import HOST_CLASS, View
from deploydocs.identity import freeze
from deploydocs.parse import BlockSyntaxError, parse_block
from deploydocs.plan import describe, make_plan
from deploydocs.records import BlockRecord, Status
from deploydocs.render import block_nodes
from deploydocs.runner import Runner
from docutils import nodes

from tests.ext.conftest import build
from tools.lab.base import CommandResult

NODES = ["node1", "node2", "node3"]
PATH = "/etc/app/app.conf"


def show(content: list[str], lineno: int = 3, path: str = PATH, **options: str) -> Block:
    return parse_block("lab-show-file", docname="a", source="a.rst", lineno=lineno,
                       argument=path, raw_options={"hosts": "node1", **options},
                       content=content,
                       content_lines=list(range(lineno + 3, lineno + 3 + len(content))))


@dataclass
class FileHost:
    """A host whose files are a dict; ``cat -- PATH`` reads them."""

    files: dict[str, str] = field(default_factory=dict)
    reads: int = 0
    appears_after: int = 0
    """Reads before the file is there (a file written a little later)."""

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        path = command.removeprefix("cat -- ").strip("'")
        self.reads += 1
        if path in self.files and self.reads > self.appears_after:
            return CommandResult(command, 0, self.files[path], "")
        return CommandResult(command, 1, "", f"cat: {path}: No such file or directory")


@dataclass
class FileLab:
    """A lab of :class:`FileHost` nodes (no sessions: the kind never opens one)."""

    hosts: dict[str, FileHost] = field(default_factory=lambda: {n: FileHost() for n in NODES})
    nodes: list[str] = field(default_factory=lambda: list(NODES))

    def session(self, host: str, name: str = "default") -> object:
        raise AssertionError("lab-show-file opened a session")

    def tools(self, host: str) -> dict[str, str]:
        return {}

    def fingerprint(self) -> dict[str, object]:
        return {"backend": "files"}


def run(blocks: list[Block], lab: FileLab, previous: dict | None = None,
        captures: dict[str, str] | None = None) -> Runner:
    plan = make_plan({"a": freeze(blocks)}, ["a"], lab_hosts=[*NODES, "workstation"],
                     nodes=NODES)
    runner = Runner(lab, previous=previous, config=RunConfig())  # type: ignore[arg-type]
    runner.captures.update(captures or {})
    runner.run(plan)
    return runner


def only_record(runner: Runner) -> BlockRecord:
    (record,) = runner.result.records.values()
    return record


# -- parsing and planning -----------------------------------------------------------
def test_options_hosts_and_the_plan_line() -> None:
    block = parse_block("lab-show-file", docname="a", source="a.rst", lineno=1,
                        argument=PATH, raw_options={"wait-until": "30", "normalize": "pids",
                                                    "language": "ini"},
                        content=["[app]", "port = 80"], content_lines=[4, 5])
    assert block.hosts == ("all",)
    assert (block.options.wait_until, block.options.normalize, block.options.language) == (
        30.0, ("pids",), "ini")
    plan = make_plan({"a": [block]}, ["a"], lab_hosts=NODES, nodes=NODES)
    assert describe(plan, {"a": "a.rst"}) == [
        "  1. a.rst:1  lab-show-file → node1 node2 node3",
        f"       show {PATH} (2 lines expected)"]


@pytest.mark.parametrize(("options", "path", "key"), [
    ({"normalize": "colours"}, PATH, "normalize"),
    ({"owner": "root"}, PATH, "owner"),
    ({"timeout": "never"}, PATH, "timeout"),
    ({}, "../etc/passwd", "path"),
])
def test_mistakes_name_their_key(options: dict[str, str], path: str, key: str) -> None:
    with pytest.raises(BlockSyntaxError) as error:
        show(["x"], path=path, **options)
    assert error.value.key == key


# -- running ---------------------------------------------------------------------
def test_a_file_as_written_passes_with_wildcards_and_normalizers() -> None:
    lab = FileLab()
    lab.hosts["node1"].files[PATH] = "[app]\npid = 4711\nport = 80\nworkers = 4\n"
    runner = run([show(["[app]", "pid = 1", "...", "workers = 4"], normalize="pids")], lab)
    record = only_record(runner)
    assert (record.status, record.kind, record.hosts) == (Status.PASSED, "lab-show-file",
                                                          ["node1"])
    assert record.outputs == {"node1": ["[app]\npid = 4711\nport = 80\nworkers = 4\n"]}
    assert record.cache_key
    assert runner.result.transcripts[("node1", "files")] == [
        f"# read {PATH} (39 bytes, exit 0)"]


def test_a_different_file_fails_at_its_first_line_with_a_diff() -> None:
    lab = FileLab()
    lab.hosts["node1"].files[PATH] = "port = 8080\n"
    runner = run([show(["port = 80"], lineno=10)], lab)
    (failure,) = runner.result.failures
    assert failure.record.reason == f"{PATH} on node1 differs from the page"
    assert "-port = 80\n+port = 8080" in failure.message
    assert f"+++ {PATH} on node1" in failure.message
    assert (failure.host, failure.lineno) == ("node1", 13)


def test_a_missing_file_fails_with_what_the_host_said() -> None:
    runner = run([show(["port = 80"])], FileLab())
    assert only_record(runner).reason == (
        f"cannot read {PATH} on node1: cat: {PATH}: No such file or directory")


def test_wait_until_reads_again_until_the_file_is_there() -> None:
    lab = FileLab()
    lab.hosts["node1"].files[PATH] = "ready\n"
    lab.hosts["node1"].appears_after = 1
    runner = run([show(["ready"], **{"wait-until": "10"})], lab)
    assert only_record(runner).status == Status.PASSED
    assert lab.hosts["node1"].reads == 2


def test_captured_values_fill_the_expected_text() -> None:
    lab = FileLab()
    lab.hosts["node1"].files[PATH] = "image: hello.1a2b3c4d\n"
    runner = run([show(["image: ${IMAGE}"])], lab, captures={"IMAGE": "hello.1a2b3c4d"})
    assert only_record(runner).status == Status.PASSED


def test_an_unchanged_block_comes_from_the_cache_without_reading_the_file() -> None:
    lab = FileLab()
    lab.hosts["node1"].files[PATH] = "port = 80\n"
    first = run([show(["port = 80"])], lab)
    again = FileLab()
    second = run([show(["port = 80"])], again, previous=first.result.records)
    assert only_record(second).cached
    assert again.hosts["node1"].reads == 0


# -- showing ---------------------------------------------------------------------
def test_the_page_shows_the_file_as_the_host_had_it_once_verified() -> None:
    block = freeze([show(["port = ..."], language="ini")])[0]
    record = BlockRecord(block.id, 3, "lab-show-file", ["node1"], "default", Status.PASSED,
                         outputs={"node1": ["port = 80\n"]})
    label, caption, literal, badge = block_nodes(block, View(record))
    assert label.astext() == "on node1" and HOST_CLASS in label["classes"]
    assert caption.astext() == PATH
    assert isinstance(literal, nodes.literal_block) and literal["language"] == "ini"
    assert literal.astext() == "port = 80"
    assert badge.astext().startswith("✔ verified")
    unverified = block_nodes(block, View(None, note="no verify run recorded"))
    assert unverified[2].astext() == "port = ..."
    assert block_nodes(freeze([show(["x"], hide="")])[0], View(None)) == []


# -- a build ---------------------------------------------------------------------
PAGE = """Shown
=====

.. lab-file:: /tmp/deploydocs-test-lab/shown.conf
   :hosts: node1 node2

   [app]
   port = 18766

.. lab-show-file:: /tmp/deploydocs-test-lab/shown.conf
   :hosts: node2
   :language: ini

   [app]
   port = ...
"""


def test_a_page_verifies_renders_and_fails_at_its_line_when_the_file_differs(
        project: Path, lab_spec: str) -> None:
    (project / "shown.rst").write_text(PAGE)
    index = project / "index.rst"
    index.write_text(index.read_text().replace("   report\n", "   shown\n   report\n"))
    verified = build(project, "verify", lab_spec)
    assert "WARNING" not in verified.warnings, verified.warnings
    assert "lab-show-file" not in verified.summary and " 0 failed" in verified.summary
    rendered = build(project, "render", out="render", fresh=True)
    assert "WARNING" not in rendered.warnings, rendered.warnings
    page = rendered.html("shown")
    assert "18766" in page.split("deploydocs-test-lab/shown.conf")[-1]  # the file as read
    assert page.count("✔ verified") == 2
    (project / "shown.rst").write_text(PAGE.replace("   port = ...\n", "   port = 80\n"))
    failed = build(project, "verify", lab_spec, out="again")
    line = PAGE.splitlines().index("   [app]", 9) + 1
    assert (f"shown.rst:{line}: WARNING: lab-show-file failed on node2[default]: "
            "/tmp/deploydocs-test-lab/shown.conf on node2 differs from the page") in (
        failed.warnings)
