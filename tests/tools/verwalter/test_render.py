"""Render preview/apply: one role's templates for one node, and its commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.cli import main
from tools.lithos.config import validate_process
from tools.verwalter import render
from tools.verwalter import schedule as sched

FIXTURE = Path(__file__).parent / "fixtures" / "tree"


@pytest.fixture(scope="module")
def schedule() -> dict:
    peers = sched.peers_from_hostnames(["node2", "node3"], now_ms=1)
    result = sched.preview(FIXTURE, current_host="node1", peers=peers, now_ms=1,
                           check_determinism=False)
    assert result.ok, result.error
    return result.schedule


def tree_with_template(tmp_path: Path, files: dict[str, str]) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE, tree)
    target = tree / "templates/django/v1"
    shutil.rmtree(target)
    target.mkdir()
    for name, text in files.items():
        (target / name).write_text(text)
    return tree


def local_root(tmp_path: Path, *dirs: str) -> Path:
    """``<tmp_path>/root`` with the directories *dirs* in it: the node a LocalExecutor is."""
    root = tmp_path / "root"
    root.mkdir()
    for name in dirs:
        (root / name).mkdir(parents=True)
    return root


def render_locally(tree: Path, schedule: dict, root: Path) -> render.RenderResult:
    """Render and apply role django of node1 with its commands run under *root*."""
    return render.render_role(tree, schedule, "node1", "django",
                              executor=render.LocalExecutor(root))


def lithos_problems(text: str, name: str) -> list:
    return [p for p in validate_process(text, name) if p.severity == "error"]


def test_preview_renders_a_valid_lithos_process_file_for_the_node(schedule: dict) -> None:
    result = render.render_role(FIXTURE, schedule, "node2", "django",
                                validate_lithos=lithos_problems)
    assert result.ok, (result.failed, result.problems)
    assert not result.applied
    processes = result.output("processes")
    assert processes.startswith("# generated for node2 by verwalter (role django)\n")
    assert "web:\n  kind: Daemon\n  image: django-deploy.5f1c2a9e\n" in processes
    assert "  config: /config/web.yaml\n  instances: 2\n" in processes
    assert validate_process(processes, "processes") == []
    commands = [c.display for c in result.actions[0].commands]
    assert commands == ["peek log lithos/django.log (recorded only)",
                        "lithos_switch django '<processes: rendered lithos.yaml.hbs>'"]
    assert all(c.exit_status is None for c in result.actions[0].commands)


def test_variables_are_the_ones_verwalter_passes(schedule: dict) -> None:
    variables = render.build_vars(schedule, "node3", "django", deployment_id="abc")
    assert variables["role"] == "django"
    assert variables["node"] == "node3"
    assert variables["template"] == "django/v1"
    assert variables["deployment_id"] == "abc"
    assert variables["verwalter_version"] == "v0.13.4"
    assert variables["full_schedule"] == schedule
    assert variables["timestamp"].endswith("Z")
    assert "daemons" in variables


def test_a_role_without_template_or_template_dir_fails(schedule: dict) -> None:
    bare = {"nodes": {"n": {"roles": {"r": {}}}}}
    assert "exits 4" in render.render_role(FIXTURE, bare, "n", "r").failed
    missing = {"nodes": {"n": {"roles": {"r": {"template": "nope/v1"}}}}}
    assert render.render_role(FIXTURE, missing, "n", "r").failed == \
        "templates/nope/v1/ does not exist"


def test_tera_templates_render_with_jinja2_including_map_loops(tmp_path: Path,
                                                               schedule: dict) -> None:
    tree = tree_with_template(tmp_path, {
        "lithos.render.yaml": "templates:\n  processes: lithos.yaml.tera\ncommands: []\n",
        "lithos.yaml.tera": ("{% for name, d in daemons %}{{ name }}:\n"
                             "  image: {{ d.image }}\n  instances: {{ d.instances }}\n"
                             "{% endfor %}{% if missing is defined %}x{% endif %}"),
    })
    result = render.render_role(tree, schedule, "node1", "django")
    assert result.ok, result.failed
    # Tera 0.10 (verwalter_render 0.13.4) strips the end of a whole for loop's output:
    # seen on the real binary, and checked by test_render_check's real_tools tests.
    assert result.output("processes") == ("web:\n  image: django-deploy.5f1c2a9e\n"
                                          "  instances: 2")


def test_undefined_variables_fail_in_tera_and_render_empty_in_handlebars(
        tmp_path: Path, schedule: dict) -> None:
    tree = tree_with_template(tmp_path, {
        "a.render.yaml": "templates:\n  t: t.tera\ncommands: []\n",
        "t.tera": "{{ nothing_here }}",
    })
    failed = render.render_role(tree, schedule, "node1", "django")
    assert "t.tera" in failed.failed
    assert "nothing_here" in failed.failed
    tree = tree_with_template(tmp_path / "hbs", {
        "a.render.yaml": "templates:\n  t: t.hbs\ncommands: []\n",
        "t.hbs": "[{{nothing_here}}]",
    })
    assert render.render_role(tree, schedule, "node1", "django").output("t") == "[]"


@pytest.mark.parametrize(("render_yaml", "where", "message"), [
    ("templates: {}\ncommands:\n- !Copy {src: a, target: /b}\n",
     [(3, "commands[0].dest"), (3, "commands[0].target")], "is required"),
    ("commands:\n- !Shell 'x'\n", [(2, "commands[0]")], "unknown tag !Shell"),
    ("commands:\n- !Sh 'echo {{ node }}'\n", [(2, "commands[0]")],
     "{{ node }} is not expanded"),
    ("commands:\n- !Condition\n  dirs-changed: [/a]\n  commands:\n  - !Sh '{{ x }}'\n",
     [(5, "commands[0].commands[0]")], "{{ x }} is not expanded"),
    ("commands:\n- !RootCommand []\n", [(2, "commands[0]")], "needs at least 1 item"),
    ("templates:\n  x: x.jinja\n", [(2, "templates.x")], "unknown template type '.jinja'"),
    ("templates:\n  x: gone.hbs\n", [(2, "templates.x")], "'gone.hbs' not found"),
    ("extra: 1\n", [(1, "extra")], "unknown key"),
    ("commands:\n- !Condition\n  dirs-changed: [/a]\n  commands:\n  - !Condition {}\n",
     [(5, "commands[0].commands[0]")], "unknown tag !Condition"),
])
def test_bad_render_files_are_reported_with_file_line_and_key(
        tmp_path: Path, render_yaml: str, where: list[tuple[int, str]], message: str) -> None:
    path = tmp_path / "x.render.yaml"
    path.write_text(render_yaml)
    _, problems = render.parse_render_file(path, "x.render.yaml")
    assert [(p.file, p.line, p.key) for p in problems] == [
        ("x.render.yaml", line, key) for line, key in where]
    assert message in problems[0].message


def test_trimmer_templates_are_valid_but_not_rendered(tmp_path: Path) -> None:
    (tmp_path / "x.trm").write_text("## syntax: indent\n")
    path = tmp_path / "x.render.yaml"
    path.write_text("templates:\n  x: x.trm\n")
    _, problems = render.parse_render_file(path, "x.render.yaml")
    assert [(p.line, p.key, p.severity) for p in problems] == [(2, "templates.x", "error")]
    assert "not supported by render preview" in problems[0].message


def test_apply_runs_commands_in_order_and_copies_atomically(tmp_path: Path,
                                                            schedule: dict) -> None:
    root = local_root(tmp_path, "etc/lithos/processes")
    tree = tree_with_template(tmp_path, {
        "lithos.render.yaml": (
            "templates:\n  processes: p.hbs\n"
            "commands:\n"
            "- !Copy {src: '{{ files.processes }}', dest: '/etc/lithos/processes/{{ role }}.yaml',"
            " mode: 0o600}\n"
            "- !Cmd [sh, -c, 'echo \"$1\" > cmd.txt', sh, '{{ role }} {{ other }}']\n"
            "- !Sh 'cp {{ files.processes }} sh-copy.yaml'\n"
        ),
        "p.hbs": "{{#each daemons}}{{@key}}: {{image}}{{/each}}\n",
    })
    result = render_locally(tree, schedule, root)
    assert result.ok, (result.failed, result.problems)
    copied = root / "etc/lithos/processes/django.yaml"
    assert copied.read_text() == "web: django-deploy.5f1c2a9e\n"
    assert copied.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in copied.parent.iterdir()) == ["django.yaml"]
    assert (root / "cmd.txt").read_text() == "django << unknown variable: other >>\n"
    assert (root / "sh-copy.yaml").read_text() == copied.read_text()
    assert [c.exit_status for c in result.actions[0].commands] == [0, 0, 0]


def test_a_failing_command_stops_the_role_and_names_where(tmp_path: Path,
                                                          schedule: dict) -> None:
    tree = tree_with_template(tmp_path, {
        "a.render.yaml": "commands:\n- !Cmd [sh, -c, 'exit 3']\n- !Cmd [touch, never]\n",
    })
    root = local_root(tmp_path)
    result = render_locally(tree, schedule, root)
    assert result.failed == ("templates/django/v1/a.render.yaml:2: !Cmd sh -c 'exit 3' "
                             "exited 3")
    assert not (root / "never").exists()


def test_condition_runs_its_commands_only_when_a_directory_changed(
        tmp_path: Path, schedule: dict) -> None:
    template = {
        "a.render.yaml": (
            "templates:\n  t: t.hbs\ncommands:\n"
            "- !Copy {src: '{{ files.t }}', dest: /conf/app.conf}\n"
            "- !Condition\n  dirs-changed: [/conf]\n  commands:\n"
            "  - !Sh 'echo reloaded >> reloads.txt'\n"
        ),
        "t.hbs": "image={{#each daemons}}{{image}}{{/each}}\n",
    }
    tree = tree_with_template(tmp_path, template)
    root = local_root(tmp_path, "conf")
    for _ in range(2):
        result = render_locally(tree, schedule, root)
        assert result.ok, result.failed
    assert (root / "reloads.txt").read_text() == "reloaded\n"


def test_split_text_and_clean_files(tmp_path: Path, schedule: dict) -> None:
    tree = tree_with_template(tmp_path, {
        "a.render.yaml": (
            "templates:\n  all: all.hbs\ncommands:\n"
            "- !SplitText {section: '^## (.*)$', validate: '^[a-z]+$', src: '{{ files.all }}',"
            " dest: '/out/(*).conf'}\n"
            "- !CleanFiles {pattern: '/keep/(*).yaml', keep-list: /keep-list}\n"
        ),
        "all.hbs": "## alpha\na=1\n## beta\nb=2\n",
    })
    root = local_root(tmp_path, "out", "keep")
    (root / "out/stale.conf").write_text("old")
    for name in ("one", "two", "three"):
        (root / f"keep/{name}.yaml").write_text("")
    (root / "keep-list").write_text("one\nthree\n")
    result = render_locally(tree, schedule, root)
    assert result.ok, result.failed
    assert {p.name: p.read_text() for p in (root / "out").iterdir()} == {
        "alpha.conf": "a=1\n", "beta.conf": "b=2\n"}
    assert sorted(p.name for p in (root / "keep").iterdir()) == ["one.yaml", "three.yaml"]


def test_an_invalid_rendered_lithos_file_is_reported(tmp_path: Path, schedule: dict) -> None:
    tree = tree_with_template(tmp_path, {
        "l.render.yaml": ("templates:\n  processes: p.hbs\ncommands:\n- !RootCommand "
                          "[lithos_switch, '{{ role }}', '{{ files.processes }}']\n"),
        "p.hbs": "web:\n  image: /abs/path\n  config: relative.yaml\n  bogus: 1\n",
    })
    result = render.render_role(tree, schedule, "node1", "django",
                                validate_lithos=lithos_problems)
    assert not result.ok
    assert {p.key for p in result.problems} >= {"web.bogus"}


def test_cli_render_preview_and_apply(tmp_path: Path, schedule: dict) -> None:
    schedule_file = tmp_path / "schedule.json"
    schedule_file.write_text(json.dumps(schedule))
    runner = CliRunner()
    shown = runner.invoke(main, ["verwalter", "render", str(FIXTURE), "--schedule",
                                 str(schedule_file), "--node", "node1", "--role", "django",
                                 "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["stand_in"] == "render preview"
    assert "handlebars (pybars3)" in data["engines"]
    assert "web:" in data["actions"][0]["outputs"]["processes"]
    text = runner.invoke(main, ["verwalter", "render", str(FIXTURE), "--schedule",
                                str(schedule_file), "--node", "node1", "--role", "django"])
    assert "render preview" in text.output
    assert "lithos_switch django" in text.output
    bad = tmp_path / "bad.json"
    bad.write_text("[1,\n")
    usage = runner.invoke(main, ["verwalter", "render", str(FIXTURE), "--schedule", str(bad),
                                 "--node", "node1", "--role", "django"])
    assert usage.exit_code == 2
    assert "bad.json:2:" in usage.output
    tree = tree_with_template(tmp_path, {
        "a.render.yaml": "templates:\n  t: t.hbs\ncommands:\n"
                         "- !Copy {src: '{{ files.t }}', dest: /out.txt}\n",
        "t.hbs": "{{role}} on {{node}}\n",
    })
    root = tmp_path / "root"
    root.mkdir()
    applied = runner.invoke(main, ["verwalter", "render", str(tree), "--schedule",
                                   str(schedule_file), "--node", "node3", "--role", "django",
                                   "--apply", "--root", str(root)])
    assert applied.exit_code == 0, applied.output
    assert (root / "out.txt").read_text() == "django on node3\n"
    not_there = runner.invoke(main, ["verwalter", "render", str(tree), "--schedule",
                                     str(schedule_file), "--node", "node9", "--role", "django"])
    assert not_there.exit_code == 1


def test_the_tutorial_scaffold_previews_and_renders_valid_lithos_files(tmp_path: Path) -> None:
    """The tree tools.verwalter.tree scaffolds for the tutorial, end to end offline."""
    from tools.verwalter.tree import scaffold_tree, validate_schedule

    scaffold_tree(tmp_path, role="django", image="django-deploy.5f1c2a9e")
    peers = sched.peers_from_hostnames(["node2", "node3"], now_ms=1)
    preview = sched.preview(tmp_path, current_host="node1", peers=peers, now_ms=1)
    assert preview.ok, (preview.error, preview.problems)
    assert validate_schedule(preview.schedule, tmp_path) == []
    assert set(preview.assignments()) == {"node1", "node2", "node3"}
    for node in ("node1", "node2", "node3"):
        result = render.render_role(tmp_path, preview.schedule, node, "django",
                                    validate_lithos=lithos_problems)
        assert result.ok, (node, result.failed, result.problems)
        assert "django-deploy.5f1c2a9e" in result.output("processes")


def test_apply_on_a_host_writes_temp_files_there_and_removes_them(tmp_path: Path,
                                                                  schedule: dict) -> None:
    from tests.tools.scratch_host import ScratchHost

    tree = tree_with_template(tmp_path, {
        "a.render.yaml": ("templates:\n  t: t.hbs\ncommands:\n"
                          "- !Copy {src: '{{ files.t }}', dest: out/app.conf, mode: 0o640}\n"
                          "- !RootCommand [cat, '{{ files.t }}']\n"),
        "t.hbs": "{{role}}@{{node}}\n",
    })
    host = ScratchHost("node2", tmp_path / "node2")
    (host.cwd / "out").mkdir()
    result = render.render_role(tree, schedule, "node2", "django",
                                executor=render.HostExecutor(host, temp_dir="tmp"))
    assert result.ok, result.failed
    assert (host.cwd / "out/app.conf").read_text() == "django@node2\n"
    assert (host.cwd / "out/app.conf").stat().st_mode & 0o777 == 0o640
    assert result.actions[0].commands[1].output == "django@node2"
    assert list((host.cwd / "tmp").iterdir()) == []
