"""``validate`` as an operator's CI gate: rule ids, settings, suppression, short options,
and the contracts of its formats on bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.tools.test_validate_cli import run
from tools.rules import RULES

BAD_CONTAINER = "kind: Daemon\nexecutable: /bin/true\nuser-id: 1\nmemory-limt: 1\n"


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config/web.yaml").write_text(BAD_CONTAINER)
    return tmp_path


def test_every_format_names_the_rule(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    text = run("validate", ".", cwd=root)
    assert text.returncode == 1
    assert text.stdout.rstrip().endswith("[unknown-key]")
    document = json.loads(run("validate", "-f", "json", ".", cwd=root).stdout)
    assert [p["rule"] for p in document["problems"]] == ["unknown-key"]
    sarif = json.loads(run("validate", "-f", "sarif", ".", cwd=root).stdout)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "unknown-key"
    assert sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "unknown-key"
    assert "title=unknown-key" in run("validate", "-f", "github", ".", cwd=root).stdout
    assert "[unknown-key]" in run("validate", "-f", "junit", ".", cwd=root).stdout


def test_list_rules_names_every_rule_and_its_home() -> None:
    listed = run("validate", "--list-rules")
    assert listed.returncode == 0
    for rule in RULES.values():
        assert f"{rule.id} " in listed.stdout and rule.home in listed.stdout


def test_inline_ignore_settings_and_option_silence_a_rule(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    assert run("validate", "--ignore", "unknown-key", ".", cwd=root).returncode == 0
    assert run("validate", "--ignore", "no-such", ".", cwd=root).returncode == 2
    (root / "config/web.yaml").write_text(
        BAD_CONTAINER.replace("1\n", "1  # deploydocs-tools: ignore[unknown-key]\n"))
    assert run("validate", ".", cwd=root).returncode == 0
    (root / "config/web.yaml").write_text(BAD_CONTAINER)
    (root / "pyproject.toml").write_text(
        '[tool.deploydocs-tools.validate]\nignore = ["unknown-key"]\n')
    assert run("validate", ".", cwd=root).returncode == 0
    (root / "pyproject.toml").write_text('[tool.deploydocs-tools.validate]\nstrict = "yes"\n')
    refused = run("validate", ".", cwd=root)
    assert refused.returncode == 2
    assert "pyproject.toml:2: tool.deploydocs-tools.validate.strict" in refused.stderr


def test_strict_and_no_warnings(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "config/web.yaml").write_text("executable: bin/app\n")
    loose = run("validate", ".", cwd=root)
    assert loose.returncode == 0 and "(warning)" in loose.stdout
    assert run("validate", "-s", ".", cwd=root).returncode == 1
    quiet = run("validate", "--no-warnings", "-s", ".", cwd=root)
    assert (quiet.returncode, quiet.stdout) == (0, "")


def test_exclude_and_gitignore_leave_files_out(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "build/config").mkdir(parents=True)
    (root / "build/config/web.yaml").write_text(BAD_CONTAINER)
    (root / ".gitignore").write_text("build/\n")
    assert "build" not in run("validate", ".", cwd=root).stdout
    assert run("validate", "--exclude", "config/", ".", cwd=root).returncode == 0


def test_sarif_for_a_missing_path_is_a_failed_invocation(tmp_path: Path) -> None:
    outcome = run("validate", "--format", "sarif", "nonexist", cwd=tmp_path)
    assert outcome.returncode == 2
    invocation = json.loads(outcome.stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "nonexist" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_a_fifo_and_a_loop_neither_hang_nor_crash(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    os.mkfifo(root / "config/pipe.yaml")
    os.symlink("..", root / "loop")
    outcome = run("validate", ".", cwd=root)
    assert outcome.returncode == 1
    assert "config/pipe.yaml: skipped: a FIFO" in outcome.stderr
    assert "loop: skipped: a symbolic link out of the tree" in outcome.stderr
    named = run("validate", "--kind", "lithos-container", "config/pipe.yaml", cwd=root)
    assert named.returncode == 0 and "FIFO" in named.stderr


def test_a_unit_quire_does_not_know_gets_a_hint(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "config/web.yaml").write_text("kind: Daemon\nexecutable: /bin/true\n"
                                          "memory-limit: 256MB\n")
    assert "e.g. 256Mi" in run("validate", ".", cwd=root).stdout


def test_help_names_the_tool_versions_and_exit_codes_agree() -> None:
    from click.testing import CliRunner

    from tools.cli import main

    shown = CliRunner().invoke(main, ["validate", "--help"]).stdout
    assert "lithos 0.18.4, vagga 0.8.1, verwalter 0.13.4" in " ".join(shown.split())
    top = " ".join(CliRunner().invoke(main, ["--help"]).stdout.split())
    assert "a file `validate` checks and finds wrong is 1" in top


def test_hosts_toml_is_documented_with_an_example_of_every_key() -> None:
    import re
    import tomllib

    from tools.inventory import KNOWN_KEYS

    page = (Path(__file__).parents[3] / "reference/hosts.rst").read_text()
    block = page.split("::\n\n", 1)[1].split("\n\nEvery host", 1)[0]
    example = tomllib.loads("\n".join(line[3:] for line in block.splitlines()))
    written = {key for host in example["host"] for key in host}
    commented = set(re.findall(r"# (\w+) = ", block))
    assert written | commented == KNOWN_KEYS
