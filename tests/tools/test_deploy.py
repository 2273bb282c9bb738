"""Deploy: runtime metadata published to every node; rollout assessed from lithos' state."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.tools.scratch_host import ScratchHost
from tools import deploy
from tools.cli import main
from tools.verwalter.schedule import load_runtime

DATA = {"daemons": {"web": {"image": "hello-deploy.6965d2e4", "config": "/config/hello.yaml",
                            "instances": 1}}}


def nodes(tmp_path: Path, count: int = 3) -> dict[str, ScratchHost]:
    return {f"node{i}": ScratchHost(f"node{i}", tmp_path / f"node{i}")
            for i in range(1, count + 1)}


def test_publish_writes_the_same_runtime_file_to_every_node(tmp_path: Path) -> None:
    hosts = nodes(tmp_path)
    result = deploy.publish_runtime(hosts, "hello", "v1", DATA, config_dir="etc/verwalter")
    assert result.ok and result.written == ["node1", "node2", "node3"]
    assert result.path == "etc/verwalter/runtime/hello/v1.yaml"
    for name in hosts:
        runtime, problems = load_runtime(tmp_path / name / "etc/verwalter/runtime")
        assert problems == []
        assert runtime == {"hello": {"v1": DATA}}
        assert sorted(p.name for p in (tmp_path / name / "etc/verwalter/runtime/hello")
                      .iterdir()) == ["v1.yaml"]


def test_nothing_is_published_while_an_image_is_missing_on_a_node(tmp_path: Path) -> None:
    hosts = nodes(tmp_path)
    for name in ("node1", "node2"):
        config = tmp_path / name / "images/hello-deploy.6965d2e4/config/hello.yaml"
        config.parent.mkdir(parents=True)
        config.write_text("kind: Daemon\n")
    with pytest.raises(deploy.DeployError, match=r"node3: hello-deploy\.6965d2e4/config"):
        deploy.publish_runtime(hosts, "hello", "v1", DATA, config_dir="etc/verwalter",
                               image_dir="images")
    assert not any((tmp_path / n / "etc").exists() for n in hosts)
    config = tmp_path / "node3/images/hello-deploy.6965d2e4/config/hello.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("kind: Daemon\n")
    assert deploy.publish_runtime(hosts, "hello", "v1", DATA, config_dir="etc/verwalter",
                                  image_dir="images").ok


class BrokenHost(ScratchHost):
    def put_file(self, path: str, data: bytes, owner: str = "root:root",
                 mode: int = 0o644) -> None:
        raise OSError("disk full")


def test_a_node_that_cannot_be_written_is_reported_and_the_others_still_get_it(
        tmp_path: Path) -> None:
    hosts = {**nodes(tmp_path, 2), "node3": BrokenHost("node3", tmp_path / "node3")}
    result = deploy.publish_runtime(hosts, "hello", "v1", DATA, config_dir="etc/verwalter")
    assert not result.ok
    assert result.written == ["node1", "node2"]
    assert result.failed == {"node3": "disk full"}


@pytest.mark.parametrize(("role", "version", "data", "key"), [
    ("hello", ".v1", DATA, "version"),
    ("hello", "v1~", DATA, "version"),
    ("hel/lo", "v1", DATA, "role"),
    ("hello", "v1", {"daemons": {"web": {"image": "/abs", "config": "/c"}}}, "daemons.web.image"),
    ("hello", "v1", {"daemons": {"web": {"image": "x", "config": "c"}}}, "daemons.web.config"),
    ("hello", "v1", {"x": float("nan")}, "(top)"),
])
def test_bad_runtime_entries_are_refused_before_any_write(role: str, version: str, data: dict,
                                                          key: str) -> None:
    assert [p.key for p in deploy.check_runtime(role, version, data)] == [key]


PROCESSES = "web:\n  kind: Daemon\n  image: {image}\n  config: /config/hello.yaml\n  instances: 2\n"


def knot(name: str) -> list[str]:
    return ["/usr/bin/lithos_knot", "--name", name, "--master", "/etc/lithos/master.yaml"]


def test_assess_needs_the_image_switched_in_running_and_healthy() -> None:
    def probe(image: str, knots: list[list[str]], health: int | None) -> dict:
        return {"processes": PROCESSES.format(image=image), "knots": knots,
                "health": {"status": health}}

    both = [knot("hello/web.0"), knot("hello/web.1"), knot("other/web.0")]
    old = deploy.assess("n", probe("hello.old", both, 200), "hello", "hello.new", True)
    assert (old.ok, old.detail) == (False, "web still on hello.old")
    one = deploy.assess("n", probe("hello.new", both[:1], 200), "hello", "hello.new", True)
    assert (one.ok, one.detail) == (False, "waiting for web to run")
    sick = deploy.assess("n", probe("hello.new", both, 502), "hello", "hello.new", True)
    assert not sick.ok and sick.detail.startswith("health check")
    good = deploy.assess("n", probe("hello.new", both, 200), "hello", "hello.new", True)
    assert good.ok and good.running == {"web": 2}
    missing = deploy.assess("n", {"processes": None, "processes_error": "gone"}, "hello", "x",
                            False)
    assert (missing.ok, missing.detail) == (False, "no process config: gone")


@pytest.fixture
def health_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()
    server.server_close()


def test_probe_reads_the_process_config_and_asks_the_health_endpoint(
        tmp_path: Path, health_server: str) -> None:
    host = ScratchHost("node1", tmp_path)
    # A sandbox name no real lithos on this machine (or in a lab container) uses.
    sandbox = f"probe-test-{tmp_path.name}"
    host.put_file(f"etc/lithos/processes/{sandbox}.yaml",
                  PROCESSES.format(image="hello.new").encode())
    probe = deploy.probe_node(host, sandbox, health_server, processes_dir="etc/lithos/processes")
    assert probe["health"] == {"status": 200, "body": "ok"}
    status = deploy.assess("node1", probe, sandbox, "hello.new", True)
    assert status.switched == {"web": "hello.new"}
    assert status.detail == "waiting for web to run"


def test_wait_for_rollout_gives_up_at_the_deadline_with_the_reason(tmp_path: Path) -> None:
    hosts = nodes(tmp_path, 2)
    for host in hosts.values():
        host.put_file("etc/lithos/processes/hello.yaml",
                      PROCESSES.format(image="hello.old").encode())
    polls: list[int] = []
    statuses = deploy.wait_for_rollout(hosts, "hello", "hello.new", deadline=0.5, interval=0.1,
                                       processes_dir="etc/lithos/processes",
                                       on_poll=lambda s: polls.append(len(s)))
    assert polls and polls[-1] == 2
    assert {s.detail for s in statuses.values()} == {"web still on hello.old"}


def test_cli_publish_and_status(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "v1.yaml"
    spec.write_text(deploy.dump_yaml(DATA))
    root = tmp_path / "root"
    published = runner.invoke(main, ["deploy", "publish", "hello", "v1", "--file", str(spec),
                                     "--local-root", str(root)])
    assert published.exit_code == 0, published.output
    assert (root / "etc/verwalter/runtime/hello/v1.yaml").is_file()
    made = runner.invoke(main, ["deploy", "publish", "hello", "v2", "--image", "hello.abc",
                                "--config", "/config/hello.yaml", "--local-root", str(root),
                                "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["written"] == ["local"]
    runtime, _ = load_runtime(root / "etc/verwalter/runtime")
    assert runtime["hello"]["v2"]["daemons"]["web"]["image"] == "hello.abc"
    bad = tmp_path / "bad.yaml"
    bad.write_text("daemons: [\n")
    refused = runner.invoke(main, ["deploy", "publish", "hello", "v3", "--file", str(bad),
                                   "--local-root", str(root)])
    assert refused.exit_code == 2
    assert "bad.yaml:2:" in refused.output
    (root / "etc/lithos/processes").mkdir(parents=True)
    (root / "etc/lithos/processes/hello.yaml").write_text(PROCESSES.format(image="hello.old"))
    status = runner.invoke(main, ["deploy", "status", "hello", "--image", "hello.new",
                                  "--local-root", str(root), "--deadline", "0.2"])
    assert status.exit_code == 1
    assert "web still on hello.old" in status.output


# --- on the docker lab: push, publish, schedule preview, render apply with real lithos_switch


LAB_SETUP = r"""
set -e
mkdir -p /etc/lithos/sandboxes /etc/lithos/processes /var/lib/lithos/images/opstest \
         /var/log/lithos /run/lithos
