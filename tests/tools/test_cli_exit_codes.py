"""One exit-code table for every command of ``python -m tools`` (:mod:`tools.errors`).

Each condition of the table is run through at least one command of every group where it
can happen, via click's runner on the real entry point (:func:`tools.cli.main`); the
``docker`` library missing is run in a fresh interpreter where it cannot be imported.
No test here needs a lab, a Docker daemon or a machine that answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.tools.unreachable import free_port, write_unreachable_inventory
from tests.tools.verwalter.test_render_check import tutorial_tree
from tools.cli import main
from tools.errors import NO_TARGET, ExitCode
from tools.lithos.generate import DjangoParams, generate_files
from tools.verwalter import schedule as sched

LAB_ENV = ("DEPLOYDOCS_INVENTORY", "DEPLOYDOCS_LAB_BACKEND", "DEPLOYDOCS_LAB_NAME")
"""What names a machine command's target from the environment (cleared for each test)."""
NO_SUCH_LAB = f"deploydocs.lab-t{os.getpid()}-codes"
"""A lab that is never up."""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with every input the cases below name, and the current directory.

    The environment names no target, and the lab state is this test's own.
    """
    for name in LAB_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    write_unreachable_inventory(tmp_path / "machines")
    (tmp_path / "image").mkdir()
    (tmp_path / "image" / "app.txt").write_text("an image\n")
    (tmp_path / "bad.yaml").write_text("daemons: [\n")
    (tmp_path / "m.meta").write_text('counter 8: {"a": "b"}\ncounter eight: {}\n')
    (tmp_path / "m.values").write_bytes(b"\0" * 8)
    (tmp_path / "empty-root").mkdir()
    (tmp_path / "invalid" / "master.yaml").parent.mkdir()
    (tmp_path / "invalid" / "master.yaml").write_text("syslog-name: x\n")
    for relative, text in generate_files(DjangoParams()).items():
        (tmp_path / "lithos" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "lithos" / relative).write_text(text)
    (tmp_path / "edited" / "master.yaml").parent.mkdir()
    (tmp_path / "edited" / "master.yaml").write_text("# edited by hand\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "vagga.yaml").write_text("# edited by hand\n")
    (tmp_path / "tree" / "templates").mkdir(parents=True)
    (tmp_path / "no-roles.json").write_text('{"nodes": {}}\n')
    (tmp_path / "no-bin").mkdir()
    tree = tutorial_tree(tmp_path / "tutorial")
    schedule = sched.preview(tree, current_host="node1", peers={}).schedule
    (tmp_path / "schedule.json").write_text(json.dumps(schedule))
    return tmp_path


@dataclass(frozen=True)
class Case:
    """One command line and the exit code the table gives it."""

    group: str
    args: tuple[str, ...]
    code: ExitCode

    def argv(self, work: Path) -> list[str]:
        """The command line, ``{w}`` being the work directory, ``{port}`` a free port."""
        return [self.group, *(arg.format(w=work, port=free_port()) for arg in self.args)]


INVENTORY = ("--inventory", "{w}/machines/inventory.toml")
OK, FAILED, BAD, ENV = (ExitCode.OK, ExitCode.FAILED, ExitCode.BAD_INPUT,
                        ExitCode.ENVIRONMENT)
CASES = [
    # 0: done
    Case("cantal", ("argv",), OK),
    Case("deploy", ("publish", "hello", "v1", "--image", "hello.1", "--config", "/config/h.yaml",
                    "--local-root", "{w}/node"), OK),
    Case("images", ("pack", "{w}/image", "{w}/image.tar.gz", "--compression", "gz"), OK),
    Case("lab", ("down", "--backend", "qemu", "--name", NO_SUCH_LAB), OK),
    Case("lithos", ("unit",), OK),
    Case("machine-id", ("generate",), OK),
    Case("vagga", ("explain-name", "hello-deploy", "0123abcd"), OK),
    Case("validate", ("{w}/lithos",), OK),
    Case("verwalter", ("schedule-preview", "{w}/tutorial/verwalter", "--current-host", "node1"),
         OK),
    # 1: the thing checked is wrong
    Case("cantal", ("metrics", "{w}/m"), FAILED),
    Case("deploy", ("status", "hello", "--image", "hello.2", "--local-root", "{w}/node",
                    "--deadline", "0.1"), FAILED),
    Case("images", ("push", "{w}/image", "--name", "app.1", "--image-dir", "/proc/no/images",
                    "--local"), FAILED),
    Case("lithos", ("generate", "--out", "{w}/edited"), FAILED),
    Case("machine-id", ("check", "--root", "{w}/empty-root"), FAILED),
    Case("vagga", ("write", "--out", "{w}/project"), FAILED),
    Case("validate", ("{w}/invalid/master.yaml",), FAILED),
    Case("verwalter", ("render", "{w}/tree", "--schedule", "{w}/no-roles.json", "--node", "x"),
         FAILED),
    # 2: bad input, no target
    Case("cantal", ("metrics", "{w}/gone"), BAD),
    Case("deploy", ("publish", "hello", "v1", "--file", "{w}/bad.yaml", "--local-root", "{w}/n"),
         BAD),
    Case("deploy", ("status", "hello", "--image", "hello.2"), BAD),
    Case("images", ("list", "--image-dir", "/var/lib/lithos/images/hello"), BAD),
    Case("images", ("prune", "--image-dir", "/var/lib/lithos/images/hello", "--keep", "-1",
                    "--local"), BAD),
    Case("lab", ("exec", *INVENTORY, "node9", "--", "true"), BAD),
    Case("lithos", ("generate", "--out", "{w}/out", "--sandbox", "no spaces"), BAD),
    Case("machine-id", ("check-cluster",), BAD),
    Case("machine-id", ("fix", "--dry-run"), BAD),
    Case("vagga", ("explain-name", ".hidden", "0123abcd"), BAD),
    Case("validate", ("{w}/gone.yaml",), BAD),
    Case("verwalter", ("schedule-preview", "{w}/gone"), BAD),
    # 3: the environment
    Case("cantal", ("peers", "--agent", "http://127.0.0.1:{port}"), ENV),
    Case("deploy", ("publish", "hello", "v1", "--image", "hello.1", "--config", "/config/h.yaml",
                    *INVENTORY), ENV),
    Case("deploy", ("status", "hello", "--image", "hello.1", *INVENTORY), ENV),
    Case("images", ("push", "{w}/image", "--name", "app.1", "--image-dir", "/srv/images",
                    *INVENTORY), ENV),
    Case("images", ("list", "--image-dir", "/srv/images", *INVENTORY), ENV),
    Case("images", ("prune", "--image-dir", "/srv/images", "--keep", "1", "--dry-run",
                    *INVENTORY), ENV),
    Case("lab", ("status", *INVENTORY), ENV),
    Case("lab", ("status", "--backend", "qemu", "--name", NO_SUCH_LAB), ENV),
    Case("lithos", ("check", "--bin-dir", "{w}/no-bin", "--check-container", "{w}/c.yaml"), ENV),
    Case("machine-id", ("check-cluster", *INVENTORY), ENV),
    Case("machine-id", ("fix", "--dry-run", *INVENTORY), ENV),
    Case("verwalter", ("render-check", "{w}/tutorial/verwalter", "--schedule",
                       "{w}/schedule.json", "--node", "node1",
                       "--verwalter-render", "{w}/no-bin/verwalter_render"), ENV),
]


def run(argv: list[str], env: dict[str, str] | None = None) -> Result:
    """``python -m tools ARGV`` through click's runner (stdout and stderr apart)."""
    return CliRunner().invoke(main, argv, env=env, prog_name="python -m tools")


