"""``python -m tools validate``: kinds, output lines, exit codes, cross-file checks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.commands import lithos as lithos_command
from tools.commands import vagga as vagga_command
from tools.commands import validate as validate_command
from tools.lithos.generate import DjangoParams, generate_files, write_files
from tools.validate import UsageError, guess_kind, validate_path
from tools.verwalter.tree import scaffold_tree

LINE_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<key>[^:]+): (?P<message>.+)$")


@dataclass
class Outcome:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


COMMANDS = {"validate": validate_command.cli, "lithos": lithos_command.cli,
            "vagga": vagga_command.cli}


def run(*args: str, cwd: Path | None = None) -> Outcome:
    """Run ``python -m tools ARGS`` in this process (click's test runner), calling the
    command module directly so other commands' modules don't matter here."""
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        command = COMMANDS[args[0]]
        rest = list(args[1:])
        result = CliRunner().invoke(command, rest, catch_exceptions=False,
                                    prog_name=f"python -m tools {args[0]}")
    finally:
        os.chdir(previous)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_the_real_entry_point_exits_with_the_documented_codes(tmp_path: Path) -> None:
    path = tmp_path / "master.yaml"
    path.write_text("syslog-name: x\n")
    result = subprocess.run([sys.executable, "-m", "tools", "validate", str(path)],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.count("\n")) == (1, 1)
    result = subprocess.run([sys.executable, "-m", "tools", "validate", "--kind", "x", "y"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """Generated lithos configs, a vagga.yaml and a verwalter tree under tmp_path."""
    write_files(tmp_path / "lithos", generate_files(DjangoParams(image="django-deploy.01234567")))
    from tools.vagga import write_vagga

    write_vagga(tmp_path)
    scaffold_tree(tmp_path / "verwalter", image="django-deploy.01234567")
    return tmp_path


@pytest.mark.parametrize(("path", "kind"), [
    ("etc/lithos/master.yaml", "lithos-master"),
    ("lithos.master.yaml", "lithos-master"),
    ("etc/lithos/sandboxes/django.yaml", "lithos-sandbox"),
    ("etc/lithos/processes/django.yaml", "lithos-process"),
    ("app/config/web.yaml", "lithos-container"),
    ("project/vagga.yaml", "vagga"),
    ("notes.yaml", None),
    ("config/web.json", None),
])
def test_kinds_are_guessed_from_the_path(path: str, kind: str | None) -> None:
    assert guess_kind(Path(path)) == kind


def test_a_directory_with_scheduler_or_templates_is_a_verwalter_tree(layout: Path) -> None:
    assert guess_kind(layout / "verwalter") == "verwalter-tree"
    assert guess_kind(layout / "lithos") is None


def test_everything_generated_validates_with_exit_0(layout: Path) -> None:
    paths = [str(p) for p in sorted(layout.rglob("*.yaml"))
             if "verwalter" not in p.parts]
    result = run("validate", *paths, str(layout / "verwalter"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


INVALID = {
    "lithos-master": ("etc/master.yaml", "syslog-name: lithos\n",
                      "1: syslog-name: unknown key (did you mean 'syslog-app-name'?)"),
    "lithos-sandbox": ("etc/sandboxes/django.yaml",
                       "allow-users: []\nallow-groups: [1]\ndefault-group: 1\n",
                       "1: allow-users: must not be empty (lithos_check: no allowed users "
                       "range)"),
    "lithos-process": ("etc/processes/django.yaml", "web:\n  image: a.1\n  config: c.yaml\n",
                       "3: web.config: must be an absolute path inside the image"),
    "lithos-container": ("app/config/web.yaml", "executable: /bin/app\nkill-timeout: 0.5\n",
                         '2: kill-timeout: not an integer: "0.5" (floats are not accepted '
                         'here)'),
    "vagga": ("vagga.yaml", "containers:\n  a:\n    setup:\n    - !EnsureDir app\n",
              "4: containers.a.setup[0]: must be an absolute path, got 'app'"),
}


@pytest.mark.parametrize("kind", INVALID)
def test_an_invalid_file_prints_file_line_key_message_and_exits_1(tmp_path: Path,
                                                                   kind: str) -> None:
    relative, text, expected = INVALID[kind]
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    for args in ((str(path),), ("--kind", kind, str(path))):
        result = run("validate", *args)
        assert result.returncode == 1
        assert result.stdout.splitlines() == [f"{path}:{expected}"]
        assert LINE_RE.match(result.stdout.splitlines()[0])


def test_an_invalid_verwalter_tree_exits_1(layout: Path) -> None:
    tree = layout / "verwalter"
    (tree / "templates/django/v1/lithos.render.yaml").write_text(
        "templates: {processes: lithos.yaml.hbs}\ncommands:\n"
        "- !Copy {src: '{{ files.processes }}', target: /etc/x}\n")
    result = run("validate", str(tree))
    assert result.returncode == 1
    render = tree / "templates/django/v1/lithos.render.yaml"
    assert result.stdout.splitlines() == [
        f"{render}:3: commands[0].dest: is required",
        f"{render}:3: commands[0].target: unknown key"]


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    first = tmp_path / "config/a.yaml"
    first.write_text("kind: Service\nworkdir: [x]\n")
    second = tmp_path / "master.yaml"
    second.write_text("runtime-dir: run\n")
    result = run("validate", str(first), str(second))
    assert result.returncode == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        f"{first}:1", f"{first}:1", f"{first}:2", f"{second}:1"]


def test_json_output_is_a_list_of_problems(tmp_path: Path) -> None:
    path = tmp_path / "master.yaml"
    path.write_text("log-level: [x]\n")
    result = run("validate", "--json", str(path))
    assert result.returncode == 1
    assert json.loads(result.stdout) == [{"file": str(path), "line": 1, "key": "log-level",
                                          "message": "must be a scalar, not a list",
                                          "severity": "error"}]


def test_warnings_are_printed_but_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "config" / "web.yaml"
    path.parent.mkdir()
    path.write_text("executable: bin/app\n")
    result = run("validate", str(path))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("(warning)")


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "lithos", "x.yaml"), "error: unknown kind 'lithos'"),
    (("notes.txt",), "error: notes.txt: no such file or directory"),
    ((), "error: give at least one PATH"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...],
                                           message: str) -> None:
    result = run("validate", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


def test_an_unguessable_file_asks_for_kind(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    result = run("validate", "notes.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("error: notes.yaml: cannot guess what this is; pass --kind (one of "
                             "lithos-master, lithos-sandbox, lithos-process, lithos-container, "
                             "vagga, verwalter-tree)\n")


def test_a_process_file_is_checked_against_its_neighbour_sandbox(layout: Path) -> None:
    process = layout / "lithos/processes/django.yaml"
    process.write_text("web:\n  image: django/v1\n  config: /config/web.yaml\n")
    result = run("validate", str(process))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{process}:1: web.image: has 2 path component(s) but the "
                                    "sandbox has image-dir-levels: 1")


def test_sandbox_option_cross_checks_a_container(layout: Path, tmp_path: Path) -> None:
    container = layout / "lithos/config/web.yaml"
    other = tmp_path / "other.yaml"
    other.write_text("allow-users: [1]\nallow-groups: [1]\nallow-tcp-ports: [9000]\n")
    assert run("validate", str(container)).returncode == 0
    result = run("validate", "--sandbox", str(other), str(container))
    assert result.returncode == 1
    assert "tcp-ports.8000: port 8000 is not in the sandbox's allow-tcp-ports" in result.stdout


def test_the_python_api_returns_problems_and_raises_usage_errors(layout: Path) -> None:
    assert validate_path(layout / "vagga.yaml") == []
    assert validate_path(layout / "verwalter", "verwalter-tree") == []
    with pytest.raises(UsageError):
        validate_path(layout / "vagga.yaml", "cantal")
    with pytest.raises(UsageError):
        validate_path(layout / "missing.yaml")
    with pytest.raises(UsageError):
        validate_path(layout / "verwalter", "lithos-master")


@pytest.mark.parametrize("command", [
    ("validate",), ("lithos",), ("lithos", "generate"), ("lithos", "unit"), ("lithos", "check"),
    ("vagga",), ("vagga", "write"), ("vagga", "explain-name"), ("vagga", "check-deploy"),
])
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout
