"""Templates and scheduler judged across the tree: handlebars as strict as verwalter's,
variables a schedule gives, the scheduler run once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.verwalter.template_check import syntax_problems, unknown_variable_problems
from tools.verwalter.tree import scaffold_tree, validate_tree

TEMPLATE = "templates/django/v1/lithos.yaml.hbs"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "verwalter"
    scaffold_tree(root, image="django-deploy.01234567")
    return root


def _found(tree: Path) -> list[tuple[str, int, str, str]]:
    return [(Path(p.file).relative_to(tree).as_posix(), p.line, p.key, p.rule)
            for p in validate_tree(tree)]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a\n{{#each daemons}}\n{{@key}}\n", 2, "{{#each}} is never closed"),
    ("{{#each d}}\n{{#if x}}\n{{/each}}\n", 3, "{{#if}} of line 2 must be closed first"),
    ("x\n{{/if}}\n", 2, "{{/if}} closes no block"),
    ("ok\n{{image\n", 2, "never closed with '}}'"),
    ("{{}}\n", 1, "an empty expression"),
    ("{{a b)}}\n", 1, "')' that closes nothing"),
])
def test_syntax_the_handlebars_crate_refuses(text: str, line: int, words: str) -> None:
    (problem,) = syntax_problems(text, "t.hbs")
    assert (problem.line, problem.rule) == (line, "template-syntax")
    assert words in problem.message


@pytest.mark.parametrize("text", [
    "{{#each d}}{{@key}}: {{{this.image}}}{{else}}none{{/each}}",
    "{{!-- {{#each}} in a comment --}}{{#if a}}x{{^}}y{{/if}}",
    "{{#with a as |b|}}{{b.c}}{{/with}} {{lookup m 'k'}} {{json (default a 1)}}",
    "{{~#each d~}} {{../role}} {{~/each}}",
])
def test_valid_templates_pass(text: str) -> None:
    assert syntax_problems(text, "t.hbs") == []


def test_an_unclosed_each_in_a_tree_is_an_error_at_the_hbs_line(tree: Path) -> None:
    path = tree / TEMPLATE
    path.write_text(path.read_text().replace("{{/each}}", ""))
    assert _found(tree) == [(TEMPLATE, 2, "handlebars", "template-syntax")]


def test_a_variable_no_schedule_gives_is_named_at_its_line(tree: Path) -> None:
    path = tree / TEMPLATE
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "{{image}}" in line)
    path.write_text(path.read_text().replace("{{image}}", "{{imagee}}"))
    (problem,) = validate_tree(tree)
    assert (problem.line, problem.key, problem.rule, problem.severity) == (
        number, "imagee", "template-variable", "warning")
    assert "did you mean 'image'?" in problem.message


def test_a_lua_runtime_error_is_reported_at_its_line(tree: Path) -> None:
    main = tree / "scheduler/v1/main.lua"
    lines = main.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.strip() == "local newest")
    lines[number - 1] = "    local newest = version_kye(versions)"
    main.write_text("\n".join(lines) + "\n")
    (problem,) = validate_tree(tree)
    assert (Path(problem.file).name, problem.line, problem.rule) == (
        "main.lua", number, "scheduler-runtime")
    assert "version_kye" in problem.message


def test_unknown_variables_need_a_sample_to_judge_by() -> None:
    text = "{{#each daemons}}{{imagee}}{{/each}} {{role}}"
    assert unknown_variable_problems(text, "t.hbs", {"daemons": {}, "role": "r"}, "s") == []
    (problem,) = unknown_variable_problems(text, "t.hbs", {"daemons": {}}, "s")
    assert problem.key == "role"