def test_every_group_meets_every_condition_it_can() -> None:
    """0, 1, 2 in every group (no lab here for the lab's 1); 3 wherever a machine, an agent
    or a binary is needed (vagga and validate need none)."""
    groups = {case.group for case in CASES}
    for code in ExitCode:
        covered = {case.group for case in CASES if case.code == code}
        expected = {
            OK: groups, FAILED: groups - {"lab"}, BAD: groups,
            ENV: groups - {"vagga", "validate"},
        }[code]
        assert covered == expected, code


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{int(c.code)}-{c.group}-{c.args[0]}")
def test_each_condition_exits_with_its_code(work: Path, case: Case) -> None:
    result = run(case.argv(work))
    assert result.exit_code == case.code, result.output
    if case.code in (BAD, ENV):
        assert result.stderr, "an error says what is wrong"
    if case.code == ENV:  # an environment error is one line (and a hint), no usage banner
        assert result.stderr.startswith("error: "), result.stderr
        assert "Usage:" not in result.output
        assert len(result.stderr.splitlines()) <= 2, result.stderr


MACHINE_COMMANDS = [
    ("images", "push", "{w}/image", "--name", "app.1", "--image-dir", "/srv/images"),
    ("images", "list", "--image-dir", "/srv/images"),
    ("images", "prune", "--image-dir", "/srv/images", "--keep", "1"),
    ("machine-id", "check-cluster"),
    ("machine-id", "fix"),
    ("deploy", "publish", "hello", "v1", "--image", "hello.1", "--config", "/config/h.yaml"),
    ("deploy", "status", "hello", "--image", "hello.1"),
]
"""Every command that acts on a target's machines, without one."""


