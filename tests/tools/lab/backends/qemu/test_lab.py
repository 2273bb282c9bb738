"""The qemu lab: real Debian VMs that boot, answer over ssh, and are reaped after a kill.

The tests marked ``qemu`` boot VMs (minutes under TCG); they run only when
``LAB=qemu`` is set (the lab conftest deselects them otherwise). When the
lab cannot start they fail with the reason, never skip. The tests at the
end check the VMs' command line without booting anything.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.lab.backends.qemu import NODE_NAMES, QemuLab, lab_vms

TEST_LAB = "deploydocs.lab-qemutest"
KILL_LAB = "deploydocs.lab-qemukill"
REPO_ROOT = Path(__file__).resolve().parents[5]


@pytest.fixture(scope="module")
def qemu_lab() -> Iterator[QemuLab]:
    """Three VMs of a test lab (no lithos: these tests are about the VMs themselves)."""
    lab = QemuLab(TEST_LAB)
    try:
        lab.up(with_lithos=False, progress=lambda _line: None)
    except Exception as err:  # any reason the lab cannot start is the test's failure
        lab.down()
        pytest.fail(f"the qemu lab could not start: {type(err).__name__}: {err}")
    try:
        yield lab
    finally:
        for host in lab.hosts().values():
            host.close()
        lab.down()


@pytest.mark.qemu
@pytest.mark.slow
def test_a_vm_boots_its_own_kernel_and_systemd_and_answers_over_ssh(qemu_lab: QemuLab) -> None:
    host = qemu_lab.hosts()["node1"]
    result = host.run("hostname; cat /proc/1/comm; uname -r; "
                      "systemctl is-system-running --wait || true; "
                      "stat -fc %T /sys/fs/cgroup/memory", timeout=120)
    assert result.ok, result.stderr
    hostname, init, kernel, system_state, memory_cgroup_fs = result.stdout.split()
    assert hostname == "node1"
    assert init == "systemd"
    assert kernel.endswith("-amd64")
    assert kernel == qemu_lab.record()["image"]["kernel"]  # type: ignore[index]
    assert system_state == "running"
    assert memory_cgroup_fs == "cgroupfs"  # cgroup v1, which lithos 0.18 needs


@pytest.mark.qemu
@pytest.mark.slow
def test_the_vms_have_distinct_machine_ids(qemu_lab: QemuLab) -> None:
    ids = {}
    for node, host in qemu_lab.hosts().items():
        result = host.run("cat /etc/machine-id; readlink /var/lib/dbus/machine-id", timeout=60)
        assert result.ok, result.stderr
        machine_id, dbus_link = result.stdout.split()
        assert re.fullmatch(r"[0-9a-f]{32}", machine_id), machine_id
        assert dbus_link == "/etc/machine-id"
        ids[node] = machine_id
    assert set(ids) == set(NODE_NAMES)
    assert len(set(ids.values())) == len(NODE_NAMES), ids


@pytest.mark.qemu
@pytest.mark.slow
def test_the_vms_reach_each_other_by_name_and_nothing_else(qemu_lab: QemuLab) -> None:
    host = qemu_lab.hosts()["node1"]
    result = host.run("ping -c 1 -W 10 node2 && ping -c 1 -W 10 node3 && ip -4 route", timeout=60)
    assert result.ok, result.stdout + result.stderr
    assert "default" not in result.stdout


@pytest.mark.qemu
@pytest.mark.slow
def test_the_tools_package_runs_on_the_vms(qemu_lab: QemuLab) -> None:
    result = qemu_lab.hosts()["node3"].run("python3 -m tools lab --help", timeout=60)
    assert result.ok, result.stderr
    assert "lab" in result.stdout


def _vms_of(lab_name: str) -> list[int]:
    return [pid for pid, (lab, _node) in lab_vms().items() if lab == lab_name]


def _poll(condition, deadline: float, what: str) -> None:
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.2)


@pytest.mark.qemu
@pytest.mark.slow
def test_reap_after_kill_9_of_lab_up_leaves_no_vm_and_no_overlay() -> None:
    env = dict(os.environ)
    up = subprocess.Popen(
        [sys.executable, "-m", "tools", "lab", "up", "--backend", "qemu", "--name", KILL_LAB,
         "--no-lithos"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    directory = QemuLab(KILL_LAB).directory
    try:
        # The base image may still need building (cold cache): allow for that.
        _poll(lambda: len(_vms_of(KILL_LAB)) == len(NODE_NAMES) or up.poll() is not None,
              time.monotonic() + 1800, "the VMs of the killed lab to start")
        assert up.poll() is None, "lab up ended before it could be killed"
        os.kill(up.pid, signal.SIGKILL)
        up.wait()
        assert len(_vms_of(KILL_LAB)) == len(NODE_NAMES), "the VMs must outlive the killed up"
        assert list(directory.glob("*.qcow2"))
        reap = subprocess.run([sys.executable, "-m", "tools", "lab", "reap"], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
        assert reap.returncode == 0, reap.stderr
        assert KILL_LAB in reap.stdout
        assert _vms_of(KILL_LAB) == []
        assert list(directory.glob("*.qcow2")) == []
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
        QemuLab(KILL_LAB).down()


# -- without VMs (always run): what the command line promises ------------------------------


def _argv(lab_name: str = TEST_LAB) -> list[str]:
    from tools.lab.backends.qemu.image import BaseImage
    from tools.lab.backends.qemu.vm import VmSpec, qemu_argv

    image = BaseImage(Path("/cache/abc"), "abc")
    return qemu_argv(lab_name, VmSpec("node2", 2, 40022), image, Path("/state/qemu"), "tcg")


def test_vm_command_line_reaches_sshd_on_loopback_only_and_nothing_outside() -> None:
    argv = _argv()
    netdevs = [value for flag, value in itertools.pairwise(argv) if flag == "-netdev"]
    user = [n for n in netdevs if n.startswith("user,")]
    lab_net = [n for n in netdevs if n.startswith("socket,")]
    assert len(user) == 1 and "restrict=on" in user[0].split(",")
    assert "hostfwd=tcp:127.0.0.1:40022-:22" in user[0].split(",")
    assert len(lab_net) == 1 and "localaddr=127.0.0.1" in lab_net[0]
    assert re.search(r"mcast=230\.213\.\d+\.\d+:\d+", lab_net[0])


def test_vm_command_line_boots_from_its_own_overlay_with_hostname_and_cgroup_v1() -> None:
    argv = _argv()
    joined = " ".join(argv)
    assert "file=/state/qemu/node2.qcow2,if=virtio,format=qcow2" in joined
    assert "file=/state/qemu/node2-seed.img,if=virtio,format=raw,readonly=on" in joined
    append = argv[argv.index("-append") + 1].split()
    assert {"root=/dev/vda", "systemd.hostname=node2",
            "systemd.unified_cgroup_hierarchy=0"} <= set(append)


def test_vm_name_carries_the_lab_marker_that_reap_looks_for() -> None:
    from tools.lab.backends.qemu.vm import NAME_RE, vm_name

    argv = _argv()
    name = argv[argv.index("-name") + 1].split(",")[0]
    assert name == vm_name(TEST_LAB, "node2") == f"{TEST_LAB}-qemu-node2"
    match = NAME_RE.match(name)
    assert match and match.groups() == (TEST_LAB, "node2")
    assert NAME_RE.match("someone-else-qemu-node2") is None


def test_each_lab_gets_its_own_multicast_group() -> None:
    from tools.lab.backends.qemu.vm import multicast_group

    assert multicast_group(TEST_LAB) != multicast_group(KILL_LAB)
    assert multicast_group(TEST_LAB) == multicast_group(TEST_LAB)


def test_base_image_recipe_hash_changes_with_the_package_list(monkeypatch) -> None:
    from tools.lab.backends.qemu import image as qemu_image

    before = qemu_image.recipe_hash(qemu_image.base_recipe())
    monkeypatch.setattr(qemu_image, "VM_PACKAGES", (*qemu_image.VM_PACKAGES, "less"))
    assert qemu_image.recipe_hash(qemu_image.base_recipe()) != before


def test_lithos_and_tools_dir_executables_go_to_usr_bin_on_the_vms(tmp_path: Path) -> None:
    import shutil

    lithos, tools = tmp_path / "lithos", tmp_path / "tools"
    for directory, name in ((lithos, "lithos_tree"), (tools, "deploydocs-lab-extra")):
        directory.mkdir()
        (directory / name).write_text("#!/bin/sh\nexit 0\n")
        (directory / name).chmod(0o755)
    (tools / "notes.txt").write_text("not executable\n")
    payload, extra = QemuLab(TEST_LAB)._payload(str(lithos), tools)
    try:
        assert extra == ["deploydocs-lab-extra"]
        assert sorted(p.name for p in (payload / "usr" / "bin").iterdir()) == [
            "deploydocs-lab-extra", "lithos_tree"]
        assert not (payload / "usr" / "local").exists()
        assert (payload / "opt" / "deploydocs" / "tools" / "__main__.py").is_file()  # all tools/
    finally:
        shutil.rmtree(payload)


@pytest.fixture
def qemu_state(tmp_path: Path, monkeypatch) -> Path:
    """A state root and a scratch root of this test's own (no VM is started)."""

    monkeypatch.setenv("DEPLOYDOCS_LAB_STATE", str(tmp_path / "state"))
    return tmp_path


def test_a_qemu_lab_without_a_record_is_not_up_and_its_nodes_are_checked(qemu_state) -> None:
    from tools.lab.backends.qemu import QemuLabError

    lab = QemuLab("deploydocs.lab-qemunone")
    assert not lab.is_up()
    assert not lab.node_running("node1")
    with pytest.raises(QemuLabError, match="has no node 'node9'"):
        lab.fault("node9", "stop")
    with pytest.raises(QemuLabError, match="is not up"):
        lab.heal("node1", "stop")


def test_qemu_down_removes_the_workstation_files_unless_a_docker_lab_shares_them(
    qemu_state,
) -> None:
    from tools.lab import state
    from tools.lab.workstation import scratch_dir

    name = "deploydocs.lab-qemudown"
    scratch = scratch_dir(name)
    (scratch / "build").mkdir(parents=True)
    state.write_record(name, {"nodes": {"node1": {}}})  # a docker lab of the same name
    assert not any(item.startswith("workstation files") for item in QemuLab(name).down())
    assert (scratch / "build").is_dir()
    state.forget_record(name)
    assert QemuLab(name).down() == [f"workstation files {scratch}"]
    assert not scratch.exists()
