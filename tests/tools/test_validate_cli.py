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
                      "1: syslog-name: unknown key (did you mean 'syslog-app-name'?) "
                      "[unknown-key]"),
    "lithos-sandbox": ("etc/sandboxes/django.yaml",
                       "allow-users: []\nallow-groups: [1]\ndefault-group: 1\n",
                       "1: allow-users: must not be empty (lithos_check: no allowed users "
                       "range) [lithos-config]"),
    "lithos-process": ("etc/processes/django.yaml", "web:\n  image: a.1\n  config: c.yaml\n",
                       "3: web.config: must be an absolute path inside the image "
                       "[lithos-config]"),
    "lithos-container": ("app/config/web.yaml", "executable: /bin/app\nkill-timeout: 0.5\n",
                         '2: kill-timeout: not an integer: "0.5" (floats are not accepted '
                         'here) [not-integer]'),
    "vagga": ("vagga.yaml", "containers:\n  a:\n    setup:\n    - !EnsureDir app\n",
              "4: containers.a.setup[0]: must be an absolute path, got 'app' [bad-value]"),
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
        f"{render}:3: commands[0].dest: is required [required-key]",
        f"{render}:3: commands[0].target: unknown key [unknown-key]"]


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
                                          "severity": "error", "rule": "wrong-type"}]


def test_warnings_are_printed_but_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "config" / "web.yaml"
    path.parent.mkdir()
    path.write_text("executable: bin/app\n")
    result = run("validate", str(path))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("(warning) [lithos-config]")


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


# --------------------------------------------------------------------------- paths and formats

