"""The workstation host of a named lab: its own scratch directory, and a way to reach that lab."""

from __future__ import annotations

from pathlib import Path

from tools.lab.lab import Lab
from tools.lab.workstation import DEFAULT_SCRATCH, Workstation


def test_the_default_workstation_exports_no_lab_name(tmp_path: Path) -> None:
    assert "DEPLOYDOCS_LAB_NAME" not in Workstation(tmp_path).environment()


def test_a_named_labs_workstation_exports_the_name(tmp_path: Path) -> None:
    env = Workstation(tmp_path, lab_name="deploydocs.lab-x").environment()
    assert env["DEPLOYDOCS_LAB_NAME"] == "deploydocs.lab-x"


def test_a_docker_labs_workstation_exports_no_backend(tmp_path: Path) -> None:
    assert "DEPLOYDOCS_LAB_BACKEND" not in Workstation(tmp_path).environment()


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
        assert result.exit_code == 2, result.output
        assert "cannot open the qemu hosts: lab 'deploydocs.lab-nosuchqemu' (qemu) is not up" \
            in result.output


def test_a_named_labs_workstation_checks_that_labs_machine_ids(lab: Lab) -> None:
    station = lab.hosts["workstation"]
    assert station.scratch != DEFAULT_SCRATCH.resolve()  # type: ignore[attr-defined]
    result = station.run("python3 -m tools machine-id check-cluster", timeout=120)
    assert result.exit_status == 0, result.stdout + result.stderr
    for node in lab.nodes:
        machine_id = lab.hosts[node].run("cat /etc/machine-id").stdout.strip()
        assert f"{node}: {machine_id}" in result.stdout
