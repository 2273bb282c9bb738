"""verwalter config tree validation (section 7.5) and the tutorial's scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import lupa.lua53 as lua53
import pybars
import pytest

from tools.lithos.config import validate_process
from tools.problems import Problem
from tools.verwalter.tree import (
    scaffold_files,
    scaffold_tree,
    validate_machine_id,
    validate_render_config,
    validate_schedule,
    validate_template,
    validate_tree,
)

IMAGE = "django-deploy.0123abcd"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The tutorial's tree with one runtime version."""
    root = tmp_path / "verwalter"
    scaffold_tree(root, image=IMAGE)
    return root


def errors_at(problems: list[Problem], root: Path) -> list[str]:
    return [f"{Path(p.file).relative_to(root)}:{p.line}: {p.key}" for p in problems
            if p.severity == "error"]


def test_the_scaffold_is_valid(tree: Path) -> None:
    assert validate_tree(tree) == []
    assert sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()) == [
        "runtime/django/v1.yaml", "sandbox/lithos.yaml", "scheduler/v1/json.lua",
        "scheduler/v1/main.lua", "templates/django/v1/lithos.render.yaml",
        "templates/django/v1/lithos.yaml.hbs"]


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


RENDER = "templates/django/v1/lithos.render.yaml"
MAIN = "scheduler/v1/main.lua"

TREE_REJECTS = [
    ("main.lua missing", MAIN, None, f"{MAIN}:1: (top)"),
    ("main.lua does not compile", MAIN, "local function x(\n  return 1\nend\n",
     f"{MAIN}:2: lua"),
    ("main.lua returns no table", MAIN, "return 42\n", f"{MAIN}:1: scheduler"),
    ("main.lua has no scheduler", MAIN, "return {schedule = function() end}\n",
     f"{MAIN}:1: scheduler"),
    ("main.lua errors while loading", MAIN, "local x = nil\nx.y = 1\nreturn {}\n",
     f"{MAIN}:2: lua"),
    ("require with dots", MAIN, "local j = require 'lib.json'\nreturn {scheduler=j}\n",
     f"{MAIN}:1: require"),
    ("require of a missing module", MAIN, "local j = require('nope')\nreturn {scheduler=j}\n",
     f"{MAIN}:1: require"),
    ("io library", MAIN, "local f = io.open('/etc/passwd')\nreturn {}\n", f"{MAIN}:1: io"),
    ("os library", MAIN, "local t = os.time()\nreturn {}\n", f"{MAIN}:1: os"),
    ("endless loop at load", MAIN, "while true do end\n", f"{MAIN}:1: lua"),
    ("runtime YAML broken", "runtime/django/v2.yaml", "daemons: [\n",
     "runtime/django/v2.yaml:1: daemons"),
    ("runtime JSON broken", "runtime/django/v2.json", "{\"a\": }",
     "runtime/django/v2.json:1: (top)"),
    ("runtime YAML not JSON-like", "runtime/django/v2.yaml", "? [a, b]\n: 1\n",
     "runtime/django/v2.yaml:1: (top)"),
    ("runtime NaN", "runtime/django/v2.yaml", "x: .nan\n", "runtime/django/v2.yaml:1: (top)"),
    ("sandbox unknown key", "sandbox/lithos.yaml", "log-dirs: {lithos: /var/log}\nlogs: {}\n",
     "sandbox/lithos.yaml:2: logs"),
    ("sandbox log dir relative", "sandbox/lithos.yaml", "log-dirs: {lithos: var/log}\n",
     "sandbox/lithos.yaml:1: log-dirs.lithos"),
    ("render unknown key", RENDER, "templates: {}\ncommands: []\nrender: []\n",
     f"{RENDER}:3: render"),
    ("render unknown command", RENDER, "commands:\n- !Shell echo\n", f"{RENDER}:2: commands[0]"),
    ("RootCommand empty", RENDER, "commands:\n- !RootCommand []\n", f"{RENDER}:2: commands[0]"),
    ("Cmd not a list", RENDER, "commands:\n- !Cmd echo hi\n", f"{RENDER}:2: commands[0]"),
    ("Sh a list", RENDER, "commands:\n- !Sh [echo]\n", f"{RENDER}:2: commands[0]"),
    ("Copy with target (docs)", RENDER, "templates: {p: lithos.yaml.hbs}\ncommands:\n"
     "- !Copy {src: '{{ files.p }}', target: /etc/x}\n", f"{RENDER}:3: commands[0].target"),
    ("Copy without dest", RENDER, "commands:\n- !Copy {src: /a}\n",
     f"{RENDER}:2: commands[0].dest"),
    ("SplitText bad regex", RENDER, "commands:\n- !SplitText {section: '(x', validate: 'y', "
     "dest: '/x/(*).yaml'}\n", f"{RENDER}:2: commands[0].section"),
    ("SplitText without validate", RENDER, "commands:\n- !SplitText {section: 'x', "
     "dest: '/x/(*).yaml'}\n", f"{RENDER}:2: commands[0].validate"),
    ("CleanFiles without keep-list", RENDER, "commands:\n- !CleanFiles {pattern: '/x/(*)'}\n",
     f"{RENDER}:2: commands[0].keep-list"),
    ("nested Condition", RENDER, "commands:\n- !Condition\n  dirs-changed: [/x]\n  commands:\n"
     "  - !Condition {dirs-changed: [], commands: []}\n", f"{RENDER}:5: commands[0].commands[0]"),
    ("PeekLog absolute", RENDER, "commands:\n- !PeekLog /var/log/x\n", f"{RENDER}:2: commands[0]"),
    ("PeekLog unknown log dir", RENDER, "commands:\n- !PeekLog nginx/x.log\n",
     f"{RENDER}:2: commands[0]"),
    ("unknown command variable", RENDER, "templates: {p: lithos.yaml.hbs}\ncommands:\n"
     "- !RootCommand [lithos_switch, '{{ role }}', '{{ files.procs }}']\n",
     f"{RENDER}:3: commands[0][2]"),
    ("template type unknown", RENDER, "templates: {p: lithos.yaml.j2}\ncommands: []\n",
     f"{RENDER}:1: templates.p"),
    ("template file missing", RENDER, "templates: {p: other.hbs}\ncommands: []\n",
     f"{RENDER}:1: templates.p"),
    ("handlebars does not parse", "templates/django/v1/lithos.yaml.hbs",
     "{{#each daemons}}\n{{@key}}:\n{{/if}}\n",
     "templates/django/v1/lithos.yaml.hbs:3: handlebars"),
    ("tera does not parse", "templates/django/v1/extra.yaml.tera",
     "{% for k, d in daemons %}\n{{ k }}\n{% endif %}\n",
     "templates/django/v1/extra.yaml.tera:3: tera"),
]


