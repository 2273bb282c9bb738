"""tools.hosts: this machine as a host, and the one local bash runner."""

from __future__ import annotations

import time
from pathlib import Path

from tools.hosts import Host, LocalHost, RsyncHost, run_bash


def test_run_bash_reports_status_output_and_a_timeout_killing_the_whole_group() -> None:
    done = run_bash("echo out; echo err >&2; exit 3")
    assert (done.exit_status, done.stdout, done.stderr, done.ok) == (3, "out\n", "err\n", False)
    started = time.monotonic()
    slow = run_bash("echo begun; sleep 30 & sleep 30", timeout=0.5)
    assert slow.timed_out and slow.exit_status == 124 and slow.stdout == "begun\n"
    assert time.monotonic() - started < 10, "the background sleep was killed too"


def test_a_rooted_local_host_keeps_paths_under_its_root(tmp_path: Path) -> None:
    host = LocalHost("box", tmp_path / "root")
    assert isinstance(host, Host) and isinstance(host, RsyncHost)
    host.put_file("/etc/thing.conf", b"x\n", mode=0o640)
    assert (tmp_path / "root/etc/thing.conf").read_bytes() == b"x\n"
    assert host.run("cat etc/thing.conf").stdout == "x\n"
    assert host.rsync_target("/srv/images") == (None, str(tmp_path / "root/srv/images"))
    assert host.info().address == str(tmp_path / "root")


def test_an_unrooted_local_host_uses_this_machines_paths(tmp_path: Path) -> None:
    host = LocalHost()
    host.put_file(str(tmp_path / "f"), b"y")
    assert (tmp_path / "f").read_bytes() == b"y"
    assert host.rsync_target("/x") == (None, "/x")


def test_an_inventory_path_may_start_with_the_home_directory(tmp_path, monkeypatch) -> None:
    from tools.inventory import load_inventory

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("key")
    (home / ".ssh" / "known_hosts").write_text("")
    monkeypatch.setenv("HOME", str(home))
    inventory = tmp_path / "project" / "hosts.toml"
    inventory.parent.mkdir()
    inventory.write_text('[[host]]\nname = "node1"\naddress = "192.0.2.11"\nuser = "root"\n'
                         'key = "~/.ssh/id_ed25519"\nknown_hosts = "~/.ssh/known_hosts"\n')
    (host,) = load_inventory(inventory)
    assert host.key == home / ".ssh" / "id_ed25519"
    assert host.known_hosts == home / ".ssh" / "known_hosts"
