"""The docker backend gives three bare, distinct, connected and confined nodes that boot
systemd, and a package mirror on their network."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.lab.lab import Lab, open_lab
from tools.lab.state import PROJECT_ROOT
from tools.machine_id import is_valid_machine_id

from ...conftest import TEST_LAB

pytestmark = pytest.mark.lab


def test_lab_has_three_nodes_and_the_workstation(lab: Lab) -> None:
    assert lab.nodes == ["node1", "node2", "node3"]
    assert set(lab.hosts) == {"node1", "node2", "node3", "workstation"}


def test_each_node_has_its_own_hostname(lab: Lab) -> None:
    for node in lab.nodes:
        assert lab.hosts[node].run("hostname").stdout.strip() == node


def test_each_node_made_its_own_machine_id_when_it_first_booted(lab: Lab) -> None:
    ids = []
    for node in lab.nodes:
        result = lab.hosts[node].run("cat /etc/machine-id; test -e /var/lib/dbus/machine-id"
                                     " && echo dbus-copy || true")
        machine_id, *rest = result.stdout.splitlines()
        assert is_valid_machine_id(machine_id), machine_id
        assert rest == []  # a bare machine has no second copy
        ids.append(machine_id)
    assert len(set(ids)) == 3


def test_node1_resolves_and_reaches_the_others_by_name(lab: Lab) -> None:
    for other in ("node2", "node3"):
        address = lab.hosts[other].info().address
        result = lab.hosts["node1"].run(
            f"getent hosts {other} && timeout 5 bash -c 'exec 3<>/dev/tcp/{other}/22 && "
            f"head -c 7 <&3'"
        )
        assert result.ok, result.stderr
        assert result.stdout.split()[0] == address
        assert result.stdout.rstrip().endswith("SSH-2.0"), result.stdout


def test_nodes_have_no_route_out(lab: Lab) -> None:
    node = lab.hosts["node1"]
    routes = node.run("ip -4 route; ip -6 route").stdout
    assert not re.search(r"^default", routes, re.M), routes
    gateway = lab.provider.client.networks.get(  # type: ignore[union-attr]
        f"{TEST_LAB}-net").attrs["IPAM"]["Config"][0]["Gateway"]
    # The network's nominal gateway has no address on the host: nothing answers there.
    to_gateway = node.run(f"exec 3<>/dev/tcp/{gateway}/22", timeout=10)
    assert not to_gateway.ok, to_gateway
    # An address off the lab network fails at once: there is no route to send it by.
    # (192.0.2.1 is TEST-NET-1, reserved for documentation: no real host is ever targeted.)
    outside = node.run("exec 3<>/dev/tcp/192.0.2.1/80", timeout=10)
    assert not outside.ok and not outside.timed_out
    assert "Network is unreachable" in outside.stderr, outside.stderr


def test_nodes_boot_systemd_as_init(lab: Lab) -> None:
    for node in lab.nodes:
        host = lab.hosts[node]
        assert host.run("cat /proc/1/comm").stdout.strip() == "systemd"
        state = ""
        end = time.monotonic() + 60
        while time.monotonic() < end:
            state = host.run("systemctl is-system-running").stdout.strip()
            if state not in ("initializing", "starting"):
                break
            time.sleep(0.3)
        failed = host.run("systemctl --failed --no-legend --plain").stdout
        assert state == "running", (node, state, failed)
        assert host.run("systemctl is-active ssh").stdout.strip() == "active"


def test_nodes_start_bare(lab: Lab) -> None:
    """What a provider hands out, and nothing of the tutorial: the pages install the rest."""
    for node in lab.nodes:
        host = lab.hosts[node]
        assert lab.tools(node) == {}
        assert set(lab.absent_tools(node)) >= {"lithos_tree", "cantal-agent", "verwalter"}
        missing = host.run("for c in deploydocs-tools rsync jq nft lithos_tree; do "
                           "command -v $c >/dev/null || echo $c; done").stdout.split()
        assert missing == ["deploydocs-tools", "rsync", "jq", "nft", "lithos_tree"]
        assert not host.run("python3 -c 'import tools'").ok
        assert not host.run("test -e /opt/deploydocs").ok


def test_the_mirror_gives_the_nodes_debian_packages_and_python_ones(
    lab: Lab, lab_record: dict[str, object]
) -> None:
    """``apt-get install`` and ``pip install`` run unchanged: the lab's mirror answers."""
    assert lab_record["mirror"]["container"] == f"{TEST_LAB}-mirror"  # type: ignore[index]
    host = lab.hosts["node3"]
    installed = host.run(
        "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
        "apt-get install -y -qq --no-install-recommends python3-venv jq >/dev/null 2>&1 && "
        "python3 -m venv /tmp/mirror-venv && "
        "/tmp/mirror-venv/bin/pip install --quiet --disable-pip-version-check click && "
        "/tmp/mirror-venv/bin/python -c 'import click; print(\"click\", click.__name__)' && "
        "echo '{\"a\": 1}' | jq .a", timeout=600)
    try:
        assert installed.ok, installed.stderr
        assert installed.stdout.splitlines() == ["click click", "1"]
    finally:
        host.run("rm -rf /tmp/mirror-venv")


