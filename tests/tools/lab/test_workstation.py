"""The workstation host of a named lab: its own scratch directory, and a way to reach that lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.lab.lab import Lab
from tools.lab.workstation import Workstation


def test_the_default_labs_workstation_names_its_lab_and_backend(tmp_path: Path) -> None:
    """Machine commands there reach their lab only through these (never an implicit lab)."""
    env = Workstation(tmp_path).environment()
    assert env["DEPLOYDOCS_LAB_NAME"] == "deploydocs.lab"
    assert env["DEPLOYDOCS_LAB_BACKEND"] == "docker"
    assert "DEPLOYDOCS_INVENTORY" not in env


def test_an_ssh_labs_workstation_exports_its_inventory(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.toml"
    env = Workstation(tmp_path / "scratch", backend="ssh", inventory=inventory).environment()
    assert env["DEPLOYDOCS_INVENTORY"] == str(inventory.resolve())
    assert env["DEPLOYDOCS_LAB_BACKEND"] == "ssh"


def test_a_named_labs_workstation_exports_the_name(tmp_path: Path) -> None:
    env = Workstation(tmp_path, lab_name="deploydocs.lab-x").environment()
    assert env["DEPLOYDOCS_LAB_NAME"] == "deploydocs.lab-x"


def test_a_qemu_labs_workstation_sends_the_tools_commands_to_its_vms(tmp_path: Path) -> None:
    """``images push`` & co. on a qemu lab's workstation reach the VMs, not a docker lab."""
    from click.testing import CliRunner

    from tools.cli import main

    env = Workstation(tmp_path, lab_name="deploydocs.lab-nosuchqemu",
                      backend="qemu").environment()
    assert env["DEPLOYDOCS_LAB_BACKEND"] == "qemu"
    for args in (["images", "list", "--image-dir", "/var/lib/lithos/images/hello"],
                 ["machine-id", "check-cluster"]):
        result = CliRunner().invoke(main, args, env={
            "DEPLOYDOCS_LAB_BACKEND": env["DEPLOYDOCS_LAB_BACKEND"],
            "DEPLOYDOCS_LAB_NAME": env["DEPLOYDOCS_LAB_NAME"],
            "DEPLOYDOCS_LAB_STATE": str(tmp_path / "state")})  # not the machine's state
        assert result.exit_code == 3, result.output  # that lab is not there: environment
        assert "error: lab 'deploydocs.lab-nosuchqemu' (qemu) is not up" in result.output


@pytest.mark.lab
def test_a_named_labs_workstation_checks_that_labs_machine_ids(lab: Lab) -> None:
    station = lab.hosts["workstation"]
    from tools.lab.workstation import scratch_dir

    assert station.scratch == scratch_dir(station.lab_name).resolve()  # type: ignore[attr-defined]
    assert station.scratch != scratch_dir().resolve()  # type: ignore[attr-defined]
    # Outside ~/hello nothing names the machines: a command refuses to guess a lab.
    elsewhere = station.run("deploydocs-tools machine-id check-cluster", timeout=120)
    assert elsewhere.exit_status == 2, elsewhere.stdout + elsewhere.stderr
    # In ~/hello the lab's hosts.toml names them, and ssh reaches them as a reader's would.
    inventory = (station.scratch / "hello" / "hosts.toml").read_text()  # type: ignore[attr-defined]
    assert 'name = "node1"' in inventory and "proxy_command" in inventory
    result = station.run("cd ~/hello && deploydocs-tools machine-id check-cluster", timeout=120)
    assert result.exit_status == 0, result.stdout + result.stderr
    for node in lab.nodes:
        machine_id = lab.hosts[node].run("cat /etc/machine-id").stdout.strip()
        assert f"{node}: {machine_id}" in result.stdout


# -- the lab's --tools-dir on the workstation's PATH ---------------------------------------

EXTRA = "deploydocs-lab-ws-extra"
"""An executable name no real tool has (real vagga & co. are never imitated)."""


def _tools_dir(tmp_path: Path) -> Path:
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / EXTRA
    tool.write_text("#!/bin/sh\necho 'ws-extra 1.2.3'\n")
    tool.chmod(0o755)
    return tools