@pytest.mark.parametrize(("relative", "text", "expected"), [c[1:] for c in TREE_REJECTS],
                         ids=[c[0] for c in TREE_REJECTS])
def test_tree_rejects(tree: Path, relative: str, text: str | None, expected: str) -> None:
    if text is None:
        (tree / relative).unlink()
    else:
        write(tree, relative, text)
    assert expected in errors_at(validate_tree(tree), tree)


def test_a_missing_sandbox_dir_is_rejected(tree: Path) -> None:
    for path in (tree / "sandbox").iterdir():
        path.unlink()
    (tree / "sandbox").rmdir()
    assert errors_at(validate_tree(tree), tree) == ["sandbox:1: (top)"]


def test_hidden_files_and_backups_are_ignored_like_verwalter_does(tree: Path) -> None:
    write(tree, "runtime/django/.v9.yaml", "daemons: [\n")
    write(tree, "runtime/django/v9.yaml~", "daemons: [\n")
    write(tree, "templates/django/v1/#x.hbs#", "{{#if}}")
    assert validate_tree(tree) == []


def test_a_wasm_scheduler_replaces_main_lua(tree: Path) -> None:
    (tree / MAIN).unlink()
    (tree / "scheduler/v1/scheduler.wasm").write_bytes(b"\0asm")
    assert validate_tree(tree) == []


def test_machine_id_format(tmp_path: Path) -> None:
    good = "0123456789abcdef0123456789abcdef"
    assert validate_machine_id(good, "machine-id") == []
    assert validate_machine_id(good + "\n", "machine-id") == []
    for bad in ("", good[:-1], good + "\n\n", good.replace("0", "g"), good + " ",
                good.upper(), "0" * 32, "0" * 32 + "\n"):
        assert [p.key for p in validate_machine_id(bad, "machine-id")] == ["machine-id"]