def test_up_again_reuses_everything(lab: Lab, lab_record: dict[str, object]) -> None:
    lines: list[str] = []
    again = open_lab("docker", name=TEST_LAB, progress=lines.append)
    try:
        from tools.lab import state

        record = state.read_record(TEST_LAB)
        assert record["nodes"] == lab_record["nodes"]
        assert record["image"] == lab_record["image"]
        assert not any(line.startswith(("debootstrap", "docker build")) for line in lines), lines
    finally:
        again.close()


def test_put_file_writes_atomically_with_owner_and_mode(lab: Lab) -> None:
    node = lab.hosts["node3"]
    node.put_file("/run/deploydocs-test/hello.txt", b"hello\n", owner="daemon:daemon", mode=0o640)
    result = node.run("stat -c '%U:%G %a' /run/deploydocs-test/hello.txt; "
                      "cat /run/deploydocs-test/hello.txt; ls -a /run/deploydocs-test")
    assert result.stdout.splitlines() == ["daemon:daemon 640", "hello", ".", "..", "hello.txt"]


def test_workstation_is_confined_to_its_scratch_dir(lab: Lab, monkeypatch) -> None:
    monkeypatch.setenv("DEPLOYDOCS_TEST_LEAK", "should not be seen")
    station = lab.hosts["workstation"]
    result = station.run("pwd; echo $HOME; env | cut -d= -f1 | sort | tr '\\n' ' '")
    scratch = str(station.scratch)  # type: ignore[attr-defined]
    lines = result.stdout.splitlines()
    assert lines[:2] == [scratch, scratch]
    # DEPLOYDOCS_LAB_NAME and DEPLOYDOCS_LAB_BACKEND tell `python3 -m tools` there which
    # lab it is in (tools.commands.nodes: the workstation's machine commands reach its nodes).
    allowed = {"HOME", "LANG", "PATH", "TERM", "PWD", "SHLVL", "_", "DEPLOYDOCS_LAB_NAME",
               "DEPLOYDOCS_LAB_BACKEND", "CARGO_HOME", "RUSTUP_HOME"}
    assert set(lines[2].split()) <= allowed
    assert "DEPLOYDOCS_TEST_LEAK" not in lines[2]
    with pytest.raises(ValueError):
        station.put_file("../outside.txt", b"no")


def test_lab_shell_workstation_opens_a_shell_where_the_workstation_blocks_run(
        lab: Lab) -> None:
    import subprocess
    import sys

    from tests.tools.lab.conftest import TEST_LAB

    station = lab.hosts["workstation"]
    typed = "pwd; echo home=$HOME; python3 -c 'import tools; print(\"tools ok\")'; exit 7\n"
    shell = subprocess.run([sys.executable, "-m", "tools", "lab", "shell", "workstation",
                            "--name", TEST_LAB], input=typed, capture_output=True, text=True,
                           timeout=60, check=False)
    scratch = str(station.scratch)  # type: ignore[attr-defined]
    assert shell.returncode == 7, shell.stderr
    assert shell.stdout.splitlines() == [scratch, f"home={scratch}", "tools ok"]


