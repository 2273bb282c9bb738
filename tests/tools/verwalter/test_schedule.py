"""Schedule preview: a scheduler tree runs in real Lua 5.3 on verwalter-shaped input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.cli import main
from tools.verwalter import schedule as sched

FIXTURE = Path(__file__).parent / "fixtures" / "tree"
PEERS = sched.peers_from_hostnames(["node2", "node3"], now_ms=1000)


def tree_with(tmp_path: Path, main_lua: str | None = None) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE, tree)
    if main_lua is not None:
        (tree / "scheduler/v1/main.lua").write_text(main_lua)
    return tree


def returning(body: str) -> str:
    """A main.lua whose scheduler runs *body*."""
    return ('local json = require "lib/json"\n'
            f"return {{scheduler = function(input)\n{body}\nend}}\n")


def test_every_node_including_the_local_one_gets_the_newest_version() -> None:
    result = sched.preview(FIXTURE, current_host="node1", peers=PEERS, now_ms=5000)
    assert result.ok, (result.error, result.problems)
    assert result.assignments() == {"node1": ["django"], "node2": ["django"],
                                    "node3": ["django"]}
    web = result.schedule["nodes"]["node2"]["roles"]["django"]["daemons"]["web"]
    assert web == {"image": "django-deploy.5f1c2a9e", "config": "/config/web.yaml",
                   "instances": 2}
    assert result.schedule["changes"] == ["django: nil -> v2"]
    assert result.log == "django: v2 of 2"


def test_parents_and_actions_reach_the_scheduler() -> None:
    parent = {"state": {"django": "v2"}}
    same = sched.preview(FIXTURE, current_host="node1", peers=PEERS, parents=[parent])
    assert "changes" not in same.schedule
    pinned = sched.preview(FIXTURE, current_host="node1", peers=PEERS, parents=[parent],
                           actions={"1700000000000": {"pin": {"role": "django",
                                                              "version": "v1"}}})
    assert pinned.schedule["changes"] == ["django: v2 -> v1"]
    assert pinned.schedule["roles"]["django"]["version"] == "v1"


def test_the_input_has_verwalter_s_fields_and_peers_exclude_the_local_node() -> None:
    peers = sched.peers_from_hostnames(["node1", "node2"], now_ms=1)
    data = sched.make_input(runtime={}, current_host="node1", peers=peers, now_ms=7)
    assert set(data) == {"now", "current_host", "current_id", "parents", "actions",
                         "runtime", "peers", "metrics"}
    assert [p["hostname"] for p in data["peers"].values()] == ["node2"]
    assert data["peers"][sched.preview_id("node2")]["addr"] == "node2:8379"


def test_cantal_peers_become_verwalter_peers_at_verwalter_s_port() -> None:
    peers = sched.peers_from_cantal([{"id": "ab" * 16, "hostname": "node2", "name": "node2",
                                      "primary_addr": "172.20.0.3:22682"}], now_ms=1)
    assert peers["ab" * 16]["addr"] == "172.20.0.3:8379"


def test_runtime_is_read_like_verwalter_reads_it(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    (runtime / "django.d").mkdir(parents=True)
    (runtime / "django.d/v1.yaml").write_text("a: 1\n---\nb: 2\n")
    (runtime / "django.d/v2.json").write_text('{"c": [1]}')
    (runtime / "django.d/notes.txt").write_text("hello\n")
    (runtime / "django.d/.hidden.yaml").write_text("x: 1\n")
    (runtime / "django.d/v0.yaml~").write_text("x: 1\n")
    (runtime / "django.d/README.md").write_text("x")
    (runtime / "django.d/broken.yaml").write_text("a: 1\nb: [\n")
    data, problems = sched.load_runtime(runtime)
    assert data == {"django": {"v1": {"a": 1}, "v2": {"c": [1]}, "notes": "hello\n"}}
    assert [(Path(p.file).name, p.line, p.key) for p in problems] == [("broken.yaml", 3, "yaml")]


@pytest.mark.parametrize(("body", "message"), [
    ('return io.open("/etc/passwd")', "attempt to index a nil value (global 'io')"),
    ('return os.execute("true")', "attempt to index a nil value (global 'os')"),
    ("return coroutine.create(print)", "global 'coroutine'"),
    ("return package.loadlib('x', 'y')", "attempt to call a nil value (field 'loadlib')"),
])
def test_the_sandbox_forbids_what_verwalter_does_not_load(
        tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(sched.SchedulerError, match="scheduler\\(\\) failed") as failure:
        sched.run_scheduler(tree_with(tmp_path, returning(body)) / "scheduler/v1", {})
    assert message in str(failure.value)
    assert "main.lua:3:" in str(failure.value)


def test_dotted_requires_fail_as_in_verwalter_with_a_hint(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, 'local json = require "lib.json"\nreturn {}\n')
    with pytest.raises(sched.SchedulerError, match="require it with slashes"):
        sched.run_scheduler(tree / "scheduler/v1", {})


def test_requires_cannot_leave_the_scheduler_directory(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, 'return require "../../runtime/x"\n')
    (tree / "runtime/x.lua").write_text("return {}")
    with pytest.raises(sched.SchedulerError, match=r"module '\.\./\.\./runtime/x' not found"):
        sched.run_scheduler(tree / "scheduler/v1", {})


def test_python_objects_are_not_reachable_from_lua(tmp_path: Path) -> None:
    body = ("local name, resolve = debug.getupvalue(package.searchers[1], 1)\n"
            "return resolve.__globals__, ''")
    with pytest.raises(sched.SchedulerError, match="no access to Python objects"):
        sched.run_scheduler(tree_with(tmp_path, returning(body)) / "scheduler/v1", {})


@pytest.mark.parametrize(("main_lua", "message"), [
    ("return 42\n", "main.lua must return a table"),
    ("return {}\n", "no function `scheduler`"),
    ("local x = \n", "loading main.lua failed"),
    (returning("return nil, 'log'"), "scheduler returned nil"),
    (returning("return {}, 'log'"), "as a JSON string, not a table"),
    (returning("return '[1]', 'log'"), "not an object"),
    (returning("return '{x', 'log'"), "not JSON"),
    (returning("return '{}'"), "two strings"),
    (returning("error('boom')"), "main.lua:3: boom"),
])
def test_outputs_verwalter_rejects_are_errors(tmp_path: Path, main_lua: str,
                                              message: str) -> None:
    with pytest.raises(sched.SchedulerError, match=message.replace("(", r"\(")):
        sched.run_scheduler(tree_with(tmp_path, main_lua) / "scheduler/v1", {})


def test_a_scheduler_that_never_returns_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, returning("while true do end"))
    with pytest.raises(sched.SchedulerError, match=r"longer than 0\.5 s"):
        sched.run_scheduler(tree / "scheduler/v1", {}, timeout=0.5)


def problems_for(schedule: dict, **kwargs: object) -> list[tuple[str, str]]:
    found = sched.check_schedule(schedule, FIXTURE, **kwargs)  # type: ignore[arg-type]
    return [(p.key, p.severity) for p in found]


def test_the_output_contract_is_checked() -> None:
    good = {"roles": {"django": {"template": "django/v1"}},
            "nodes": {"node1": {"roles": {"django": {}}}}, "changes": ["x"]}
    assert problems_for(good, known_hosts={"node1"}) == []
    assert problems_for({**good, "changes": "x"}) == [("changes", "error")]
    assert problems_for({**good, "roles": {"django": {"template": "nginx/v1"}}}) == [
        ("nodes.node1.roles.django.template", "error")]
    assert problems_for({**good, "roles": {}}) == [("nodes.node1.roles.django.template",
                                                     "error")]
    assert problems_for({**good, "nodes": {"node1": {"roles": {"django": []}}}}) == [
        ("nodes.node1.roles.django", "error")]
    assert problems_for({**good, "nodes": {"node1": {"roles": []}}}) == [
        ("nodes.node1.roles", "error")]
    assert problems_for(good, known_hosts={"node2"}) == [("nodes.node1", "warning")]


def test_node_level_template_overrides_work_and_conflicts_warn() -> None:
    schedule = {"roles": {"django": {"template": "django/v1"}},
                "nodes": {"node1": {"roles": {"django": {"template": "django/v2"}}}}}
    assert sched.role_vars(schedule, "node1", "django")["template"] == "django/v2"
    assert problems_for(schedule) == [("nodes.node1.roles.django.template", "error"),
                                      ("nodes.node1.roles.django.template", "warning")]


def test_merging_is_one_level_deep_with_the_node_role_first() -> None:
    schedule = {"vars": {"env": {"A": "global", "B": "global"}, "x": 1},
                "roles": {"r": {"env": {"A": "role"}}},
                "nodes": {"n": {"vars": {"x": 2}, "roles": {"r": {"env": {"C": "node"}}}}}}
    assert sched.role_vars(schedule, "n", "r") == {
        "env": {"A": "role", "B": "global", "C": "node"}, "x": 2}


def test_forgetting_the_local_node_is_a_warning(tmp_path: Path) -> None:
    body = ('local nodes = {}\n'
            'for _, p in pairs(input.peers) do nodes[p.hostname] = {roles = {}} end\n'
            'return json.encode({nodes = nodes}), ""')
    result = sched.preview(tree_with(tmp_path, returning(body)), current_host="node1",
                           peers=PEERS)
    assert [(p.key, p.severity) for p in result.problems] == [("nodes", "warning")]


def test_a_schedule_that_changes_with_now_alone_is_a_warning(tmp_path: Path) -> None:
    body = 'return json.encode({stamp = input.now}), ""'
    result = sched.preview(tree_with(tmp_path, returning(body)), current_host="node1")
    assert result.ok
    assert [p.key for p in result.problems] == ["now"]


def test_cli_schedule_preview(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["verwalter", "schedule-preview", str(FIXTURE),
                              "--current-host", "node1", "--peers", "node2,node3", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["stand_in"] == "schedule preview"
    assert sorted(data["schedule"]["nodes"]) == ["node1", "node2", "node3"]
    text = runner.invoke(main, ["verwalter", "schedule-preview", str(FIXTURE),
                                "--current-host", "node1", "--peers", "node2"])
    assert "node2: django" in text.output
    broken = tree_with(tmp_path, returning("error('boom')"))
    failed = runner.invoke(main, ["verwalter", "schedule-preview", str(broken),
                                  "--current-host", "node1"])
    assert failed.exit_code == 1
    assert "main.lua:3: boom" in failed.output
    bad_parents = tmp_path / "parents.json"
    bad_parents.write_text("{not json")
    usage = runner.invoke(main, ["verwalter", "schedule-preview", str(FIXTURE),
                                 "--current-host", "node1", "--parents", str(bad_parents)])
    assert usage.exit_code == 2
    assert "parents.json:1:" in usage.output
    assert runner.invoke(main, ["verwalter", "schedule-preview", str(tmp_path / "none"),
                                "--current-host", "n"]).exit_code == 2


def test_a_recorded_input_gives_the_schedule_and_a_comparison_names_each_difference(
        tmp_path: Path) -> None:
    recorded = sched.make_input(runtime=sched.load_runtime(FIXTURE / "runtime")[0],
                                current_host="node1", peers=PEERS, now_ms=5000)
    (tmp_path / "input.json").write_text(json.dumps(recorded))
    expected = sched.preview_input(FIXTURE, recorded).schedule
    # As a real leader serves it: /v1/schedule wraps the schedule in "data".
    (tmp_path / "same.json").write_text(json.dumps({"data": expected, "hash": "x",
                                                    "timestamp": 1, "origin": "y"}))
    other = json.loads(json.dumps(expected))
    other["nodes"]["node3"]["roles"]["django"]["daemons"]["web"]["instances"] = 7
    (tmp_path / "other.json").write_text(json.dumps(other))
    runner = CliRunner()
    base = ["verwalter", "schedule-preview", str(FIXTURE), "--input", str(tmp_path / "input.json")]
    same = runner.invoke(main, [*base, "--compare", str(tmp_path / "same.json")])
    assert same.exit_code == 0, same.output
    assert f"same schedule as {tmp_path / 'same.json'}" in same.output
    differs = runner.invoke(main, [*base, "--compare", str(tmp_path / "other.json")])
    assert differs.exit_code == 1
    assert "nodes.node3.roles.django.daemons.web.instances: 2 != 7" in differs.output


def test_a_recorded_input_without_peers_is_refused_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text(json.dumps({"current_host": "node1"}))
    result = CliRunner().invoke(main, ["verwalter", "schedule-preview", str(FIXTURE),
                                       "--input", str(tmp_path / "input.json")])
    assert result.exit_code == 2
    assert "input.json:1: input: the scheduler input lacks runtime, peers" in result.output
