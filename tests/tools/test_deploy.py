"""Deploy: runtime metadata published to every node; rollout assessed from lithos' state."""

from __future__ import annotations

import json
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