dev=/var/lib/lithos/dev
if [ ! -e "$dev/null" ]; then
  rm -rf "$dev"; mkdir -p "$dev/pts" "$dev/shm"
  mknod -m 666 "$dev/null" c 1 3; mknod -m 666 "$dev/zero" c 1 5
  mknod -m 666 "$dev/random" c 1 8; mknod -m 666 "$dev/urandom" c 1 9
  ln -s /proc/self/fd "$dev/fd"
fi
[ -f /etc/lithos/master.yaml ] || : > /etc/lithos/master.yaml
cat > /etc/lithos/sandboxes/opstest.yaml <<'YAML'
image-dir: /var/lib/lithos/images/opstest
image-dir-levels: 1
allow-users: [1]
allow-groups: [1]
YAML
rm -f /etc/lithos/processes/opstest.yaml
"""

LAB_TEARDOWN = r"""
if [ -f /run/lithos/master.pid ]; then kill -TERM "$(cat /run/lithos/master.pid)" || true; fi
rm -rf /etc/lithos/processes/opstest.yaml /etc/lithos/sandboxes/opstest.yaml \
       /var/lib/lithos/images/opstest /etc/verwalter/runtime/opstest
"""


def sleeper_image(root: Path, argument: str) -> Path:
    """A tiny image: this machine's sleep binary, its libraries, a lithos container config."""
    import shutil
    import subprocess

    for directory in ("config", "dev", "proc", "sys", "tmp", "etc", "state"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    libs = subprocess.run(["ldd", "/usr/bin/sleep"], capture_output=True, text=True).stdout
    for path in ["/usr/bin/sleep", *[w for w in libs.split() if w.startswith("/")]]:
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(path).resolve(), target)
    (root / "config/sleep.yaml").write_text(
        "kind: Daemon\nuser-id: 1\ngroup-id: 1\nexecutable: /usr/bin/sleep\n"
        f'arguments: ["{argument}"]\n')
    return root


