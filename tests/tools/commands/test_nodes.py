"""Which machines a command acts on (:mod:`tools.commands.nodes`): the target's order, the
errors opening it, the lab reached by name, and refusing nodes that do not answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.scratch_host import ScratchHost
from tests.tools.unreachable import write_unreachable_inventory
from tools.commands import nodes
from tools.commands.nodes import Target, resolve_target
from tools.errors import (
    NO_TARGET,
    BadInput,
    DaemonUnreachable,
    MissingBinary,
    MissingDependency,
    NoTarget,
    Unreachable,
)
from tools.hosts import CommandResult
from tools.lab import backends, targets
from tools.lab.base import LAB_LABEL, DockerUnreachable


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """A current directory with an inventory in it (``hosts.toml``) and one beside it."""
    write_unreachable_inventory(tmp_path, "hosts.toml")
    write_unreachable_inventory(tmp_path, "other.toml")
    return tmp_path


def resolve(backend: str | None = None, inventory: Path | None = None, cwd: Path | None = None,
            **environ: str) -> Target:
    return resolve_target(backend, inventory, environ, cwd or Path("/nonexistent"))


def test_nothing_naming_machines_is_no_target() -> None:
    with pytest.raises(NoTarget) as raised:
        resolve()
    assert raised.value.message == NO_TARGET
    assert raised.value.exit_code == 2


def test_the_inventory_option_comes_first(here: Path) -> None:
    target = resolve(inventory=here / "other.toml", cwd=here,
                     DEPLOYDOCS_INVENTORY=str(here / "hosts.toml"),
                     DEPLOYDOCS_LAB_BACKEND="docker")
    assert (target.backend, target.inventory) == ("ssh", here / "other.toml")


def test_an_inventory_is_for_the_ssh_backend_only(here: Path) -> None:
    assert resolve("ssh", here / "other.toml").backend == "ssh"
    with pytest.raises(BadInput, match="--inventory is for the ssh backend"):
        resolve("docker", here / "other.toml")


def test_the_backend_option_beats_the_environment_and_the_directory(here: Path) -> None:
    target = resolve("qemu", cwd=here, DEPLOYDOCS_INVENTORY=str(here / "hosts.toml"),
                     DEPLOYDOCS_LAB_NAME="deploydocs.lab-x")
    assert (target.backend, target.lab_name) == ("qemu", "deploydocs.lab-x")
    assert resolve("docker").lab_name == "deploydocs.lab"


def test_the_ssh_backend_takes_its_inventory_from_the_environment_or_the_directory(
        here: Path) -> None:
    assert resolve("ssh", cwd=here).inventory == here / "hosts.toml"
    assert resolve("ssh", DEPLOYDOCS_INVENTORY=str(here / "other.toml")).inventory == (
        here / "other.toml")
    with pytest.raises(BadInput, match="pass --backend ssh --inventory FILE"):
        resolve("ssh")


def test_then_the_inventory_variable_then_hosts_toml(here: Path) -> None:
    by_env = resolve(cwd=here, DEPLOYDOCS_INVENTORY=str(here / "other.toml"),
                     DEPLOYDOCS_LAB_BACKEND="docker")
    assert (by_env.backend, by_env.inventory, by_env.source) == (
        "ssh", here / "other.toml", "$DEPLOYDOCS_INVENTORY")
    in_dir = resolve(cwd=here, DEPLOYDOCS_LAB_BACKEND="docker")
    assert (in_dir.inventory, in_dir.source) == (here / "hosts.toml", "./hosts.toml")
    with pytest.raises(BadInput, match="no such inventory file"):
        resolve(DEPLOYDOCS_INVENTORY=str(here / "gone.toml"))


def test_last_the_labs_variables_as_its_workstation_exports_them() -> None:
    target = resolve(DEPLOYDOCS_LAB_BACKEND="qemu", DEPLOYDOCS_LAB_NAME="deploydocs.lab-q")
    assert (target.backend, target.lab_name) == ("qemu", "deploydocs.lab-q")
    assert resolve(DEPLOYDOCS_LAB_NAME="deploydocs.lab-d").backend == "docker"
    assert resolve(DEPLOYDOCS_LAB_BACKEND="docker").lab_name == "deploydocs.lab"
    with pytest.raises(BadInput, match="unknown backend 'vms'"):
        resolve(DEPLOYDOCS_LAB_BACKEND="vms")


def test_the_backend_names_are_the_labs() -> None:
    assert tuple(backends.BACKENDS) == nodes.BACKEND_NAMES
    assert nodes.LAB_BACKENDS == backends.LAB_BACKENDS
    assert nodes.INVENTORY_BACKEND == backends.INVENTORY_BACKEND
    assert nodes.DEFAULT_BACKEND == backends.DEFAULT_BACKEND
    assert nodes.DEFAULT_LAB_NAME == LAB_LABEL


def test_the_hook_names_the_labs_nodes() -> None:
    assert nodes.lab_hook() is targets.lab_nodes


def test_the_labs_environment_errors_become_the_command_lines() -> None:
    missing = ModuleNotFoundError("No module named 'docker'", name="docker")
    for raised, expected, code in [(missing, MissingDependency, 3),
                                   (DockerUnreachable("cannot reach"), DaemonUnreachable, 3)]:
        with pytest.raises(expected) as caught, targets.lab_errors():
            raise raised
        assert caught.value.exit_code == code
        assert "--backend ssh --inventory FILE" in (caught.value.hint or "")
    other = ModuleNotFoundError("No module named 'lupa'", name="lupa")
    with pytest.raises(ModuleNotFoundError), targets.lab_errors():
        raise other


def test_a_lab_that_is_not_up_is_unreachable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    with pytest.raises(Unreachable, match="is not up") as raised:
        nodes.target_hosts(Target("qemu", lab_name="deploydocs.lab-t-nodes"))
    assert "lab status --backend qemu --name deploydocs.lab-t-nodes" in str(raised.value.hint)


def test_an_inventorys_hosts_need_no_lab(here: Path) -> None:
    hosts = nodes.target_hosts(resolve(inventory=here / "hosts.toml"))
    assert [(name, type(host).__module__) for name, host in hosts.items()] == [
        ("node1", "tools.ssh"), ("node2", "tools.ssh")]
    reserved = here / "reserved.toml"
    reserved.write_text((here / "hosts.toml").read_text().replace('"node1"', '"workstation"'))
    with pytest.raises(BadInput, match="'workstation' is reserved"):
        nodes.target_hosts(resolve(inventory=reserved))
    (here / "bad.toml").write_text('[[host]]\nname = "node1"\n')
    with pytest.raises(BadInput, match="required"):
        nodes.target_hosts(resolve(inventory=here / "bad.toml"))


class Refusing(ScratchHost):
    """A host whose transport fails as ssh does when nothing answers (exit 255)."""

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        return CommandResult(command, 255, "", "ssh: connect to host x port 22: refused\n")


class NoTransport(ScratchHost):
    """A host reached by a program that is not installed."""

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        raise FileNotFoundError(2, "No such file or directory", "ssh")


def test_every_host_is_asked_and_those_not_answering_are_named(tmp_path: Path) -> None:
    hosts = {"node1": ScratchHost("node1", tmp_path / "1"),
             "node2": Refusing("node2", tmp_path / "2"),
             "node3": Refusing("node3", tmp_path / "3")}
    nodes.check_reachable({"node1": hosts["node1"]})
    with pytest.raises(Unreachable) as raised:
        nodes.check_reachable(hosts, hint="check them")
    assert raised.value.message == (
        "cannot reach node2, node3 (node2: ssh: connect to host x port 22: refused; "
        "node3: ssh: connect to host x port 22: refused)")
    assert raised.value.hint == "check them"


def test_a_missing_transport_is_a_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(MissingBinary, match="ssh: not installed"):
        nodes.check_reachable({"node1": NoTransport("node1", tmp_path)})


def test_only_the_chosen_nodes_are_asked_and_unknown_ones_refused(
        tmp_path: Path, monkeypatch) -> None:
    hosts = {"node1": ScratchHost("node1", tmp_path / "1"),
             "node2": Refusing("node2", tmp_path / "2")}
    monkeypatch.setattr(nodes, "target_hosts", lambda _target: dict(hosts))
    assert list(nodes.lab_hosts("docker", None, ("node1",))) == ["node1"]
    with pytest.raises(Unreachable, match="cannot reach node2"):
        nodes.lab_hosts("docker", None)
    with pytest.raises(BadInput, match="unknown node"):
        nodes.lab_hosts("docker", None, ("node9",))
