"""cantal: agent argv and unit, the HTTP client, and the metrics-file reader.

The metrics files are written by the real ``cantal`` library (cantal-py 0.2.5).
The HTTP tests talk to a local in-test HTTP server that answers in the shape
``/all_peers.json`` has upstream; it is a test double for the client, not a
stand-in for the agent.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cantal as cantal_py
import cbor2
import pytest
from click.testing import CliRunner

from tools import cantal
from tools.cli import main


def test_agent_argv_uses_long_flags_only() -> None:
    options = cantal.AgentOptions(host="10.0.0.1", cluster_name="tutorial",
                                  storage_dir="/var/lib/cantal", bind_localhost=True)
    argv = cantal.agent_argv(options)
    assert argv == ["cantal-agent", "--host", "10.0.0.1", "--port", "22682",
                    "--cluster-name", "tutorial", "--storage-dir", "/var/lib/cantal",
                    "--bind-localhost"]
    assert not [a for a in argv if a.startswith("-") and not a.startswith("--")]


def test_cluster_settings_that_silently_stay_single_node_are_reported() -> None:
    keys = [p.key for p in cantal.check_options(cantal.AgentOptions(), cluster_size=3)]
    assert keys == ["--cluster-name", "--host"]
    ip_only = cantal.AgentOptions(host="10.0.0.1", cluster_name="t")
    assert [p.key for p in cantal.check_options(ip_only, 3)] == ["--bind-localhost"]
    good = cantal.AgentOptions(host="0.0.0.0", cluster_name="t", storage_dir="/var/lib/cantal")
    assert cantal.check_options(good, 3) == []


def test_systemd_unit_runs_the_agent_and_restarts_it() -> None:
    unit = cantal.systemd_unit(cantal.AgentOptions(host="0.0.0.0", cluster_name="tutorial",
                                                   storage_dir="/var/lib/cantal"))
    assert ("ExecStart=/usr/bin/cantal-agent --host 0.0.0.0 --port 22682 "
            "--cluster-name tutorial --storage-dir /var/lib/cantal") in unit
    assert "Restart=always" in unit
    assert "ExecStartPre=/bin/mkdir -p /var/lib/cantal" in unit


def write_with_real_library(path: Path) -> tuple[object, dict[str, object]]:
    """Create metrics with cantal-py's own Collection and start it at *path*."""
    collection = cantal_py.Collection()
    metrics = {
        "requests": cantal_py.Counter(collection=collection, group="http", metric="requests"),
        "in_progress": cantal_py.Integer(collection=collection, group="http",
                                         metric="in_progress"),
        "load": cantal_py.Float(collection=collection, metric="load"),
        "state": cantal_py.State(collection=collection, metric="phase"),
        "idle": cantal_py.State(collection=collection, metric="idle"),
    }
    active = collection.start(str(path))
    return active, metrics


def test_reader_decodes_every_type_the_real_library_writes(tmp_path: Path) -> None:
    active, m = write_with_real_library(tmp_path / "metrics")
    m["requests"].incr(41)  # type: ignore[attr-defined]
    m["requests"] += 1  # type: ignore[operator]
    m["in_progress"].set(-3)  # type: ignore[attr-defined]
    m["load"].set(0.75)  # type: ignore[attr-defined]
    m["state"].enter("migrating", _timestamp=1700000000123)  # type: ignore[attr-defined]
    found = cantal.read_metrics(tmp_path / "metrics")
    assert found.problems == []
    assert found.find(metric="requests").value == 42
    assert found.find(metric="requests").kind == "counter"
    assert found.find(metric="in_progress").value == -3
    assert found.find(metric="load").value == 0.75
    phase = found.find(metric="phase")
    assert (phase.value, phase.timestamp_ms) == ("migrating", 1700000000123)
    assert found.find(metric="idle").value is None
    active.close()  # type: ignore[attr-defined]