def test_validate_and_machine_id_check_judge_an_id_file_alike(tmp_path: Path) -> None:
    """validate --machine-id used to pass an all-zeros id that machine-id check refuses."""
    from tools.machine_id import NodeState, check_node

    for raw in (b"0" * 32 + b"\n", b"ab" * 16, b"AB" * 16, b"", b"xyz"):
        path = tmp_path / "machine-id"
        path.write_bytes(raw)
        from_check = [p.message for p in check_node(NodeState("n", raw, dbus_id=raw))]
        from_validate = [p.message for p in validate_machine_id(path)]
        assert len(from_check) == len(from_validate), raw
        assert all(v.startswith(c) for c, v in zip(from_check, from_validate, strict=True))


def test_tera_is_checked_with_jinja2_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.tera"
    path.write_text("{% for k, d in daemons %}{{ k }}{% endfor %}\n"
                    "{% if commands is defined %}x{% endif %}\n")
    assert validate_template(path) == []
    path.write_text("{% for x in y %}\n")
    problems = validate_template(path)
    assert "approximation" in problems[0].message


def test_trimmer_templates_are_not_parsed_and_we_say_so(tmp_path: Path) -> None:
    path = tmp_path / "t.trm"
    path.write_text("## syntax: indent\n")
    assert [p.severity for p in validate_template(path)] == ["warning"]


def test_render_config_accepts_every_command(tmp_path: Path) -> None:
    (tmp_path / "a.hbs").write_text("x")
    text = ("templates: {processes: a.hbs, sandbox: a.hbs}\ncommands:\n"
            "- !PeekLog 'lithos/{{ role }}.log'\n"
            "- !Copy {src: '{{ files.sandbox }}', dest: '/etc/lithos/sandboxes/{{ role }}.yaml',"
            " mode: 0o644}\n"
            "- !SplitText {section: '^## (\\w+)', validate: '^\\w+$', src: '{{ files.processes }}',"
            " dest: '/etc/x/(*).yaml'}\n"
            "- !CleanFiles {pattern: '/etc/x/(*).yaml', keep-list: /etc/keep.txt}\n"
            "- !Condition\n  dirs-changed: [/etc/x]\n  commands:\n  - !Sh 'systemctl reload x'\n"
            "- !Cmd ['{{ notexpanded }}', '{{ role }}']\n"
            "- !RootCommand [lithos_switch, '{{ role }}', '{{files.processes}}']\n")
    path = tmp_path / "lithos.render.yaml"
    path.write_text(text)
    assert validate_render_config(path, log_dirs={"lithos": "/var/log/lithos"}) == []


# the scheduler ----------------------------------------------------------------------------


def run_scheduler(root: Path, scheduler_input: dict) -> tuple[dict, str]:
    lua = lua53.LuaRuntime(unpack_returned_tuples=True)
    lua.execute(f'package.path = "{root}/scheduler/v1/?.lua"')
    module = lua.execute((root / MAIN).read_text())

    def to_lua(value):
        if isinstance(value, dict):
            return lua.table_from({k: to_lua(v) for k, v in value.items()})
        if isinstance(value, list):
            return lua.table_from([to_lua(v) for v in value])
        return value

    text, log = module.scheduler(to_lua(scheduler_input))
    return json.loads(text), log


def runtime(*versions: str, nodes: list[str] | None = None) -> dict:
    data = {}
    for version in versions:
        meta: dict = {"daemons": {"web": {"image": f"django-deploy.{version}",
                                           "config": "/config/web.yaml", "instances": 1}}}
        if nodes is not None:
            meta["nodes"] = nodes
        data[version] = meta
    return {"django": data}


def scheduler_input(**changes) -> dict:
    base = {"now": 1700000000000, "current_host": "node1", "current_id": "aa",
            "parents": [], "actions": {}, "metrics": {},
            "runtime": runtime("v1", "v2", "v10"),
            "peers": {"bb": {"hostname": "node2"}, "cc": {"hostname": "node3"}}}
    base.update(changes)
    return base


