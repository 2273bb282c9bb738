"""The backend registry: every backend by name, behind one protocol; nothing started here."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tools.lab.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    INVENTORY_BACKEND,
    LAB_BACKENDS,
    Backend,
    LabOptions,
    open_backend,
)

PROTOCOL = [name for name in dir(Backend) if not name.startswith("_")]


def test_the_registry_names_every_backend_once() -> None:
    assert list(BACKENDS) == ["docker", "qemu", "ssh"]
    assert DEFAULT_BACKEND in LAB_BACKENDS and INVENTORY_BACKEND not in LAB_BACKENDS
    assert all(entry.name == name for name, entry in BACKENDS.items())


def test_every_backend_class_has_the_whole_protocol() -> None:
    from tools.lab.backends.docker import DockerLab
    from tools.lab.backends.qemu import QemuLab
    from tools.lab.backends.ssh import SshLab

    for cls, kind in ((DockerLab, "docker"), (QemuLab, "qemu"), (SshLab, "ssh")):
        assert cls.kind == kind
        for member in ("up", "down", "is_up", "check_up", "hosts", "node_running", "fault",
                       "heal", "fingerprint", "status_lines", "recorded_tools_dir"):
            assert member in PROTOCOL
            assert inspect.isfunction(getattr(cls, member)), (cls, member)


def test_opening_refuses_what_a_backend_cannot_do() -> None:
    with pytest.raises(ValueError, match=r"unknown lab backend 'vbox' \(known: docker, qemu"):
        open_backend("vbox")
    with pytest.raises(ValueError, match="always has 3 VMs"):
        open_backend("qemu", LabOptions(nodes=4))
    with pytest.raises(ValueError, match="needs an inventory"):
        open_backend("ssh")


def test_the_ssh_backend_has_nothing_to_start_and_takes_no_power_faults(tmp_path: Path) -> None:
    lab = open_backend("ssh", LabOptions(inventory=tmp_path / "hosts.toml"))
    assert lab.is_up() and lab.node_running("node1")
    assert (lab.up(), lab.down(), lab.fingerprint(), lab.status_lines()) == ({}, [], {}, [])
    assert lab.inventory == tmp_path / "hosts.toml" and lab.recorded_tools_dir() is None
    lab.check_up()
    for method in (lab.fault, lab.heal):
        with pytest.raises(ValueError, match="needs the docker or qemu backend"):
            method("node1", "stop")


def test_the_command_line_asks_the_registry_instead_of_comparing_backend_names() -> None:
    import ast

    names = set(BACKENDS)
    commands = Path(__file__).resolve().parents[4] / "tools" / "commands"
    compared = []
    for path in sorted(commands.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                for part in [node.left, *node.comparators]:
                    elements = part.elts if isinstance(part, ast.Tuple | ast.List | ast.Set) \
                        else [part]
                    compared += [f"{path.name}:{node.lineno}" for element in elements
                                 if isinstance(element, ast.Constant) and element.value in names]
    assert compared == []