OPS_LAB = f"deploydocs.lab-t{os.getpid()}-ops"
"""This module's own lab: other test modules (and other test runs) use other names, so
nobody stops a node under another's feet; ``-t<pid>`` lets ``lab reap`` remove it once
this process is gone."""


@pytest.fixture(scope="module")
def ops_lab() -> Iterator[object]:
    """A three-node docker lab with real lithos; fails, never skips, when it cannot start."""
    from tests.helpers import provision_like_the_pages
    from tools.lab.backends.docker import DockerLab
    from tools.lab.lab import open_lab

    try:
        lab = open_lab("docker", name=OPS_LAB, progress=lambda _line: None)
    except Exception as err:  # any reason the lab cannot start is the test's failure
        DockerLab(OPS_LAB).down()
        pytest.fail(f"the docker lab could not start: {type(err).__name__}: {err}")
    try:
        provision_like_the_pages(lab)  # bare nodes: rsync and real lithos, as chapter 3 does
        yield lab
    finally:
        lab.close()
        DockerLab(OPS_LAB).down()


@pytest.mark.lab
def test_lab_push_publish_and_switch_every_node_with_real_lithos(
        ops_lab: object, tmp_path: Path) -> None:
    from tests.tools.verwalter.test_schedule import FIXTURE
    from tools import images, machine_id
    from tools.lithos.config import validate_process
    from tools.verwalter import render
    from tools.verwalter import schedule as sched

    lab = ops_lab
    hosts = {n: lab.hosts[n] for n in lab.nodes}  # type: ignore[attr-defined]
    ids = machine_id.check_hosts(hosts.values())
    assert ids.ok, ids.problems
    image_dir = "/var/lib/lithos/images/opstest"
    try:
        for name, host in hosts.items():
            setup = host.run(LAB_SETUP)
            assert setup.ok, (name, setup.stderr)
            started = host.run("setsid lithos_tree --log-stderr </dev/null "
                               ">/var/log/lithos-opstest.out 2>&1 &")
            assert started.ok, started.stderr
        # 1. push the image to every node (rsync over docker exec, then rename)
        root = sleeper_image(tmp_path / "image", "2718")
        image = "sleeper.0000beef"
        for name, host in hosts.items():
            result = images.push_image(root, host, image_dir, image)
            assert result.status == "pushed", name
            listed = images.list_images(host, image_dir)
            assert [i.name for i in listed] == [image]
        # 2. publish the runtime metadata (the images are checked first)
        data = {"daemons": {"sleeper": {"image": image, "config": "/config/sleep.yaml"}}}
        published = deploy.publish_runtime(hosts, "opstest", "v1", data, image_dir=image_dir)
        assert published.ok, published.failed
        runtime_text = hosts["node2"].run("cat /etc/verwalter/runtime/opstest/v1.yaml").stdout
        assert runtime_text == deploy.dump_yaml(data)
        # 3. schedule preview on the same runtime, as node1 with node2/node3 as peers
        tree = tmp_path / "tree"
        import shutil

        shutil.copytree(FIXTURE, tree)
        shutil.rmtree(tree / "runtime/django")
        (tree / "runtime/opstest").mkdir()
        (tree / "runtime/opstest/v1.yaml").write_text(runtime_text)
        shutil.copytree(tree / "templates/django", tree / "templates/opstest")
        peers = sched.peers_from_hostnames(["node2", "node3"], now_ms=1)
        preview = sched.preview(tree, current_host="node1", peers=peers)
        assert preview.ok, (preview.error, preview.problems)
        assert preview.assignments() == {n: ["opstest"] for n in hosts}
        # 4. render apply on every node: the real lithos_switch gets the rendered file
        for name, host in hosts.items():
            result = render.render_role(
                tree, preview.schedule, name, "opstest",
                executor=render.HostExecutor(host),
                validate_lithos=lambda text, file: validate_process(text, file))
            assert result.ok, (name, result.failed, result.problems,
                               [c.as_dict() for a in result.actions for c in a.commands])
            switched = host.run("cat /etc/lithos/processes/opstest.yaml").stdout
            assert switched == result.output("processes")
        # 5. every node runs the image (lithos_knot per instance), by the deadline
        statuses = deploy.wait_for_rollout(hosts, "opstest", image, deadline=60)
        assert all(s.ok for s in statuses.values()), {n: s.detail for n, s in statuses.items()}
        # 6. prune keeps the image in use even with keep=0
        second = sleeper_image(tmp_path / "image2", "3141")
        target = hosts["node1"]
        images.push_image(second, target, image_dir, "sleeper.0000cafe")
        pruned = images.prune_images(target, image_dir, keep=0,
                                     process_configs=["/etc/lithos/processes/opstest.yaml"])
        assert pruned.kept == [image] and pruned.removed == ["sleeper.0000cafe"]
    finally:
        for host in hosts.values():
            host.run(LAB_TEARDOWN)