def test_the_scheduler_places_the_newest_version_on_every_node(tree: Path) -> None:
    schedule, log = run_scheduler(tree, scheduler_input())
    assert sorted(schedule["nodes"]) == ["node1", "node2", "node3"]
    for host in ("node1", "node2", "node3"):
        daemons = schedule["nodes"][host]["roles"]["django"]["daemons"]
        assert daemons == {"web": {"image": "django-deploy.v10", "config": "/config/web.yaml",
                                   "instances": 1}}
    assert schedule["roles"]["django"]["template"] == "django/v1"
    assert schedule["changes"] == ["django: version v10"]
    assert "v10" in log
    assert validate_schedule(schedule, tree) == []


def test_the_scheduler_is_deterministic_and_ignores_the_clock(tree: Path) -> None:
    first, _ = run_scheduler(tree, scheduler_input())
    again, _ = run_scheduler(tree, scheduler_input(now=1800000000000))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_the_scheduler_follows_actions_and_keeps_the_choice(tree: Path) -> None:
    chosen, _ = run_scheduler(tree, scheduler_input(
        actions={"1700000000001": {"role": "django", "version": "v2"}}))
    assert chosen["state"]["django"]["version"] == "v2"
    kept, _ = run_scheduler(tree, scheduler_input(parents=[chosen]))
    assert kept["state"]["django"]["version"] == "v2" and kept["changes"] == []
    newer, _ = run_scheduler(tree, scheduler_input(parents=[kept],
                                                   runtime=runtime("v1", "v2", "v10", "v11")))
    assert newer["state"]["django"]["version"] == "v11"
    assert newer["changes"] == ["django: version v11"]


def test_the_scheduler_honours_node_placement_and_empties_other_nodes(tree: Path) -> None:
    schedule, _ = run_scheduler(tree, scheduler_input(runtime=runtime("v1", nodes=["node2"])))
    daemons = {h: n["roles"]["django"]["daemons"] for h, n in schedule["nodes"].items()}
    assert daemons["node1"] == {} and daemons["node3"] == {}
    assert list(daemons["node2"]) == ["web"]


def test_without_versions_every_node_gets_an_empty_daemon_set(tree: Path) -> None:
    schedule, _ = run_scheduler(tree, scheduler_input(runtime={}, peers={}))
    assert schedule["nodes"] == {"node1": {"roles": {"django": {"daemons": {}}}}}


def test_rendered_process_files_pass_the_lithos_validator(tree: Path) -> None:
    schedule, _ = run_scheduler(tree, scheduler_input(runtime=runtime("v1", nodes=["node2"])))
    template = pybars.Compiler().compile(
        (tree / "templates/django/v1/lithos.yaml.hbs").read_text())
    for host in ("node1", "node2"):
        variables = {**schedule["nodes"][host]["roles"]["django"], "role": "django",
                     "verwalter_version": "v0.13.4"}
        assert validate_process(str(template(variables)), f"{host}.yaml") == []


def test_schedule_checks() -> None:
    assert [p.key for p in validate_schedule([], None)] == ["(top)"]
    bad = {"nodes": {"node1": {"roles": {"django": {}, "x": 1}}}, "changes": "new"}
    assert sorted(p.key for p in validate_schedule(bad, None)) == [
        "changes", "nodes.node1.roles.django", "nodes.node1.roles.x"]


def test_schedule_template_must_name_a_directory(tree: Path) -> None:
    schedule = {"roles": {"django": {"template": "django/v9"}},
                "nodes": {"node1": {"roles": {"django": {}}}}}
    assert [p.key for p in validate_schedule(schedule, tree)] == ["nodes.node1.roles.django"]


def test_scaffold_files_without_an_image_have_no_runtime_version() -> None:
    assert not any(name.startswith("runtime/") for name in scaffold_files())


def test_modules_load_the_way_verwalter_finds_them(tree: Path) -> None:
    write(tree, "scheduler/v1/lib/util.lua", "return {answer = 42}\n")
    write(tree, "scheduler/v1/spec/util_spec.lua", "require 'busted'\nthis is not lua\n")
    write(tree, MAIN, "local a = require 'lib/util'\nlocal b = require 'lib/util.lua'\n"
          "return {scheduler = function() return '{\"n\": ' .. tostring(a.answer + b.answer) "
              ".. '}', '' end}\n")
    assert validate_tree(tree) == []
