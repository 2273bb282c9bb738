"""tools.suppress: inline comments silence the rules they name, nothing else."""

from __future__ import annotations

from tools.problems import Problem
from tools.suppress import silenced, with_rule, without_silenced


def test_a_marker_silences_only_the_rules_it_names() -> None:
    lines = ["x: 1  # deploydocs-tools: ignore[unknown-key, wrong-type]", "y: 2"]
    assert silenced(lines, 1, "wrong-type")
    assert not silenced(lines, 1, "out-of-range")
    assert not silenced(lines, 2, "unknown-key")


def test_a_comment_line_above_covers_the_next_line_in_any_comment_syntax() -> None:
    for comment in ("# deploydocs-tools: ignore[r]", "-- deploydocs-tools: ignore[r]",
                    "{{!-- deploydocs-tools: ignore[r] --}}"):
        assert silenced([comment, "body"], 2, "r")
    assert not silenced(["code  # deploydocs-tools: ignore[r]", "body"], 2, "r")


def test_ignored_rules_and_silenced_lines_drop_problems() -> None:
    texts = {"a.yaml": ["a: 1  # deploydocs-tools: ignore[unknown-key]", "b: 2", "c: 3"]}
    problems = [Problem("a.yaml", 1, "a", "unknown key", rule="unknown-key"),
                Problem("a.yaml", 2, "b", "unknown key", rule="unknown-key"),
                Problem("a.yaml", 3, "c", "bad", rule="wrong-type")]
    kept = without_silenced(problems, ignore=frozenset({"wrong-type"}), read=texts.__getitem__)
    assert [p.key for p in kept] == ["b"]


def test_with_rule_fills_only_missing_ids() -> None:
    problems = with_rule([Problem("f", 1, "k", "m"), Problem("f", 1, "k", "m", rule="x")], "d")
    assert [p.rule for p in problems] == ["d", "x"]