def test_reader_follows_live_updates_of_a_running_app(tmp_path: Path) -> None:
    """A separate process uses cantal.start() with CANTAL_PATH, as an app in lithos would."""
    app = (
        "import sys, cantal\n"
        "hits = cantal.Counter(metric='hits')\n"
        "cantal.start()\n"
        "for line in sys.stdin:\n"
        "    hits.incr(int(line))\n"
        "    print('done', flush=True)\n"
    )
    path = tmp_path / "app"
    proc = subprocess.Popen([sys.executable, "-c", app], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env={"CANTAL_PATH": str(path), "PATH": "/usr/bin:/bin"})
    try:
        assert proc.stdin and proc.stdout
        for total, step in ((5, 5), (12, 7)):
            proc.stdin.write(f"{step}\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "done\n"
            assert cantal.read_metrics(path).find(metric="hits").value == total
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=30)
    assert not Path(f"{path}.meta").exists(), "the library removes its files at exit"


@pytest.mark.parametrize(("line", "key"), [
    ("counter 4: {\"a\": \"b\"}", "size"),
    ("level 8: {\"a\": \"b\"}", "param"),
    ("level 8 unsigned: {\"a\": \"b\"}", "param"),
    ("state 8: {\"a\": \"b\"}", "size"),
    ("pad 0", "size"),
    ("gauge 8: {\"a\": \"b\"}", "type"),
    ("counter 8: {\"a\": 1}", "labels"),
    ("counter 8: [1]", "labels"),
    ("counter 8", "labels"),
    ("counter eight: {}", "size"),
])
def test_malformed_meta_lines_are_reported_with_their_line(line: str, key: str) -> None:
    _, problems = cantal.parse_meta("counter 8: {\"ok\": \"1\"}\n" + line, "x.meta")
    assert [(p.line, p.key) for p in problems] == [(2, key)]


def test_repeated_label_sets_are_reported() -> None:
    _, problems = cantal.parse_meta('counter 8: {"a": "b"}\nlevel 8 signed: {"a": "b"}')
    assert [p.message for p in problems] == ["same labels as line 1"]


def test_a_short_values_file_is_reported_not_crashed_on(tmp_path: Path) -> None:
    (tmp_path / "m.meta").write_text('counter 8: {"a": "b"}\ncounter 8: {"a": "c"}')
    (tmp_path / "m.values").write_bytes(b"\x01" + b"\0" * 7)
    found = cantal.read_metrics(tmp_path / "m")
    assert found.find(a="b").value == 1
    assert found.find(a="c").value is None
    assert [p.key for p in found.problems] == ["size"]


def test_discover_finds_this_process_when_it_announces_a_path(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "60"], env={"CANTAL_PATH": "/run/app/metrics"})
    try:
        paths = cantal.discover_metric_paths()
        assert paths[proc.pid] == f"/proc/{proc.pid}/root/run/app/metrics"
    finally:
        proc.kill()
        proc.wait()


class _Handler(BaseHTTPRequestHandler):
    peers: list[dict[str, object]]
    added: list[object]

    def do_GET(self) -> None:
        if self.path == "/all_peers.json":
            self._send({"peers": self.peers})
        elif self.path == "/all_metrics.json":
            # As cantal-agent 0.6.10 serves it: CBOR, whatever the suffix says.
            key = cbor2.dumps({"group": "http", "metric": "requests", "pid": "7"})
            payload = cbor2.dumps({"metrics": [
                [cbor2.dumps({"metric": "memory.MemTotal"}), 1000, [2, 1 << 30]],
                [key, 1000, [1, 3]],
                [cbor2.dumps({"state": "phase", "pid": "7"}), 1000, [0, [999, "serving"]]]]})
            self.send_response(200)
            self.send_header("Content-Type", "application/cbor")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif self.path == "/status.json":
            self._send({"version": "test", "num_peers": len(self.peers)})
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.added.append(body)
        ip = body["addr"].split(":")[0]
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            # As real cantal-agent 0.6.10 does for a host name: no answer at all.
            self.close_connection = True
            return
        self.peers.append({"id": "ab" * 16, "hostname": {"127.0.0.1": "localhost"}.get(ip, ip)})
        self._send({"ok": True})

    def _send(self, data: object) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def peers_api() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"peers": [], "added": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_add_host_posts_the_address_and_peers_show_up(
        peers_api: tuple[str, type[_Handler]]) -> None:
    url, handler = peers_api
    assert cantal.add_host("localhost", agent=url) == "127.0.0.1:22682"
    assert handler.added == [{"addr": "127.0.0.1:22682"}]
    assert cantal.peer_hostnames(cantal.wait_for_peers({"localhost"}, agent=url,
                                                       deadline=5)) == ["localhost"]


