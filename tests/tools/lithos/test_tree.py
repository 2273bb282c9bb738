"""tools.lithos.tree: what crosses the files of a lithos tree, found by ``validate DIR``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.lithos.generate import DjangoParams, generate_files, write_files
from tools.validate import validate_paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_files(tmp_path, generate_files(DjangoParams(image="django-deploy.01234567")))
    return tmp_path


def _rules(tree: Path) -> list[tuple[str, str]]:
    return [(Path(p.file).relative_to(tree).as_posix(), p.rule)
            for checked in validate_paths([tree]) for p in checked.problems]


def test_a_generated_tree_is_clean(tree: Path) -> None:
    assert _rules(tree) == []


def test_a_process_file_without_its_sandbox(tree: Path) -> None:
    (tree / "processes/django.yaml").rename(tree / "processes/djang.yaml")
    assert _rules(tree) == [("processes/djang.yaml", "lithos-no-sandbox")]


def test_a_container_user_or_port_the_sandbox_does_not_allow(tree: Path) -> None:
    config = tree / "config/web.yaml"
    text = config.read_text()
    config.write_text(text.replace("user-id: 1\n", "user-id: 0\n").replace("  8000:", "  8080:"))
    assert sorted(_rules(tree)) == [("config/web.yaml", "lithos-port"),
                                    ("config/web.yaml", "lithos-user")]


def test_out_of_range_integers_are_refused_as_lithos_refuses_them(tree: Path) -> None:
    config = tree / "config/web.yaml"
    text = config.read_text()
    config.write_text(text.replace("user-id: 1\n", "user-id: 99999999999\n").replace(
        "memory-limit: ", "memory-limit: -1\n_old: "))
    problems = [p for c in validate_paths([config]) for p in c.problems]
    assert [(p.key, p.rule) for p in problems] == [("user-id", "out-of-range"),
                                                   ("memory-limit", "out-of-range")]
    assert '"bad u32"' in problems[0].message and '"bad u64"' in problems[1].message


def test_a_secret_that_is_not_lithos_crypt_output_is_a_warning(tree: Path) -> None:
    config = tree / "config/web.yaml"
    config.write_text(config.read_text() + "secret-environ:\n  KEY: plain\n")
    (checked,) = validate_paths([config])
    (problem,) = checked.problems
    assert (problem.severity, problem.rule) == ("warning", "lithos-secret")
    assert "lithos_check --check-container accepts it" in problem.message


def test_a_relative_runtime_dir_is_a_warning_naming_what_lithos_check_does() -> None:
    from tools.lithos.config import validate_master

    (problem,) = validate_master("runtime-dir: run/lithos\n", "master.yaml")
    assert (problem.severity, problem.rule) == ("warning", "lithos-relative-path")
    assert "lithos_check 0.18.4 accepts" in problem.message


@pytest.mark.parametrize("line", ["workdir: ~", "fileno-limit:", "environ: ~", "arguments: ~"])
def test_an_explicit_null_is_refused_as_quire_refuses_it(line: str) -> None:
    """lithos_check --check-container 0.18.4: "Value must be scalar" (or mapping,
    sequence) for a member written with an empty value or ~."""
    from tools.lithos.config import validate_container

    text = f"kind: Daemon\nexecutable: /bin/true\nuser-id: 1\n{line}\nnormal-exit-codes:\n"
    problems = validate_container(text, "config/web.yaml")
    assert [(p.key, p.rule) for p in problems] == [(line.split(":")[0], "wrong-type")]
