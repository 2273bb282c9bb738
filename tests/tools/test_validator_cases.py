"""Validator rules on cases the real tools' own test suites check (tests/fixtures/cases).

The files are written for these tests; tests/fixtures/cases/README.md says which case of
which tool each recreates and what the real tool does with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.lithos.config import validate_container
from tools.problems import Problem
from tools.vagga import VAGGA_VERSION, validate_vagga
from tools.verwalter.tree import validate_tree

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
REPO = Path(__file__).resolve().parents[2]


def where(problems: list[Problem]) -> list[tuple[int, str, str]]:
    return [(p.line, p.key, p.severity) for p in problems]


def test_a_minimum_vagga_newer_than_the_followed_release_is_rejected_at_its_line() -> None:
    path = CASES / "vagga-too-new/vagga.yaml"
    problems = validate_vagga(path)
    # vagga's own test expects both errors: the version, and the unknown step tag
    assert where(problems) == [(2, "minimum-vagga", "error"),
                               (7, "containers.test.setup[0]", "error")]
    assert "9999.0.0" in problems[0].message and VAGGA_VERSION in problems[0].message
    assert problems[1].message.startswith("unknown tag !UnknownCommand")


def test_a_minimum_vagga_the_followed_release_meets_is_accepted() -> None:
    text = (CASES / "vagga-too-new/vagga.yaml").read_text()
    for version in ("0.8.1", "v0.8.1", "0.8.0", "0.7.2-rc"):
        problems = validate_vagga(text.replace("9999.0.0", version), "vagga.yaml")
        assert [p.key for p in problems] == ["containers.test.setup[0]"], version
    for version in ("0.8.2", "0.9", "0.8.1-1-gabcdef"):
        problems = validate_vagga(text.replace("9999.0.0", version), "vagga.yaml")
        assert problems[0].key == "minimum-vagga", version


def test_a_container_on_itself_is_reported_at_the_container_step() -> None:
    problems = validate_vagga(CASES / "vagga-cycle/vagga.yaml")
    # line 5 is "- !Container crash"; line 3 ("crash:") and 4 ("setup:") are not the mistake
    assert where(problems) == [(5, "containers.crash.setup[0]", "error")]
    assert "cyclic" in problems[0].message


def test_a_cycle_through_two_containers_is_reported_once_at_the_closing_step() -> None:
    text = (CASES / "vagga-cycle/vagga.yaml").read_text()
    text = text.replace("    - !Container crash\n", "    - !Container other\n").replace(
        "commands:", "  other:\n    setup:\n    - !Container crash\n\ncommands:")
    problems = validate_vagga(text, "vagga.yaml")
    assert len(problems) == 1
    assert text.splitlines()[problems[0].line - 1] == "    - !Container crash"
    assert problems[0].key == "containers.other.setup[0]"
    assert "crash -> other -> crash" in problems[0].message


def test_the_tutorial_s_own_vagga_yaml_is_valid() -> None:
    assert validate_vagga(REPO / "tutorial/app/vagga.yaml") == []


def _tree_without_sandbox_config(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(CASES / "verwalter-no-sandbox", tree)
    (tree / "scheduler/v1").mkdir(parents=True)
    (tree / "scheduler/v1/main.lua").write_text(
        "return {scheduler = function(state) return '{}', '' end}\n")
    return tree


def test_a_sandbox_without_config_makes_peeklog_a_warning_not_an_error(tmp_path: Path) -> None:
    tree = _tree_without_sandbox_config(tmp_path)
    assert [p.name for p in (tree / "sandbox").iterdir()] == [".keep"]
    problems = validate_tree(tree)
    render = tree / "templates/web/v1/lithos.render.yaml"
    assert [(p.file, p.line, p.key, p.severity) for p in problems] == [
        (str(render), 4, "commands[0]", "warning")]
    assert "'vw'" in problems[0].message and "skips" in problems[0].message


def test_a_sandbox_with_config_still_rejects_an_unknown_log_dir(tmp_path: Path) -> None:
    tree = _tree_without_sandbox_config(tmp_path)
    (tree / "sandbox/global.yaml").write_text("log-dirs:\n  lithos: /var/log/lithos\n")
    problems = validate_tree(tree)
    assert [(p.line, p.key, p.severity) for p in problems] == [(4, "commands[0]", "error")]
    assert "it has lithos" in problems[0].message


def test_a_broken_sandbox_file_gives_no_follow_on_peeklog_errors(tmp_path: Path) -> None:
    tree = _tree_without_sandbox_config(tmp_path)
    (tree / "sandbox/global.yaml").write_text("log-dirs:\n  vw: [/tmp/logs\n")
    problems = validate_tree(tree)
    assert [(Path(p.file).name, p.line, p.column, p.key) for p in problems] == [
        ("global.yaml", 2, 7, "log-dirs.vw")]


def test_a_misspelt_volume_tag_gets_a_suggestion_and_no_follow_on_errors() -> None:
    text = (CASES / "lithos-command/shell.yaml").read_text()
    assert validate_container(text, "shell.yaml") == []
    problems = validate_container(text.replace("!Tmpfs", "!TmpFS"), "shell.yaml")
    assert [(p.line, p.column, p.key) for p in problems] == [(4, 9, "volumes./tmp")]
    assert problems[0].message == "unknown tag !TmpFS (did you mean !Tmpfs?)"