def test_workstation_pushes_a_tree_to_a_node_with_rsync(lab: Lab) -> None:
    # rsync receives on the node: a bare machine gets it from the mirror, as the pages do.
    installed = lab.hosts["node2"].run(
        "export DEBIAN_FRONTEND=noninteractive; command -v rsync >/dev/null || "
        "{ apt-get update -qq && apt-get install -y -qq rsync >/dev/null 2>&1; }", timeout=600)
    assert installed.ok, installed.stderr
    station = lab.hosts["workstation"]
    station.put_file("push-test/tree/a.txt", b"alpha\n")
    station.put_file("push-test/tree/sub/b.txt", b"beta\n", mode=0o600)
    result = station.push("push-test/tree", lab.hosts["node2"], "/var/tmp/pushed")  # type: ignore[attr-defined]
    assert result.ok, result.stderr
    listing = lab.hosts["node2"].run(
        "cd /var/tmp/pushed && find . -type f | sort && cat a.txt sub/b.txt && "
        "stat -c %a sub/b.txt && ls -d /var/tmp/pushed.tmp 2>&1 || true"
    )
    assert listing.stdout.splitlines()[:5] == ["./a.txt", "./sub/b.txt", "alpha", "beta", "600"]
    assert "No such file" in listing.stdout


def _wait_until(predicate, deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {deadline:g} s: {what}")


def test_fault_stop_and_heal(lab: Lab) -> None:
    session = lab.session("node3", "fault-stop")
    assert session.run("true").ok
    lab.fault("node3", "stop")
    assert not lab.hosts["node1"].run("timeout 3 bash -c 'exec 3<>/dev/tcp/node3/22'").ok
    lab.heal("node3", "stop")
    lab.heal("node3", "stop")  # idempotent
    assert lab.session("node3", "fault-stop").run("hostname").stdout == "node3\n"
    assert lab.hosts["node1"].run("timeout 5 bash -c 'exec 3<>/dev/tcp/node3/22'").ok
    assert "default" not in lab.hosts["node3"].run("ip route").stdout


def test_fault_isolate_and_heal(lab: Lab) -> None:
    lab.fault("node2", "isolate")
    try:
        assert not lab.hosts["node1"].run("timeout 3 bash -c 'exec 3<>/dev/tcp/node2/22'").ok
        assert not lab.hosts["node2"].run("timeout 3 bash -c 'exec 3<>/dev/tcp/node1/22'").ok
    finally:
        lab.heal("node2", "isolate")
    lab.heal("node2", "isolate")  # idempotent
    assert lab.hosts["node1"].run("timeout 5 bash -c 'exec 3<>/dev/tcp/node2/22'").ok
    assert "default" not in lab.hosts["node2"].run("ip route").stdout


def test_fault_kill_ends_matching_processes(lab: Lab) -> None:
    node = lab.hosts["node1"]
    node.run("setsid sleep 4242 </dev/null >/dev/null 2>&1 &")
    _wait_until(lambda: node.run("pgrep -f 'sleep 4242'").ok, 10, "sleep 4242 started")
    lab.fault("node1", "kill:sleep 4242")
    _wait_until(lambda: not node.run("pgrep -f 'sleep 4242'").ok, 10, "sleep 4242 killed")
    lab.heal("node1", "kill:sleep 4242")


def test_fingerprint_names_backend_os_tools_and_images(
    lab: Lab, lab_record: dict[str, object]
) -> None:
    fingerprint = lab.fingerprint()
    assert fingerprint["backend"] == "docker"
    assert set(fingerprint["nodes"]) == {"node1", "node2", "node3"}  # type: ignore[arg-type]
    for facts in fingerprint["nodes"].values():  # type: ignore[union-attr]
        assert facts["os"].startswith("Debian GNU/Linux 12")
    assert fingerprint["images"] == lab_record["image"]
    assert str(fingerprint["images"]["tag"]).startswith("deploydocs.lab/base:")  # type: ignore[index]


def test_a_lab_grows_and_shrinks_to_the_node_count_it_is_given() -> None:
    from tools.lab.backends.docker import DockerLab, node_names
    from tools.lab.backends.ssh import docker_lab_inventory

    name = f"{TEST_LAB}-count"
    try:
        grown = open_lab("docker", name=name, nodes=2,
                         progress=lambda _line: None)
        assert grown.nodes == ["node1", "node2"]
        assert grown.hosts["node2"].run("hostname").stdout.strip() == "node2"
        assert 'name = "node2"' in docker_lab_inventory(name).read_text()
        grown.close()
        attached = open_lab("docker", name=name, start=False)  # the record says two
        assert attached.nodes == ["node1", "node2"]
        attached.close()
        shrunk = open_lab("docker", name=name, nodes=1,
                          progress=lambda _line: None)
        assert shrunk.nodes == ["node1"]
        lab = DockerLab(name)
        containers = lab.client.containers.list(all=True, filters={"name": f"{name}-node"})
        assert [c.name for c in containers] == [f"{name}-node1"]
        assert lab.is_up()
        shrunk.close()
    finally:
        DockerLab(name).down()
    with pytest.raises(ValueError, match="1 to 32 nodes"):
        node_names(0)


# -- what real cantal, lithos and the provenance record need ------------------------------


def test_nodes_read_proc_files_of_other_users_processes_as_cantal_does(
    lab: Lab, lab_record: dict[str, object]
) -> None:
    """cantal-agent reads /proc/PID/io (and stat, environ) of every process: CAP_SYS_PTRACE."""
    assert lab_record["security"]["cap_add"] == [  # type: ignore[index]
        "SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"]
    node = lab.hosts["node2"]
    started = node.run("setsid setpriv --reuid=65534 --regid=65534 --clear-groups "
                       "sleep 4343 </dev/null >/dev/null 2>&1 &")
    assert started.ok, started.stderr
    _wait_until(lambda: node.run("pgrep -u 65534 -f 'sleep 4343'").ok, 10, "sleep 4343 started")
    pid = node.run("pgrep -u 65534 -f 'sleep 4343'").stdout.split()[0]
    try:
        read = node.run(f"cat /proc/{pid}/io && tr '\\0' '\\n' < /proc/{pid}/environ "
                        f"&& cut -d' ' -f1-3 /proc/{pid}/stat")
        assert read.ok, read.stderr
        assert "read_bytes:" in read.stdout and f"{pid} (sleep)" in read.stdout
        # The same read without the capability is refused: it is what makes it work.
        denied = node.run("setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "
                          f"cat /proc/{pid}/io")
        assert not denied.ok and "Permission denied" in denied.stderr, denied
    finally:
        node.run(f"kill {pid}")


def test_a_node_can_cut_itself_off_with_nft_as_the_page_shows(lab: Lab) -> None:
    """``CAP_NET_ADMIN`` is what the lost-node chapter's firewall rule needs."""
    host = lab.hosts["node1"]
    setup = host.run("export DEBIAN_FRONTEND=noninteractive; command -v nft >/dev/null || "
                     "{ apt-get update -qq && apt-get install -y -qq nftables >/dev/null 2>&1; }",
                     timeout=600)
    assert setup.ok, setup.stderr
    reach = "timeout 3 bash -c 'exec 3<>/dev/tcp/node2/22' && echo reached"
    try:
        cut = host.run("nft add table inet labtest && nft add chain inet labtest out "
                       "'{ type filter hook output priority 0; }' && "
                       "nft add rule inet labtest out ip daddr "
                       "$(getent ahostsv4 node2 | awk 'NR==1 {print $1}') drop")
        assert cut.ok, cut.stderr
        assert "reached" not in host.run(reach).stdout
    finally:
        host.run("nft delete table inet labtest")
    assert host.run(reach).stdout.strip() == "reached"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_fingerprint_is_where_a_run_starts_and_observed_what_it_installed(
    lab: Lab
) -> None:
    fingerprint = lab.fingerprint()
    for facts in fingerprint["nodes"].values():  # type: ignore[union-attr]
        assert set(facts) == {"os", "machine_id"}
    station = fingerprint["workstation"]  # type: ignore[index]
    assert set(station) == {"os", "tools", "sha256"}
    assert station["os"] and set(station["sha256"]) == set(station["tools"])
    observed = lab.observed()
    assert set(observed) == set(lab.nodes)
    for seen in observed.values():
        assert set(seen["sha256"]) == set(seen["tools"])  # type: ignore[index]


# -- a lab with a node down ----------------------------------------------------------------


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    # A wide terminal, so that `lab status` prints each table row on one line.
    return subprocess.run([sys.executable, "-m", "tools", "lab", command, "--name", TEST_LAB,
                           *rest], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "1000"})