HELLO_SETUP = LAB_SETUP.replace("opstest", "hellotest").replace(
    "allow-groups: [1]\n", "allow-groups: [1]\nallow-tcp-ports: [8000]\n")
HELLO_TEARDOWN = LAB_TEARDOWN.replace("opstest", "hellotest")


@pytest.mark.lab
@pytest.mark.slow
def test_lab_the_built_hello_image_serves_health_on_every_node(
        ops_lab: object, tmp_path: Path) -> None:
    """image build stand-in → push → publish → schedule preview → render apply → healthy."""
    import shutil

    from tests.tools.verwalter.test_schedule import FIXTURE
    from tools import images
    from tools.verwalter import render
    from tools.verwalter import schedule as sched

    lab = ops_lab
    hosts = {n: lab.hosts[n] for n in lab.nodes}  # type: ignore[attr-defined]
    repo = Path(__file__).resolve().parents[2]
    built = images.build_image(images.recipe_from_app(repo / "tutorial/app", "hello-deploy"),
                               tmp_path / "out")
    image_dir = "/var/lib/lithos/images/hellotest"
    try:
        for name, host in hosts.items():
            assert host.run(HELLO_SETUP).ok, name
            assert host.run("setsid lithos_tree --log-stderr </dev/null "
                            ">/var/log/lithos-hellotest.out 2>&1 &").ok
            pushed = images.push_image(built.root, host,
                                       image_dir, built.name)
            assert pushed.status == "pushed"
        data = {"daemons": {"web": {"image": built.name, "config": "/config/hello.yaml"}}}
        assert deploy.publish_runtime(hosts, "hellotest", "v1", data, image_dir=image_dir).ok
        tree = tmp_path / "tree"
        shutil.copytree(FIXTURE, tree)
        shutil.rmtree(tree / "runtime/django")
        (tree / "runtime/hellotest").mkdir()
        (tree / "runtime/hellotest/v1.yaml").write_text(deploy.dump_yaml(data))
        shutil.copytree(tree / "templates/django", tree / "templates/hellotest")
        preview = sched.preview(tree, current_host="node2",
                                peers=sched.peers_from_hostnames(["node1", "node3"], 1))
        assert preview.ok, (preview.error, preview.problems)
        for name, host in hosts.items():
            result = render.render_role(tree, preview.schedule, name, "hellotest",
                                        executor=render.HostExecutor(host))
            assert result.ok, (name, result.failed)
        statuses = deploy.wait_for_rollout(hosts, "hellotest", built.name, deadline=90,
                                           health_url="http://127.0.0.1:8000/health")
        logs = {n: h.run("tail -n 20 /var/log/lithos/stderr/hellotest.log").stdout
                for n, h in hosts.items() if not statuses[n].ok}
        assert all(s.ok for s in statuses.values()), (
            {n: s.detail for n, s in statuses.items()}, logs)
    finally:
        for host in hosts.values():
            host.run(HELLO_TEARDOWN)


def test_an_unreadable_runtime_file_is_named_without_a_line_zero(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tools.cli import main

    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(main, ["deploy", "publish", "hello", "v1", "--file",
                                       str(missing), "--local-root", str(tmp_path / "n")])
    assert result.exit_code == 2, result.output
    assert f"{missing}: cannot read it" in result.output
    assert ":0:" not in result.output