def test_a_peer_name_that_does_not_resolve_is_a_clear_error_and_nothing_is_sent(
        peers_api: tuple[str, type[_Handler]]) -> None:
    url, handler = peers_api
    with pytest.raises(cantal.CantalError, match=r"no-such-node\.invalid: cannot look up"):
        cantal.add_host("no-such-node.invalid", agent=url)
    with pytest.raises(cantal.CantalError, match="is not a port"):
        cantal.add_host("127.0.0.1:http", agent=url)
    assert handler.added == []


def test_wait_for_peers_names_what_is_missing_at_the_deadline(
        peers_api: tuple[str, type[_Handler]]) -> None:
    url, _ = peers_api
    with pytest.raises(cantal.CantalError, match=r"still missing \['node3'\]"):
        cantal.wait_for_peers({"node3"}, agent=url, deadline=0.3, interval=0.1)


def test_an_unreachable_agent_is_a_clear_error() -> None:
    with pytest.raises(cantal.CantalError, match=r"127\.0\.0\.1:9"):
        cantal.all_peers("http://127.0.0.1:9", timeout=2)


def test_cli_argv_unit_and_metrics(tmp_path: Path, peers_api: tuple[str, type[_Handler]]) -> None:
    runner = CliRunner()
    argv = runner.invoke(main, ["cantal", "argv", "--host", "0.0.0.0",
                                "--cluster-name", "tutorial"])
    assert argv.exit_code == 0
    assert argv.output.strip() == ("cantal-agent --host 0.0.0.0 --port 22682 "
                                   "--cluster-name tutorial")
    unit = runner.invoke(main, ["cantal", "unit", "--cluster-name", "t"])
    assert "ExecStart=/usr/bin/cantal-agent" in unit.output
    active, m = write_with_real_library(tmp_path / "m")
    m["requests"].incr(3)  # type: ignore[attr-defined]
    shown = runner.invoke(main, ["cantal", "metrics", str(tmp_path / "m"), "--json"])
    assert shown.exit_code == 0, shown.output
    assert {"kind": "counter", "labels": {"group": "http", "metric": "requests"},
            "value": 3} in json.loads(shown.output)["metrics"]
    active.close()  # type: ignore[attr-defined]
    assert runner.invoke(main, ["cantal", "metrics", str(tmp_path / "gone")]).exit_code == 2
    url, _ = peers_api
    joined = runner.invoke(main, ["cantal", "join", "localhost", "--agent", url])
    assert (joined.exit_code, joined.output) == (0, "added localhost (127.0.0.1:22682)\n")
    peers = runner.invoke(main, ["cantal", "peers", "--agent", url, "--expect", "localhost"])
    assert peers.exit_code == 0, peers.output
    assert "localhost" in peers.output
    missing = runner.invoke(main, ["cantal", "peers", "--agent", url, "--expect", "node9",
                                   "--wait", "0.2"])
    assert missing.exit_code == 1


def test_agent_metrics_decode_the_cbor_the_agent_sends_and_filter_by_label(
        peers_api: tuple[str, type[_Handler]]) -> None:
    url, _ = peers_api
    found = {m.labels.get("metric") or m.labels.get("state"): m
             for m in cantal.agent_metrics(url)}
    assert (found["requests"].kind, found["requests"].value) == ("counter", 3)
    assert (found["memory.MemTotal"].kind, found["memory.MemTotal"].value) == ("level", 1 << 30)
    assert (found["phase"].kind, found["phase"].value) == ("state", "serving")
    runner = CliRunner()
    shown = runner.invoke(main, ["cantal", "agent-metrics", "--agent", url,
                                 "--label", "metric=requests"])
    assert shown.exit_code == 0, shown.output
    assert shown.output == '{"group": "http", "metric": "requests", "pid": "7"}\tcounter\t3\n'
    none = runner.invoke(main, ["cantal", "agent-metrics", "--agent", url,
                                "--label", "metric=nothing"])
    assert (none.exit_code, none.output) == (1, "")
    bad = runner.invoke(main, ["cantal", "agent-metrics", "--agent", url, "--label", "x"])
    assert bad.exit_code == 2


def test_an_answer_that_is_not_cbor_is_a_clear_error() -> None:
    with pytest.raises(cantal.CantalError, match="all_metrics: not CBOR"):
        cantal.decode_agent_metrics(b"\xff\xfe")
