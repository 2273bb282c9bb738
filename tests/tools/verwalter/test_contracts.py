"""Contracts of the verwalter and lithos commands kept: JSON errors are objects, a missing
program is an environment error, locations never say line 0."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tools.cli import main
from tools.problems import Problem
from tools.verwalter.tree import scaffold_tree


def test_schedule_preview_json_gives_its_error_as_an_object(tmp_path: Path) -> None:
    tree = tmp_path / "v"
    scaffold_tree(tree, image="django-deploy.01234567")
    main_lua = tree / "scheduler/v1/main.lua"
    lines = main_lua.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.strip() == "local newest")
    lines[number - 1] = "    local newest = version_kye(versions)"
    main_lua.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["verwalter", "schedule-preview", str(tree),
                                       "--current-host", "node1", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "scheduler" and "version_kye" in error["message"]
    assert (Path(error["file"]).name, error["line"]) == ("main.lua", number)


def test_render_apply_without_the_program_is_an_environment_error(tmp_path: Path) -> None:
    tree = tmp_path / "v"
    scaffold_tree(tree, role="django", image="django-deploy.01234567")
    (tree / "templates/django/v1/lithos.render.yaml").write_text(
        "templates: {p: lithos.yaml.hbs}\n"
        "commands:\n- !Cmd [no-such-program-deploydocs, '{{ files.p }}']\n")
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({"roles": {"django": {"template": "django/v1"}},
                                    "nodes": {"n1": {"roles": {"django": {"daemons": {}}}}}}))
    result = CliRunner().invoke(main, ["verwalter", "render", str(tree), "--schedule",
                                       str(schedule), "--node", "n1", "--apply", "--root",
                                       str(tmp_path / "root"), "--json"])
    assert result.exit_code == 3, result.output
    error = json.loads(result.stdout)["error"]
    assert "no-such-program-deploydocs not found" in error["message"]


def test_a_refused_overwrite_with_json_is_a_json_error(tmp_path: Path) -> None:
    runner = CliRunner()
    argv = ["lithos", "generate", "--out", str(tmp_path), "--json"]
    assert runner.invoke(main, argv).exit_code == 0
    (tmp_path / "master.yaml").write_text("edited: true\n")
    refused = runner.invoke(main, argv)
    assert refused.exit_code == 1
    document = json.loads(refused.stdout)
    assert document["ok"] is False and "refusing to overwrite" in document["error"]["message"]


def test_no_location_says_line_0_or_an_empty_key() -> None:
    assert str(Problem("cantal-agent", 0, "--port", "x")) == "cantal-agent:1: --port: x"
    assert str(Problem("hosts.toml", 1, "", "x")) == "hosts.toml:1: (top): x"