def test_the_tools_dir_comes_after_python_and_before_the_system_path(
    tmp_path: Path, monkeypatch
) -> None:
    import sys

    from tools.probe import PATH

    tools = _tools_dir(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no cargo: no Rust on the workstation
    env = Workstation(tmp_path / "scratch", tools_dir=tools).environment()
    assert env["PATH"].split(":") == [str(Path(sys.executable).parent), str(tools.resolve()),
                                      *PATH.split(":")]
    assert str(tools) not in Workstation(tmp_path / "scratch").environment()["PATH"]


def test_a_rustup_toolchain_reaches_the_workstation_with_its_homes(
    tmp_path: Path, monkeypatch
) -> None:
    from tools.lab.workstation import rust_environment

    cargo_bin = tmp_path / "user" / ".cargo" / "bin"
    cargo_bin.mkdir(parents=True)
    (tmp_path / "user" / ".rustup").mkdir()
    cargo = cargo_bin / "cargo"
    cargo.write_text("#!/bin/sh\n")
    cargo.chmod(0o755)
    monkeypatch.setenv("PATH", str(cargo_bin))
    monkeypatch.delenv("CARGO_HOME", raising=False)
    monkeypatch.delenv("RUSTUP_HOME", raising=False)
    assert rust_environment() == (str(cargo_bin), {
        "CARGO_HOME": str(tmp_path / "user" / ".cargo"),
        "RUSTUP_HOME": str(tmp_path / "user" / ".rustup")})
    env = Workstation(tmp_path / "scratch").environment()
    assert str(cargo_bin) in env["PATH"].split(":")
    assert env["HOME"] == str((tmp_path / "scratch").resolve())  # HOME stays the scratch
    assert env["CARGO_HOME"] == str(tmp_path / "user" / ".cargo")


def test_prepare_gives_the_workstation_a_copy_of_the_tools_package(tmp_path: Path) -> None:
    station = Workstation(tmp_path / "scratch")
    station.prepare()
    copy = tmp_path / "scratch" / "deploydocs" / "tools"
    assert (copy / "pyproject.toml").is_file() and (copy / "cli.py").is_file()
    assert not list(copy.rglob("__pycache__"))
    (copy / "stale.py").write_text("")
    station.prepare()  # a new copy replaces the old one whole
    assert not (copy / "stale.py").exists()


def test_a_relative_tools_dir_is_made_absolute_and_a_missing_one_refused(
    tmp_path: Path, monkeypatch
) -> None:
    import pytest

    tools = _tools_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert Workstation(tmp_path / "scratch", tools_dir=Path("tools")).tools_dir == tools
    with pytest.raises(ValueError, match="not a directory"):
        Workstation(tmp_path / "scratch", tools_dir=tmp_path / "nowhere")


def test_a_tool_in_the_tools_dir_runs_on_the_workstation_and_its_probe_finds_it(
    tmp_path: Path, monkeypatch
) -> None:
    import hashlib

    from tools import probe

    tools = _tools_dir(tmp_path)
    station = Workstation(tmp_path / "scratch", tools_dir=tools)
    ran = station.run(f"command -v {EXTRA} && {EXTRA}")
    assert ran.stdout.splitlines() == [str(tools / EXTRA), "ws-extra 1.2.3"], ran.stderr
    # info() probes the real tools; pointed at this name, it reports it like vagga.
    monkeypatch.setattr(probe, "REAL_TOOLS", (*probe.REAL_TOOLS, EXTRA))
    info = station.info()
    assert info.tools[EXTRA] == "ws-extra 1.2.3"
    assert info.sha256[EXTRA] == hashlib.sha256((tools / EXTRA).read_bytes()).hexdigest()
    assert EXTRA not in Workstation(tmp_path / "scratch").info().tools


# -- where the scratch directory is, and removing exactly it -------------------------------


def test_each_lab_has_its_own_scratch_dir_beside_the_lab_state(monkeypatch,
                                                              tmp_path: Path) -> None:
    import pytest

    from tools.lab import workstation

    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    assert workstation.scratch_dir() == tmp_path / "workstations" / "deploydocs.lab"
    assert workstation.scratch_dir("deploydocs.lab-x") == (
        tmp_path / "workstations" / "deploydocs.lab-x")
    for bad in ("../deploydocs.lab", "other", "deploydocs.lab/../../etc"):
        with pytest.raises(ValueError):
            workstation.scratch_dir(bad)


def test_remove_scratch_removes_that_dir_and_nothing_beside_it(monkeypatch, tmp_path: Path) -> None:
    from tools.lab import workstation

    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    mine = workstation.scratch_dir("deploydocs.lab-mine")
    other = workstation.scratch_dir("deploydocs.lab-other")
    default = workstation.scratch_dir()
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep\n")
    for scratch in (mine, other, default):
        (scratch / "images" / "app").mkdir(parents=True)
        (scratch / "images" / "app" / "file").write_text("x\n")
    (mine / "link-out").symlink_to(outside)  # must not be followed
    locked = mine / "images" / "locked"
    locked.mkdir()
    (locked / "f").write_text("x\n")
    locked.chmod(0o500)  # read-only directory, as image trees have
    assert workstation.remove_scratch("deploydocs.lab-mine") == [f"workstation files {mine}"]
    assert not mine.exists() and mine.parent.is_dir()
    assert (outside / "keep.txt").read_text() == "keep\n"
    assert (other / "images" / "app" / "file").exists()
    assert (default / "images" / "app" / "file").exists()
    assert workstation.remove_scratch("deploydocs.lab-mine") == []  # nothing left: no-op
    assert workstation.remove_scratch() == [f"workstation files {default}"]
    assert not default.exists() and (other / "images").exists()


def test_remove_scratch_drops_a_symlinked_scratch_dir_but_not_its_target(
    monkeypatch, tmp_path: Path
) -> None:
    from tools.lab import workstation

    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    target = tmp_path / "elsewhere"
    (target / "sub").mkdir(parents=True)
    scratch = workstation.scratch_dir("deploydocs.lab-linked")
    scratch.parent.mkdir(parents=True)
    scratch.symlink_to(target)
    removed = workstation.remove_scratch("deploydocs.lab-linked")
    assert removed == [f"workstation files {scratch} (a symbolic link)"]
    assert not scratch.is_symlink() and (target / "sub").is_dir()
