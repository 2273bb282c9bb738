"""Real lithos 0.18.4 works on the docker nodes: its checker, and its supervisor."""

from __future__ import annotations

import time

import pytest

from tools.lab.lab import Lab

pytestmark = pytest.mark.lab

SETUP = r"""
set -e
mkdir -p /etc/lithos/sandboxes /etc/lithos/processes /var/lib/lithos/images /var/log/lithos
# The devfs dir lithos bind-mounts as a container's /dev (what lithos_mkdev makes;
# lithos_mkdev itself is a script of the lithos repository, not part of the crate).
dev=/var/lib/lithos/dev
rm -rf "$dev"; mkdir -p "$dev/pts" "$dev/shm"
mknod -m 666 "$dev/null" c 1 3; mknod -m 666 "$dev/zero" c 1 5; mknod -m 666 "$dev/full" c 1 7
mknod -m 666 "$dev/random" c 1 8; mknod -m 666 "$dev/urandom" c 1 9
mknod -m 666 "$dev/tty" c 5 0
ln -s pts/ptmx "$dev/ptmx"; ln -s /proc/self/fd "$dev/fd"
ln -s /proc/self/fd/0 "$dev/stdin"; ln -s /proc/self/fd/1 "$dev/stdout"
ln -s /proc/self/fd/2 "$dev/stderr"
: > /etc/lithos/master.yaml
cat > /etc/lithos/sandboxes/labtest.yaml <<'YAML'
image-dir: /var/lib/lithos/images
image-dir-levels: 1
allow-users: [1]
allow-groups: [1]
YAML
cat > /etc/lithos/processes/labtest.yaml <<'YAML'
sleeper:
  image: sleeper.1
  config: /config/sleep.yaml
  instances: 1
YAML
# A tiny image: the node's own /usr/bin/sleep and the libraries it loads.
image=/var/lib/lithos/images/sleeper.1
rm -rf "$image"; mkdir -p "$image"/{config,dev,proc,sys,tmp,etc}
for file in /usr/bin/sleep $(ldd /usr/bin/sleep | grep -o '/[^ ]*'); do
    cp --parents -L "$file" "$image/"
done
cat > "$image/config/sleep.yaml" <<'YAML'
kind: Daemon
user-id: 1
group-id: 1
executable: /usr/bin/sleep
arguments: ["3141"]
YAML
"""


@pytest.fixture(scope="module")
def lithos_installed(lab: Lab) -> None:
    """Real lithos on every node, put there as the tutorial does: built with
    ``lithos build`` (cached after the first time) and sent with ``copy``."""
    from tests.helpers import provision_like_the_pages

    provision_like_the_pages(lab, packages=())
    for node in lab.nodes:
        found = lab.hosts[node].run("command -v lithos_tree").stdout.strip()
        assert found == "/usr/bin/lithos_tree"


def test_lithos_check_accepts_a_minimal_config_on_every_node(
    lab: Lab, lithos_installed: None
) -> None:
    for node in lab.nodes:
        host = lab.hosts[node]
        assert host.run(SETUP).ok
        result = host.run("lithos_check; echo exit=$?")
        assert result.stdout.strip().endswith("exit=0"), (node, result.stdout, result.stderr)


def test_lithos_check_rejects_an_empty_allow_users(lab: Lab, lithos_installed: None) -> None:
    host = lab.hosts["node2"]
    assert host.run(SETUP).ok
    host.put_file("/etc/lithos/sandboxes/labtest.yaml",
                  b"image-dir: /var/lib/lithos/images\nallow-users: []\nallow-groups: [1]\n")
    try:
        assert host.run("lithos_check").exit_status == 1
    finally:
        host.run(SETUP)


def test_lithos_tree_supervises_a_container_on_a_node(
    lab: Lab, lithos_installed: None) -> None:
    host = lab.hosts["node3"]
    assert host.run(SETUP).ok
    started = host.run(
        "setsid lithos_tree --log-stderr </dev/null >/var/log/lithos-tree.out 2>&1 &"
    )
    assert started.ok, started.stderr
    try:
        tree = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tree = host.run("ps -eo pid,ppid,user,args").stdout
            if "/usr/bin/sleep 3141" in tree:
                break
            time.sleep(0.3)
        rows = [line.split(None, 3) for line in tree.splitlines()[1:]]
        by_pid = {row[0]: row for row in rows}
        sleeper = next((r for r in rows if r[3] == "/usr/bin/sleep 3141"), None)
        assert sleeper is not None, tree + host.run("tail /var/log/lithos/*.log").stdout
        knot = by_pid[sleeper[1]]
        assert "lithos_knot --name labtest/sleeper.0" in knot[3]
        assert "lithos_tree" in by_pid[knot[1]][3]
        assert sleeper[2] == "daemon"  # user-id 1 from the container config
        # Where lithos puts its slice depends on the cgroup it was started in (under
        # systemd, below the starting process's own): look for the scope anywhere.
        scopes = host.run("find /sys/fs/cgroup/memory -name 'labtest:sleeper.0.scope'").stdout
        assert "/lithos.slice/labtest:sleeper.0.scope" in scopes, scopes
    finally:
        host.run("pkill -TERM -x lithos_tree; rm -f /etc/lithos/processes/labtest.yaml")
