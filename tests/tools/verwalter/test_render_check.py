"""The render preview against the real ``verwalter_render``.

The parsing of verwalter_render's log is tested on its own; the ``real_tools``
tests run the real binary (``$TOOLS_DIR/verwalter_render``, in ``--dry-run``
mode: it renders and applies nothing) on the tutorial's tree and on templates
that exercise each engine's corners, and need every template to come out the
same as in the preview.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.cli import main
from tools.verwalter import render_check
from tools.verwalter import schedule as sched

REPO = Path(__file__).resolve().parents[3]
TUTORIAL_TREE = REPO / "tutorial" / "verwalter"


def test_the_rendered_text_is_read_between_the_markers_less_the_logs_newline() -> None:
    log = ('noise\n+++ template start: "a.hbs" -> "/tmp/.tmp1" +++\n'
           "web:\n  x: 1\n\n\n"
           '+++ template end: "a.hbs" -> "/tmp/.tmp1" +++\n'
           '+++ template start: "b.tera" -> "/tmp/.tmp2" +++\n'
           "no newline\n"
           '+++ template end: "b.tera" -> "/tmp/.tmp2" +++\n')
    assert render_check.rendered_templates(log) == {"a.hbs": "web:\n  x: 1\n\n",
                                                    "b.tera": "no newline"}


def tutorial_tree(tmp_path: Path, image: str = "hello-deploy.3a62b15a") -> Path:
    tree = tmp_path / "verwalter"
    shutil.copytree(TUTORIAL_TREE, tree)
    (tree / "runtime" / "hello").mkdir(parents=True)
    (tree / "runtime" / "rollout").mkdir()
    (tree / "runtime" / "hello" / "v1.yaml").write_text(
        f"daemons:\n  web:\n    image: {image}\n    config: /config/hello.yaml\n"
        "    instances: 1\n  worker:\n    image: hello-deploy.00000000\n"
        "    config: /config/worker.yaml\n    instances: 2\n")
    (tree / "runtime" / "rollout" / "hello.yaml").write_text("stable: v1\n")
    return tree


@pytest.fixture
def real_render() -> str:
    """The real verwalter_render of ``$TOOLS_DIR`` (a missing one fails: TOOLS_DIR promised it)."""
    binary = Path(os.environ["TOOLS_DIR"]) / "verwalter_render"
    assert binary.is_file(), f"TOOLS_DIR has no verwalter_render: {binary}"
    return str(binary)


@pytest.mark.real_tools
def test_the_tutorial_templates_render_as_verwalter_renders_them(tmp_path: Path,
                                                                 real_render: str) -> None:
    tree = tutorial_tree(tmp_path)
    schedule = sched.preview(tree, current_host="node1",
                             peers=sched.peers_from_hostnames(["node2", "node3"], 0)).schedule
    assert schedule is not None
    for node in ("node1", "node3"):
        checked = render_check.check_role(tree, schedule, node, "hello", real_render)
        assert checked.ok, checked.differences
        assert checked.same == ["lithos.yaml.hbs"]


CORNERS = {
    "corners.hbs": ("{{#each daemons}}\n{{@key}}: {{this.instances}}\n{{/each}}\n"
                    "{{#if version}}version {{version}}\n{{else}}none\n{{/if}}\n"
                    "  {{~ role ~}}  \n<{{missing}}>\n"),
    "corners.tera": ("{% for name, daemon in daemons %}{{ name }}={{ daemon.instances }}\n"
                     "{% endfor %}{% if version is defined %}v={{ version }}{% endif %}\n"
                     "{{ role | upper }}\n"),
}
"""Templates exercising each engine's whitespace, loops, conditions and undefined values."""


@pytest.mark.real_tools
@pytest.mark.parametrize("template", sorted(CORNERS))
def test_each_engine_s_corners_render_as_verwalter_renders_them(
        tmp_path: Path, real_render: str, template: str) -> None:
    """Settles whether the Python engines stand in for verwalter's Handlebars and Tera."""
    tree = tutorial_tree(tmp_path)
    template_dir = tree / "templates" / "hello" / "v1"
    (template_dir / template).write_text(CORNERS[template])
    (template_dir / "lithos.render.yaml").write_text(
        f"templates:\n  processes: lithos.yaml.hbs\n  corners: {template}\n"
        "commands:\n- !RootCommand [lithos_switch, \"{{ role }}\", \"{{ files.processes }}\"]\n")
    schedule = sched.preview(tree, current_host="node1", peers={}).schedule
    assert schedule is not None
    checked = render_check.check_role(tree, schedule, "node1", "hello", real_render)
    assert checked.ok, checked.differences
    assert sorted(checked.same) == sorted(["lithos.yaml.hbs", template])


@pytest.mark.real_tools
def test_the_cli_says_same_and_exits_0(tmp_path: Path, real_render: str) -> None:
    tree = tutorial_tree(tmp_path)
    schedule_file = tmp_path / "schedule.json"
    made = CliRunner().invoke(main, ["verwalter", "schedule-preview", str(tree),
                                     "--current-host", "node1", "--output", str(schedule_file)])
    assert made.exit_code == 0, made.output
    checked = CliRunner().invoke(main, ["verwalter", "render-check", str(tree), "--schedule",
                                        str(schedule_file), "--node", "node1",
                                        "--verwalter-render", real_render])
    assert checked.exit_code == 0, checked.output
    assert checked.output == "role hello: lithos.yaml.hbs: same text as verwalter_render\n"


def test_a_missing_verwalter_render_is_a_clear_error(tmp_path: Path) -> None:
    tree = tutorial_tree(tmp_path)
    schedule = sched.preview(tree, current_host="node1", peers={}).schedule
    assert schedule is not None
    with pytest.raises(render_check.RenderCheckError, match="no-such-verwalter_render"):
        render_check.check_role(tree, schedule, "node1", "hello",
                                str(tmp_path / "no-such-verwalter_render"))
