"""Machine ids: generation, node checks on fake roots, duplicates across hosts, fixes."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.tools.scratch_host import ScratchHost
from tools import machine_id as mid
from tools.cli import main

GOOD = "0123456789abcdef0123456789abcdef"


def make_root(root: Path, content: bytes | None, dbus: str = "link") -> Path:
    """A fake machine root with /etc/machine-id and a D-Bus copy."""
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "var/lib/dbus").mkdir(parents=True, exist_ok=True)
    if content is not None:
        (root / "etc/machine-id").write_bytes(content)
    if dbus == "link":
        os.symlink("/etc/machine-id", root / "var/lib/dbus/machine-id")
    elif dbus == "copy":
        (root / "var/lib/dbus/machine-id").write_bytes(content or b"")
    elif dbus != "absent":
        (root / "var/lib/dbus/machine-id").write_bytes(dbus.encode())
    return root


def errors(problems: list) -> list[str]:
    return [p.message for p in problems if p.severity == "error"]


def test_generated_ids_are_version_4_uuids_in_lowercase_hex() -> None:
    for _ in range(50):
        text = mid.generate_machine_id()
        assert mid.is_valid_machine_id(text)
        parsed = uuid.UUID(hex=text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


@given(st.text(max_size=40))
def test_only_32_lowercase_hex_digits_are_valid(text: str) -> None:
    expected = len(text) == 32 and all(c in "0123456789abcdef" for c in text)
    assert mid.is_valid_machine_id(text) is expected


def test_a_well_formed_id_with_a_linked_dbus_copy_passes(tmp_path: Path) -> None:
    state = mid.read_root(make_root(tmp_path, GOOD.encode() + b"\n"))
    assert state.id_text == GOOD
    assert mid.check_node(state) == []


def test_an_identical_dbus_copy_passes(tmp_path: Path) -> None:
    state = mid.read_root(make_root(tmp_path, GOOD.encode(), dbus="copy"))
    assert mid.check_node(state) == []


def test_the_symlink_target_is_resolved_inside_the_root_not_on_this_machine(
        tmp_path: Path) -> None:
    state = mid.read_root(make_root(tmp_path, GOOD.encode()))
    assert state.dbus_link == "/etc/machine-id"
    assert state.dbus_id == GOOD.encode()


def test_a_missing_id_is_an_error(tmp_path: Path) -> None:
    state = mid.read_root(make_root(tmp_path, None, dbus="absent"))
    assert errors(mid.check_node(state)) == ["missing (verwalter exits 3 without it)"]


def test_malformed_ids_are_errors(tmp_path: Path) -> None:
    for i, bad in enumerate([b"", GOOD.upper().encode(), GOOD.encode() + b"\n\n",
                             GOOD[:31].encode(), b"0" * 32, GOOD.encode() + b" "]):
        state = mid.read_root(make_root(tmp_path / str(i), bad, dbus="absent"))
        assert errors(mid.check_node(state)), bad


def test_a_dbus_copy_with_another_id_is_an_error(tmp_path: Path) -> None:
    state = mid.read_root(make_root(tmp_path, GOOD.encode(), dbus="f" * 32))
    assert errors(mid.check_node(state)) == ["differs from /etc/machine-id (link it there)"]


def test_a_machine_without_a_dbus_copy_has_no_problem(tmp_path: Path) -> None:
    # A minimal Debian 12 has no D-Bus and so no copy: nothing there can disagree.
    problems = mid.check_node(mid.read_root(make_root(tmp_path, GOOD.encode(), dbus="absent")))
    assert problems == []


def test_a_dangling_dbus_link_is_an_error(tmp_path: Path) -> None:
    root = make_root(tmp_path, None, dbus="link")
    assert "dangling symlink to /etc/machine-id" in errors(mid.check_node(mid.read_root(root)))


def hosts_with_ids(tmp_path: Path, ids: dict[str, str]) -> dict[str, ScratchHost]:
    hosts = {}
    for name, value in ids.items():
        make_root(tmp_path / name, value.encode() + b"\n")
        hosts[name] = ScratchHost(name, tmp_path / name)
    return hosts


def test_read_host_sees_the_same_as_read_root(tmp_path: Path) -> None:
    host = hosts_with_ids(tmp_path, {"node1": GOOD})["node1"]
    assert mid.read_host(host, root=".") == mid.read_root(tmp_path / "node1", "node1")


def test_a_cluster_with_distinct_ids_is_ok(tmp_path: Path) -> None:
    hosts = hosts_with_ids(tmp_path, {f"node{i}": mid.generate_machine_id() for i in (1, 2, 3)})
    report = mid.check_hosts(hosts.values(), root=".")
    assert report.ok, report.problems
    assert report.duplicates == {}


def test_a_shared_id_is_reported_on_every_node_that_has_it(tmp_path: Path) -> None:
    other = mid.generate_machine_id()
    hosts = hosts_with_ids(tmp_path, {"node1": GOOD, "node2": other, "node3": GOOD})
    report = mid.check_hosts(hosts.values(), root=".")
    assert not report.ok
    assert report.duplicates == {GOOD: ["node1", "node3"]}
    assert sorted(p.file for p in report.problems if "also the id" in p.message) == [
        "node1/etc/machine-id", "node3/etc/machine-id"]


def test_fix_gives_duplicates_new_ids_keeps_the_first_and_links_dbus(tmp_path: Path) -> None:
    hosts = hosts_with_ids(tmp_path, {"node1": GOOD, "node2": GOOD, "node3": GOOD})
    (tmp_path / "node3/var/lib/dbus/machine-id").unlink()
    (tmp_path / "node3/var/lib/dbus/machine-id").write_text("f" * 32 + "\n")
    plan = mid.fix_hosts(hosts, root=".")
    assert plan == {"node2": ["new-id"], "node3": ["new-id", "link-dbus"]}
    report = mid.check_hosts(hosts.values(), root=".")
    assert report.ok, report.problems
    assert report.states["node1"].id_text == GOOD
    assert len({s.id_text for s in report.states.values()}) == 3
    assert os.readlink(tmp_path / "node3/var/lib/dbus/machine-id") == "/etc/machine-id"


def test_fix_root_repairs_a_missing_id(tmp_path: Path) -> None:
    root = make_root(tmp_path, None, dbus="absent")
    report = mid.check_cluster([mid.read_root(root, "img")])
    plan = mid.plan_fixes(report)
    assert plan == {"img": ["new-id", "link-dbus"]}
    new_id = mid.fix_root(root, plan["img"])
    assert (root / "etc/machine-id").read_text() == f"{new_id}\n"
    assert mid.check_node(mid.read_root(root)) == []
    assert [p.name for p in (root / "etc").iterdir()] == ["machine-id"]


def test_cli_check_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    good = make_root(tmp_path / "good", GOOD.encode())
    bad = make_root(tmp_path / "bad", b"nope\n")
    ok = runner.invoke(main, ["machine-id", "check", "--root", str(good), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    failed = runner.invoke(main, ["machine-id", "check", "--root", str(bad)])
    assert failed.exit_code == 1
    assert "etc/machine-id:1: machine-id:" in failed.output
    missing = runner.invoke(main, ["machine-id", "check", "--root", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


def test_cli_fix_then_check_passes(tmp_path: Path) -> None:
    runner = CliRunner()
    root = make_root(tmp_path, b"broken", dbus="absent")
    fixed = runner.invoke(main, ["machine-id", "fix", "--root", str(root)])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(main, ["machine-id", "check", "--root", str(root)]).exit_code == 0


def test_cli_fix_dry_run_on_a_root_says_what_and_changes_nothing(tmp_path: Path) -> None:
    root = make_root(tmp_path, b"broken", dbus="absent")
    result = CliRunner().invoke(main, ["machine-id", "fix", "--root", str(root), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{root}: would new-id (/etc/machine-id is malformed), link-dbus "
        "(/var/lib/dbus/machine-id is missing; it becomes a link to /etc/machine-id)",
        "dry run: 1 node(s) would change; nothing changed"]
    assert (root / "etc/machine-id").read_bytes() == b"broken"
    assert not (root / "var/lib/dbus/machine-id").exists()
    assert sorted(p.name for p in (root / "etc").iterdir()) == ["machine-id"]


class RootedScratchHost(ScratchHost):
    """A scratch host on which the scripts' root ``/`` is the scratch directory.

    It records every command, and refuses one whose ``cd /`` it cannot map,
    so no test touches this machine's real /etc/machine-id.
    """

    def __init__(self, name: str, cwd: Path) -> None:
        super().__init__(name, cwd)
        self.commands: list[str] = []

    def run(self, command: str, timeout: float | None = None):  # type: ignore[no-untyped-def]
        mapped = command.replace("\ncd / ", "\ncd . ", 1).replace("\ncd /\n", "\ncd .\n", 1)
        assert mapped != command, f"no 'cd /' to map in {command!r}"
        self.commands.append(command)
        return super().run(mapped, timeout)


def test_cli_fix_dry_run_on_nodes_names_each_change_and_makes_none(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tools.commands import machine_id as command

    hosts = {}
    for name in ("node1", "node2", "node3"):
        make_root(tmp_path / name, GOOD.encode() + b"\n",
                  dbus="copy" if name != "node3" else "f" * 32 + "\n")
        hosts[name] = RootedScratchHost(name, tmp_path / name)
    (tmp_path / "node1/var/lib/dbus/machine-id").unlink()
    os.symlink("/etc/machine-id", tmp_path / "node1/var/lib/dbus/machine-id")
    monkeypatch.setattr(command, "lab_hosts", lambda *_args: hosts)
    before = {p: p.read_bytes() for p in tmp_path.rglob("machine-id") if not p.is_symlink()}
    result = CliRunner().invoke(main, ["machine-id", "fix", "--backend", "docker", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"node2: would new-id ({GOOD} is also the id of node1, which keeps it), link-dbus "
        "(/var/lib/dbus/machine-id is a separate file; it becomes a link to /etc/machine-id)",
        f"node3: would new-id ({GOOD} is also the id of node1, which keeps it), link-dbus "
        "(/var/lib/dbus/machine-id is a separate file; it becomes a link to /etc/machine-id)",
        "dry run: 2 node(s) would change; nothing changed"]
    assert {p: p.read_bytes() for p in before} == before
    assert all(len(h.commands) == 1 for h in hosts.values())  # one read each, no fix
    fixed = CliRunner().invoke(main, ["machine-id", "fix", "--backend", "docker"])
    assert fixed.exit_code == 0, fixed.output
    assert fixed.output.splitlines() == ["node2: new-id, link-dbus", "node3: new-id, link-dbus"]
    report = mid.check_hosts(hosts.values())
    assert report.ok, report.problems


@pytest.mark.parametrize(("name", "expected"), [
    ("/", "/etc/machine-id:1: machine-id: missing"),
    ("/mnt/img", "/mnt/img/etc/machine-id:1: machine-id: missing"),
    ("node1", "node1/etc/machine-id:1: machine-id: missing"),
])
def test_problems_print_as_file_line_with_one_colon_before_the_line(
        name: str, expected: str) -> None:
    problems = mid.check_node(mid.NodeState(name, None))
    assert str(problems[0]).startswith(expected)
    assert all(p.line >= 1 for p in problems)
    for problem in problems:
        file, line, _ = str(problem).split(":", 2)
        assert (file, int(line)) == (problem.file, problem.line)
