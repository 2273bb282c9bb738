"""The ssh backend: real OpenSSH to the docker nodes' sshd, strict about host keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.inventory import InventoryError, load_inventory
from tools.lab.backends.ssh import docker_lab_inventory
from tools.lab.lab import Lab, open_lab

from ..conftest import TEST_LAB


@pytest.mark.lab
def test_ssh_backend_runs_commands_on_every_node_over_sshd(lab: Lab) -> None:
    inventory = docker_lab_inventory(TEST_LAB)
    ssh_lab = open_lab("ssh", inventory=inventory)
    try:
        assert ssh_lab.nodes == ["node1", "node2", "node3"]
        for node in ssh_lab.nodes:
            result = ssh_lab.hosts[node].run("hostname; echo ${SSH_CONNECTION:+via-sshd}")
            assert result.ok, result.stderr
            assert result.stdout.split() == [node, "via-sshd"]
        session = ssh_lab.session("node2")
        assert session.run("cd /etc && export X=1").ok
        assert session.run("pwd; echo $X").stdout == "/etc\n1\n"
        ssh_lab.hosts["node3"].put_file("/root/over-ssh.txt", b"sent\n", mode=0o600)
        check = lab.hosts["node3"].run("stat -c %a /root/over-ssh.txt; cat /root/over-ssh.txt")
        assert check.stdout == "600\nsent\n"
    finally:
        ssh_lab.close()


@pytest.mark.lab
def test_ssh_backend_refuses_a_host_whose_key_does_not_match(lab: Lab, tmp_path: Path) -> None:
    good = docker_lab_inventory(TEST_LAB)
    hosts = load_inventory(good)
    # Claim node1 has node2's host key.
    node2_key = lab.hosts["node2"].run("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()
    (tmp_path / "known_hosts").write_text(f"node1 {node2_key[0]} {node2_key[1]}\n")
    first_table = good.read_text().split("\n\n")[0]
    text = first_table.replace(f'key = "{hosts[0].key.name}"', f'key = "{hosts[0].key}"')
    bad = tmp_path / "inventory.toml"
    bad.write_text(text)
    ssh_lab = open_lab("ssh", inventory=bad)
    try:
        result = ssh_lab.hosts["node1"].run("echo should-not-run")
        assert result.exit_status == 255
        assert "should-not-run" not in result.stdout
        assert "Host key verification failed" in result.stderr, result.stderr
    finally:
        ssh_lab.close()


HOST_KEY = 'host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"\n'


def _inventory(directory: Path, text: str) -> Path:
    """An inventory of *text* in *directory*, beside the key file ``id`` it may name."""
    (directory / "id").write_text("not really a key")
    path = directory / "inventory.toml"
    path.write_text(text)
    return path


def test_inventory_reports_every_problem_with_line_and_key(tmp_path: Path) -> None:
    path = _inventory(tmp_path, (
        '[[host]]\nname = "node1"\naddress = "10.0.0.1"\nuser = "root"\nkey = "id"\n'
        'port = 70000\nknown_hosts = "missing_known_hosts"\n'
        '\n[[host]]\nname = "Bad Name"\naddress = "10.0.0.2"\nkey = "id"\ncolour = "red"\n'))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    found = {(p.line, p.key) for p in caught.value.problems}
    assert {(6, "port"), (7, "known_hosts"), (10, "name"), (13, "colour"), (9, "user"),
            (9, "known_hosts")} <= found  # the last: neither known_hosts nor host_key


@pytest.mark.parametrize(("text", "expected"), [
    ('[[host]]\nname = "db"\naddress = "10.0.0.5"\nuser = "admin"\nkey = "id"\n'
     f'{HOST_KEY}roles = ["db"]\n', ("db", 22, ("db",), None)),
    ('[[host]]\nname = "web"\naddress = "10.0.0.6"\nport = 2222\nuser = "admin"\n'
     f'key = "id"\n{HOST_KEY}', ("web", 2222, (), None)),
])
def test_inventory_accepts_an_inline_host_key(tmp_path: Path, text: str,
                                             expected: tuple[object, ...]) -> None:
    (host,) = load_inventory(_inventory(tmp_path, text))
    assert (host.name, host.port, host.roles, host.known_hosts) == expected
    assert host.host_key == HOST_KEY.split('"')[1] and host.key == (tmp_path / "id").resolve()