GOOD_VAGGA = "containers:\n  app:\n    setup:\n    - !Ubuntu jammy\n"
BAD_VAGGA = "containers:\n  app:\n    setup:\n    - !Ubunt jammy\n"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A directory of one good and one bad vagga file, a lithos container config with a
    warning, a file of no known kind and a hidden directory."""
    root = tmp_path / "project"
    (root / "good").mkdir(parents=True)
    (root / "good/vagga.yaml").write_text(GOOD_VAGGA)
    (root / "bad").mkdir()
    (root / "bad/vagga.yaml").write_text(BAD_VAGGA)
    (root / "app/config").mkdir(parents=True)
    (root / "app/config/web.yaml").write_text("executable: bin/app\n")
    (root / "notes.txt").write_text("hello\n")
    (root / ".git").mkdir()
    (root / ".git/config.yaml").write_text("not: checked\n")
    return root


def test_a_directory_is_searched_and_unknown_files_are_skipped_not_fatal(mixed: Path) -> None:
    result = run("validate", str(mixed))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{mixed}/app/config/web.yaml:1: executable: should be an absolute path (lithos "
        "0.18.4 does not check it) (warning) [lithos-config]",
        f"{mixed}/bad/vagga.yaml:4:7: containers.app.setup[0]: unknown tag !Ubunt (did you "
        "mean !Ubuntu or !UbuntuPPA?) [unknown-tag]"]
    assert result.stderr.splitlines() == [
        f"{mixed}/notes.txt: skipped: unknown kind",
        "3 files checked: 1 error, 1 warning; 1 skipped"]


def test_quiet_prints_the_problems_only(mixed: Path) -> None:
    result = run("validate", "-q", str(mixed))
    assert result.returncode == 1 and result.stderr == ""
    assert len(result.stdout.splitlines()) == 2


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    path = tmp_path / "config/web.yaml"
    path.parent.mkdir()
    path.write_text("executable: bin/app\n")
    assert run("validate", str(path)).returncode == 0
    assert run("validate", "--strict", str(path)).returncode == 1


def test_a_clean_run_prints_nothing_on_either_stream(layout: Path) -> None:
    result = run("validate", str(layout / "verwalter"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    result = run("validate", "--summary", str(layout / "verwalter"))
    assert (result.stdout, result.stderr) == ("", "1 verwalter tree checked: 0 errors, "
                                              "0 warnings\n")


def test_a_clean_tree_then_echo_prints_exactly_what_the_tutorial_shows(layout: Path) -> None:
    command = (f"{sys.executable} -m tools validate {layout / 'verwalter'} "
               '&& echo "tree ok"')
    result = subprocess.run(command, shell=True, capture_output=True, text=True, check=False,
                            cwd=Path(__file__).resolve().parents[2])
    assert (result.returncode, result.stdout + result.stderr) == (0, "tree ok\n")


@pytest.mark.parametrize(("kind", "expected_kind"), [(None, "vagga"), ("vagga", "vagga")])
def test_stdin_is_read_with_the_kind_given_or_told_from_the_content(
        kind: str | None, expected_kind: str) -> None:
    args = [*(["--kind", kind] if kind else []), "--format", "json", "-"]
    result = CliRunner().invoke(validate_command.cli, args, input=BAD_VAGGA)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["files"] == [{"path": "<stdin>", "kind": expected_kind,
                                  "status": "failed"}]
    assert [(p["file"], p["line"], p["column"]) for p in document["problems"]] == [
        ("<stdin>", 4, 7)]


def test_stdin_of_no_known_kind_asks_for_kind() -> None:
    result = CliRunner().invoke(validate_command.cli, ["-"], input="a: 1\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: -: cannot tell what standard input holds; "
                                    "pass --kind")


def test_github_format_is_workflow_commands(mixed: Path) -> None:
    result = run("validate", "--format", "github", str(mixed))
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [
        f"::warning file={mixed}/app/config/web.yaml,line=1,title=lithos-config::"
        "executable: should be an absolute path (lithos 0.18.4 does not check it)",
        f"::error file={mixed}/bad/vagga.yaml,line=4,col=7,title=unknown-tag::"
        "containers.app.setup[0]: unknown tag !Ubunt (did you mean !Ubuntu or !UbuntuPPA?)",
        f"::notice file={mixed}/notes.txt::skipped: unknown kind"]
    assert "::notice" not in run("validate", "-q", "--format", "github", str(mixed)).stdout


def test_github_format_escapes_what_would_break_a_command() -> None:
    assert validate_command.github_command("error", "50%\nnext", file="a:b,c", line=2) == (
        "::error file=a%3Ab%2Cc,line=2::50%25%0Anext")


def test_sarif_format_is_a_minimal_valid_2_1_0_log(mixed: Path) -> None:
    result = run("validate", "--format", "sarif", str(mixed))
    assert result.returncode == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "deploydocs-validate"
    assert [r["id"] for r in driver["rules"]] == ["lithos-config", "unknown-tag"]
    results = sarif_run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("lithos-config", "warning"),
                                                            ("unknown-tag", "error")]
    assert [r["properties"]["kind"] for r in results] == ["lithos-container", "vagga"]
    for item in results:
        assert driver["rules"][item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["message"]["text"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith(".yaml")
        assert location["region"]["startLine"] >= 1
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 7}
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["skipped: unknown kind"]


def test_junit_format_has_one_testcase_per_file(mixed: Path) -> None:
    import xml.etree.ElementTree as ET

    result = run("validate", "--format", "junit", str(mixed))
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert sorted(cases) == sorted(str(mixed / p) for p in (
        "app/config/web.yaml", "bad/vagga.yaml", "good/vagga.yaml", "notes.txt"))
    bad = cases[str(mixed / "bad/vagga.yaml")]
    failure = bad.find("failure")
    assert failure is not None and "4:7: containers.app.setup[0]" in (failure.text or "")
    assert cases[str(mixed / "notes.txt")].find("skipped") is not None
    assert list(cases[str(mixed / "good/vagga.yaml")]) == []
    strict = ET.fromstring(run("validate", "--strict", "--format", "junit", str(mixed)).stdout)
    assert strict.find("testsuite").get("failures") == "2"  # type: ignore[union-attr]


def test_json_format_is_one_object_with_files_problems_and_counts(mixed: Path) -> None:
    result = run("validate", "--format", "json", str(mixed))
    assert result.returncode == 1 and result.stderr == ""
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [(Path(f["path"]).name, f["status"]) for f in document["files"]] == [
        ("web.yaml", "warnings"), ("vagga.yaml", "failed"), ("vagga.yaml", "ok"),
        ("notes.txt", "skipped")]
    assert document["summary"] == {"checked": 3, "errors": 1, "warnings": 1, "skipped": 1}


@pytest.mark.parametrize("args", [
    ("--kind", "lithos", "x.yaml"), ("missing.yaml",), (), ("--format", "yaml", "x"),
    ("--bogus", "x"),
])
def test_bad_input_exits_2_with_a_json_error_object_under_format_json(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run("validate", "--format", "json", *args, cwd=tmp_path)
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert error["ok"] is False and error["error"]["exit_code"] == 2
    assert error["error"]["message"]


def test_bad_flags_exit_2_in_text_format_too() -> None:
    assert run("validate", "--format", "yaml", "x").returncode == 2


def test_help_documents_the_exit_codes_and_formats() -> None:
    text = " ".join(run("validate", "--help").stdout.split())
    for words in ("0 every file is valid", "1 a file is invalid", "2 bad input",
                  "text|json|github|sarif|junit", "--strict", "--quiet"):
        assert words in text


def test_a_broken_sandbox_in_a_checked_directory_is_reported_once(tmp_path: Path) -> None:
    """The process config is cross-checked with its sandbox; the sandbox's own check
    already reports its YAML error, so the process check must not repeat it."""
    from tools.validate import validate_paths

    write_files(tmp_path / "lithos", generate_files(DjangoParams()))
    sandbox = tmp_path / "lithos" / "sandboxes" / "django.yaml"
    sandbox.write_text("not: [closed\n")
    results = validate_paths([tmp_path / "lithos"])
    problems = [(item.kind, p.file) for item in results for p in item.problems]
    assert problems == [("lithos-sandbox", str(sandbox))]
    # Checked on its own, the process config still reports its sandbox's error.
    process = tmp_path / "lithos" / "processes" / "django.yaml"
    alone = validate_paths([process])
    assert [p.file for item in alone for p in item.problems] == [str(sandbox)]
