"""``python -m tools lab`` without a running lab: down removes the workstation's files,
commands on a lab that is not there fail clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tools.lab.cli import cli

NAME = f"deploydocs.lab-t{os.getpid()}-cli"
"""A lab that never has containers (its name is reaped with this process if it dies)."""


@pytest.fixture
def own_roots(tmp_path: Path, monkeypatch) -> Path:
    """This test's own state root and scratch root: the machine's labs are not touched."""

    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    return tmp_path


def _scratch_with_files(name: str) -> Path:
    from tools.lab.workstation import scratch_dir

    scratch = scratch_dir(name)
    (scratch / "app" / ".vagga").mkdir(parents=True)
    (scratch / "app" / ".vagga" / "big").write_bytes(b"\0" * 4096)
    return scratch


@pytest.mark.parametrize("backend", ["docker", "qemu"])
def test_down_removes_the_labs_workstation_files_and_says_so(own_roots: Path,
                                                             backend: str) -> None:
    from tools.lab.workstation import scratch_dir

    scratch = _scratch_with_files(NAME)
    neighbour = _scratch_with_files(f"{NAME}x")
    default = _scratch_with_files("deploydocs.lab")
    result = CliRunner().invoke(cli, ["down", "--backend", backend, "--name", NAME])
    assert result.exit_code == 0, result.output
    assert f"removed workstation files {scratch}" in result.output.splitlines()
    assert not scratch.exists()
    assert (neighbour / "app" / ".vagga" / "big").exists()
    assert (default / "app" / ".vagga" / "big").exists()
    again = CliRunner().invoke(cli, ["down", "--backend", backend, "--name", NAME])
    assert again.exit_code == 0 and "workstation files" not in again.output
    assert scratch_dir(NAME) == scratch


def test_docker_down_keeps_what_a_qemu_lab_of_the_same_name_still_uses(own_roots: Path) -> None:
    from tools.lab import state
    from tools.lab.backends.docker import DockerLab

    scratch = _scratch_with_files(NAME)
    qemu_record = state.lab_dir(NAME) / "qemu" / "qemu.json"
    qemu_record.parent.mkdir()
    qemu_record.write_text("{}")
    state.write_record(NAME, {"nodes": {}})
    removed = DockerLab(NAME).down()
    assert not [item for item in removed if "workstation" in item]
    assert scratch.is_dir() and qemu_record.exists()
    assert state.read_record(NAME) == {}  # the docker lab's own record is gone


@pytest.mark.parametrize("command", [["stop", "node1"], ["start", "node1"],
                                     ["exec", "node1", "--", "true"], ["status"]])
def test_commands_on_a_lab_that_is_not_up_fail_with_the_way_to_start_it(
    own_roots: Path, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, [command[0], "--name", NAME, *command[1:]])
    assert result.exit_code == 3, result.output  # the environment: no lab to act on
    assert f"lab {NAME!r} is not up: run `python -m tools lab up`" in result.output


def test_stop_and_start_refuse_a_qemu_lab_that_is_not_up(own_roots: Path) -> None:
    for command in ("stop", "start"):
        result = CliRunner().invoke(cli, [command, "--backend", "qemu", "--name", NAME, "node2"])
        assert result.exit_code == 3, result.output
        assert "(qemu) is not up" in result.output