@pytest.mark.parametrize("args", MACHINE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_machine_command_without_a_target_says_what_to_pass_and_exits_2(
        work: Path, args: tuple[str, ...]) -> None:
    result = run([arg.format(w=work) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {NO_TARGET}\n"
    assert result.stdout == ""


def test_the_workstations_variables_name_the_lab_a_tutorial_command_acts_on(
        work: Path) -> None:
    """Inside the lab's workstation the tutorial runs machine commands without --backend:
    DEPLOYDOCS_LAB_BACKEND and DEPLOYDOCS_LAB_NAME name their lab (not up here: exit 3)."""
    env = {"DEPLOYDOCS_LAB_BACKEND": "qemu", "DEPLOYDOCS_LAB_NAME": NO_SUCH_LAB}
    for args in (["machine-id", "check-cluster"],
                 ["images", "push", f"{work}/image", "--name", "a.1", "--image-dir", "/srv/i"],
                 ["deploy", "publish", "hello", "v1", "--image", "a.1", "--config", "/c.yaml"]):
        result = run(args, env=env)
        assert result.exit_code == 3, result.output
        assert f"error: lab {NO_SUCH_LAB!r} (qemu) is not up" in result.stderr


def test_targets_from_the_environment_and_the_current_directory(work: Path) -> None:
    inventory = work / "machines" / "inventory.toml"
    by_env = run(["machine-id", "check-cluster"], env={"DEPLOYDOCS_INVENTORY": str(inventory)})
    assert by_env.exit_code == 3 and "cannot reach node1, node2" in by_env.stderr
    (work / "hosts.toml").write_text(inventory.read_text())
    (work / "key").write_text("")
    here = run(["images", "list", "--image-dir", "/srv/images"])
    assert here.exit_code == 3 and f"each host in {work}/hosts.toml" in here.stderr, here.stderr


def test_an_unreachable_host_is_named_with_what_ssh_said(work: Path) -> None:
    result = run(["machine-id", "check-cluster", *INVENTORY[:1],
                  f"{work}/machines/inventory.toml"])
    assert result.exit_code == 3
    first, hint = result.stderr.splitlines()
    assert first.startswith("error: cannot reach node1, node2 (node1: ")
    assert "Connection refused" in first and "node2.deploydocs.invalid" in first
    assert hint.startswith("hint: check the address, port, user and key of each host")


JSON_CASES = [
    Case("machine-id", ("check-cluster", "--json"), BAD),
    Case("machine-id", ("check-cluster", "--json", *INVENTORY), ENV),
    Case("images", ("list", "--image-dir", "/srv/images", "--json", *INVENTORY), ENV),
    Case("deploy", ("status", "hello", "--image", "hello.1", "--json", *INVENTORY), ENV),
    Case("deploy", ("publish", "hello", "v1", "--file", "{w}/bad.yaml", "--local-root",
                    "{w}/n", "--json"), BAD),
    Case("lab", ("status", "--json", *INVENTORY), ENV),
    Case("cantal", ("peers", "--json", "--agent", "http://127.0.0.1:{port}"), ENV),
    Case("lithos", ("check", "--json", "--bin-dir", "{w}/no-bin"), ENV),
    Case("verwalter", ("render", "{w}/tree", "--schedule", "{w}/no-roles.json", "--node", "x",
                       "--json"), FAILED),
    Case("validate", ("--json", "{w}/gone.yaml"), BAD),
]


@pytest.mark.parametrize("case", JSON_CASES, ids=lambda c: f"{int(c.code)}-{c.group}-{c.args[0]}")
def test_with_json_an_error_is_one_json_object_on_stdout(work: Path, case: Case) -> None:
    result = run(case.argv(work))
    assert result.exit_code == case.code, result.output
    document = json.loads(result.stdout)  # the whole of stdout: one object
    assert document["ok"] is False
    assert document["error"]["exit_code"] == case.code
    assert document["error"]["kind"] and document["error"]["message"]


def test_with_json_a_usage_error_of_the_command_is_json_too(work: Path) -> None:
    result = run(["deploy", "publish", "hello", "v1", "--local-root", f"{work}/n", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "kind": "usage", "message": "give --file, or --image and --config", "exit_code": 2}


def test_real_usage_errors_keep_the_usage_banner(work: Path) -> None:
    result = run(["deploy", "publish", "hello", "v1", "--local-root", f"{work}/n"])
    assert result.exit_code == 2
    assert "Usage: python -m tools deploy publish" in result.stderr
    assert run(["images", "list", "--bogus"]).exit_code == 2


def test_no_docker_daemon_is_an_environment_error_saying_what_to_pass(work: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{work}/no-docker.sock"}
    for args in (["machine-id", "check-cluster", "--backend", "docker"],
                 ["lab", "status", "--name", NO_SUCH_LAB]):
        result = run(args, env=env)
        assert result.exit_code == 3, result.output
        assert result.stderr.startswith("error: cannot reach the Docker daemon")
        assert "--backend ssh --inventory FILE" in result.stderr
        assert "Usage:" not in result.output


WITHOUT_DOCKER = """
import sys
sys.modules["docker"] = None  # as if the docker library were not installed
from tools.cli import main
main(sys.argv[1:], prog_name="python -m tools")
"""


def without_docker(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m tools ARGS`` in a fresh interpreter that cannot import ``docker``."""
    env = {k: v for k, v in os.environ.items() if k not in LAB_ENV}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run([sys.executable, "-c", WITHOUT_DOCKER, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def test_lab_status_of_an_inventory_needs_no_docker_library(work: Path) -> None:
    result = without_docker("lab", "status", *INVENTORY[:1],
                            str(work / "machines" / "inventory.toml"), cwd=work)
    assert result.returncode == 3, result.stderr
    assert "ModuleNotFoundError" not in result.stderr
    assert "unreachable" in result.stdout  # the table names the hosts that did not answer
    assert result.stderr.startswith("error: cannot reach node1, node2")


@pytest.mark.parametrize("args", [("lab", "status"),
                                  ("machine-id", "check-cluster", "--backend", "docker"),
                                  ("images", "list", "--image-dir", "/x", "--backend", "docker")])
def test_the_docker_library_missing_is_an_environment_error(work: Path,
                                                            args: tuple[str, ...]) -> None:
    result = without_docker(*args, cwd=work)
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[0] == (
        "error: the docker library is missing: pip install 'deploydocs-tools[lab]'")
    assert "Traceback" not in result.stderr