def test_a_node_cut_off_with_lab_isolate_reaches_no_other_until_reconnected(lab: Lab) -> None:
    reach = "getent hosts node2 >/dev/null && ping -c 1 -W 2 node2 >/dev/null && echo reached"
    try:
        cut = _cli("isolate", "node2")
        assert cut.returncode == 0, cut.stderr
        assert "node2 is cut off the network" in cut.stdout
        assert "reached" not in lab.hosts["node1"].run(reach, timeout=30).stdout
        alive = _cli("exec", "node2", "--", "hostname")  # still running, still reachable by us
        assert (alive.returncode, alive.stdout) == (0, "node2\n"), alive.stderr
        back = _cli("reconnect", "node2")
        assert back.returncode == 0, back.stderr
        assert lab.hosts["node1"].run(reach, timeout=30).stdout.strip() == "reached"
    finally:
        lab.heal("node2", "isolate")


def test_a_stopped_node_is_down_while_the_lab_stays_usable(
    lab: Lab, lab_record: dict[str, object]
) -> None:
    try:
        stopped = _cli("stop", "node3")
        assert stopped.returncode == 0, stopped.stderr
        assert "node3 is down" in stopped.stdout
        assert not lab.is_running("node3") and lab.is_running("node1")
        from tools.lab.backends.docker import DockerLab

        assert DockerLab(TEST_LAB).is_up()

        status = _cli("status", "--json")
        assert status.returncode == 0, status.stderr
        rows = {row["node"]: row for row in json.loads(status.stdout)}
        assert rows["node3"]["state"] == "down" and rows["node3"]["tools"] == {}
        assert rows["node1"]["state"] == "up" and rows["node1"]["os"].startswith("Debian")
        assert set(rows["node1"]["sha256"]) == set(rows["node1"]["tools"])
        table = _cli("status")
        assert table.returncode == 0, table.stderr
        assert re.search(r"node3\s*│\s*down\s*│", table.stdout), table.stdout
        if "bin_dir" in lab_record["lithos"]:  # type: ignore[operator]
            expected = _sha256(Path(lab_record["lithos"]["bin_dir"]) / "lithos_tree")  # type: ignore[index]
            assert rows["node1"]["sha256"]["lithos_tree"] == expected
            assert f"lithos_tree 0.18.4 ({expected[:12]})" in table.stdout

        down = _cli("exec", "node3", "--", "hostname")
        assert down.returncode == 255, down
        assert "node3 is down" in down.stderr
        assert f"python -m tools lab start node3 --name {TEST_LAB}" in down.stderr
        up = _cli("exec", "node1", "--", "hostname")
        assert (up.returncode, up.stdout) == (0, "node1\n"), up.stderr
        assert lab.fingerprint()["nodes"]["node3"] == {"state": "down"}  # type: ignore[index]

        started = _cli("start", "node3")
        assert started.returncode == 0, started.stderr
        assert "node3 is up" in started.stdout
        back = _cli("exec", "node3", "--", "hostname")
        assert (back.returncode, back.stdout) == (0, "node3\n"), back.stderr
        assert "default" not in lab.hosts["node3"].run("ip route").stdout
        assert "up already" in _cli("start", "node3").stdout
        for bad in ("workstation", "node9"):
            refused = _cli("stop", bad)
            assert refused.returncode == 2 and f"no node {bad!r}" in refused.stderr
    finally:
        lab.heal("node3", "stop")  # also drops the shared lab's sessions on node3
