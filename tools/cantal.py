"""cantal: the agent's command line and unit file, its HTTP API, and its metrics files.

Three jobs, all plain data in and out:

* :class:`AgentOptions` → the ``cantal-agent`` argv (long flags only: the
  short ones collide upstream) and a systemd unit.
* A small HTTP client (:func:`add_host`, :func:`all_peers`, :func:`agent_metrics`,
  :func:`status`, :func:`wait_for_peers`) over :mod:`urllib`.
* A reader of the metrics files an application writes under ``CANTAL_PATH``
  (``<path>.meta`` + ``<path>.values``, the format of cantal's "mmap
  protocol"), so the app's metrics can be read without the agent.

>>> agent_argv(AgentOptions(host="0.0.0.0", cluster_name="tutorial"))
['cantal-agent', '--host', '0.0.0.0', '--port', '22682', '--cluster-name', 'tutorial']
>>> parse_meta("counter 8: {\\"metric\\": \\"requests\\"}")[0][0].kind
'counter'
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import socket
import struct
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2

from .problems import Problem
from .systemd import service_unit

DEFAULT_PORT = 22682
"""cantal's HTTP (TCP) and gossip (UDP) port."""
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


# --- the agent's command line -------------------------------------------------


@dataclass(frozen=True)
class AgentOptions:
    """The ``cantal-agent`` flags the tutorial uses."""

    host: str = "127.0.0.1"
    """Bind address for HTTP and gossip; peers must reach it (``0.0.0.0`` or the node IP)."""
    port: int = DEFAULT_PORT
    cluster_name: str | None = None
    """Without it the agent never gossips: no peers, so verwalter never gets a quorum."""
    storage_dir: str | None = None
    """Where peers and history persist (``/var/lib/cantal`` by convention)."""
    bind_localhost: bool = False
    """Also bind 127.0.0.1 when *host* is a specific address (verwalter asks 127.0.0.1)."""
    node_name: str | None = None
    binary: str = "cantal-agent"


def agent_argv(options: AgentOptions) -> list[str]:
    """The argv that starts the agent with *options* (long flags only)."""
    argv = [options.binary, "--host", options.host, "--port", str(options.port)]
    if options.cluster_name:
        argv += ["--cluster-name", options.cluster_name]
    if options.node_name:
        argv += ["--node-name", options.node_name]
    if options.storage_dir:
        argv += ["--storage-dir", options.storage_dir]
    if options.bind_localhost:
        argv.append("--bind-localhost")
    return argv


def check_options(options: AgentOptions, cluster_size: int = 1) -> list[Problem]:
    """Settings that leave a multi-node cluster silently single-node."""
    where = "cantal-agent"
    problems: list[Problem] = []
    if cluster_size > 1 and not options.cluster_name:
        problems.append(Problem(where, 0, "--cluster-name",
                                "missing: the agent will not discover peers"))
    if cluster_size > 1 and options.host in ("127.0.0.1", "localhost"):
        problems.append(Problem(where, 0, "--host",
                                "bound to loopback: peers cannot reach this agent"))
    if options.host not in ("0.0.0.0", "127.0.0.1", "localhost") and not options.bind_localhost:
        problems.append(Problem(where, 0, "--bind-localhost",
                                "missing: verwalter asks 127.0.0.1 for peers"))
    if not 0 < options.port < 65536:
        problems.append(Problem(where, 0, "--port", f"{options.port} is not a port"))
    return problems


def systemd_unit(options: AgentOptions, binary_path: str = "/usr/bin/cantal-agent") -> str:
    """A systemd service unit that runs the agent with *options*."""
    argv = agent_argv(options)
    argv[0] = binary_path
    service = ([f"ExecStartPre=/bin/mkdir -p {shlex.quote(options.storage_dir)}"]
               if options.storage_dir else [])
    return service_unit(
        ["Description=cantal monitoring agent (peer discovery for verwalter)",
         "After=network-online.target", "Wants=network-online.target"],
        [*service, f"ExecStart={shlex.join(argv)}"])


# --- the HTTP API -------------------------------------------------------------


class CantalError(RuntimeError):
    """The agent could not be reached or answered something unexpected."""


def _request(url: str, body: dict[str, Any] | None = None, timeout: float = 5) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise CantalError(f"{url}: {exc}") from exc
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise CantalError(f"{url}: not JSON: {payload[:200]!r}") from exc


def peer_address(peer: str, port: int = DEFAULT_PORT) -> str:
    """``ip:port`` for *peer* (``name``, ``name:port``, ``ip`` or ``ip:port``).

    The agent takes only an IP address: given a host *name*, cantal-agent 0.6.10 drops the
    connection without an answer. So names are looked up here (IPv4, as the agents gossip).

    >>> peer_address("127.0.0.1")
    '127.0.0.1:22682'
    >>> peer_address("localhost:1234")
    '127.0.0.1:1234'
    """
    name, sep, port_text = peer.rpartition(":")
    if not sep:
        name, port_text = peer, str(port)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise CantalError(f"{peer}: {port_text!r} is not a port")
    try:
        ipaddress.IPv4Address(name)
        return f"{name}:{port_text}"
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, int(port_text), socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        raise CantalError(f"{name}: cannot look up its address ({exc})") from exc
    return f"{found[0][4][0]}:{port_text}"


def add_host(addr: str, agent: str = DEFAULT_URL, timeout: float = 5) -> str:
    """Tell the agent at *agent* about a peer at *addr* so gossip joins them.

    *addr* is a host name or IP, with an optional ``:port``; a name is looked up first
    (:func:`peer_address`). Returns the ``ip:port`` sent. The agent answers
    ``{"ok": true}`` without checking the peer answers; use :func:`wait_for_peers` to see
    the join happen.
    """
    addr = peer_address(addr)
    answer = _request(f"{agent.rstrip('/')}/add_host.json", {"addr": addr}, timeout)
    if not (isinstance(answer, dict) and answer.get("ok") is True):
        raise CantalError(f"add_host {addr}: unexpected answer {answer!r}")
    return addr


def all_peers(agent: str = DEFAULT_URL, timeout: float = 5) -> list[dict[str, Any]]:
    """The peers the agent knows (never itself), as the agent describes them."""
    answer = _request(f"{agent.rstrip('/')}/all_peers.json", timeout=timeout)
    if not isinstance(answer, dict) or not isinstance(answer.get("peers"), list):
        raise CantalError(f"all_peers: unexpected answer {str(answer)[:200]}")
    return answer["peers"]


@dataclass(frozen=True)
class AgentMetric:
    """One metric as the agent serves it: its key (labels), when it was read, its value."""

    labels: dict[str, str]
    timestamp_ms: int
    kind: str
    value: int | float | str | None

    def as_dict(self) -> dict[str, object]:
        """The metric as plain data, for ``--json``."""
        return {"labels": self.labels, "timestamp_ms": self.timestamp_ms, "kind": self.kind,
                "value": self.value}


_VALUE_KINDS = {0: "state", 1: "counter", 2: "level", 3: "level"}
"""cantal's value tags in ``all_metrics`` (``[tag, value]``), as 0.6.10 sends them: a state
(``[timestamp, text]``), a counter, a signed integer level and a float level."""


def decode_agent_metrics(payload: bytes) -> list[AgentMetric]:
    """Decode ``/all_metrics.json``: despite its name cantal-agent 0.6.10 sends CBOR.

    The answer is ``{"metrics": [[key, timestamp, [tag, value]], ...]}`` where each key is
    itself a CBOR-encoded map of labels (``{"metric": "memory.MemTotal"}``, or the app's
    labels plus ``pid`` for application metrics).

    >>> import cbor2
    >>> key = cbor2.dumps({"metric": "requests", "group": "http"})
    >>> decode_agent_metrics(cbor2.dumps({"metrics": [[key, 5, [1, 3]]]}))[0].value
    3
    """
    try:
        data = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, EOFError) as exc:
        raise CantalError(f"all_metrics: not CBOR: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        raise CantalError(f"all_metrics: unexpected answer {str(data)[:200]}")
    found = []
    for item in data["metrics"]:
        key, stamp, value = item
        labels = cbor2.loads(key) if isinstance(key, bytes) else key
        tag, raw = (value[0], value[1]) if isinstance(value, list) and len(value) > 1 else (
            None, value)
        if isinstance(raw, list):  # a state: [timestamp, text]
            raw = raw[-1] if raw else None
        kind = _VALUE_KINDS.get(tag, "") if isinstance(tag, int) else ""
        found.append(AgentMetric({str(k): str(v) for k, v in dict(labels).items()},
                                 int(stamp), kind or f"type {tag}", raw))
    return found


def agent_metrics(agent: str = DEFAULT_URL, timeout: float = 5) -> list[AgentMetric]:
    """Every metric the agent collected (the node's, its processes' and the apps')."""
    url = f"{agent.rstrip('/')}/all_metrics.json"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise CantalError(f"{url}: {exc}") from exc
    return decode_agent_metrics(payload)


def status(agent: str = DEFAULT_URL, timeout: float = 5) -> dict[str, Any]:
    """The agent's ``/status.json`` (version, peers count, scan timings...)."""
    answer = _request(f"{agent.rstrip('/')}/status.json", timeout=timeout)
    if not isinstance(answer, dict):
        raise CantalError(f"status: unexpected answer {str(answer)[:200]}")
    return answer


def peer_hostnames(peers: list[dict[str, Any]]) -> list[str]:
    """The sorted hostnames of *peers* (as verwalter's scheduler will see them)."""
    return sorted(str(p.get("hostname") or p.get("name") or p.get("id")) for p in peers)


def wait_for_peers(expected: set[str], agent: str = DEFAULT_URL, deadline: float = 60,
                   interval: float = 0.5) -> list[dict[str, Any]]:
    """Poll ``all_peers.json`` until every hostname in *expected* is listed.

    Raises :class:`CantalError` naming the missing ones when *deadline*
    seconds pass first.
    """
    end = time.monotonic() + deadline
    last: list[dict[str, Any]] = []
    last_error = ""
    while True:
        try:
            last = all_peers(agent)
            last_error = ""
        except CantalError as exc:
            last_error = str(exc)
        missing = expected - set(peer_hostnames(last))
        if not missing and not last_error:
            return last
        if time.monotonic() >= end:
            seen = ", ".join(peer_hostnames(last)) or "none"
            raise CantalError(f"after {deadline:g}s still missing {sorted(missing)} "
                              f"(seen: {seen}){'; ' + last_error if last_error else ''}")
        time.sleep(interval)


# --- metrics files ------------------------------------------------------------


@dataclass(frozen=True)
class MetaEntry:
    """One line of a ``.meta`` file: a value of *size* bytes at *offset* (or padding)."""

    kind: str
    """``counter``, ``level``, ``state`` or ``pad``."""
    size: int
    param: str | None
    labels: dict[str, str]
    offset: int
    line: int


@dataclass(frozen=True)
class Metric:
    """One decoded value from a ``.values`` file."""

    kind: str
    labels: dict[str, str]
    value: int | float | str | None
    timestamp_ms: int | None = None
    """For ``state`` values: when the state was entered (``None`` = no state)."""

    def as_dict(self) -> dict[str, object]:
        """The metric as plain data, for ``--json``."""
        data: dict[str, object] = {"kind": self.kind, "labels": self.labels,
                                   "value": self.value}
        if self.kind == "state":
            data["timestamp_ms"] = self.timestamp_ms
        return data


_SIZES = {"counter": {8}, "level": {8}}
_LEVEL_PARAMS = {"signed": "q", "float": "d"}


def parse_meta(text: str, file: str = "<meta>") -> tuple[list[MetaEntry], list[Problem]]:
    """Parse a ``.meta`` text; return its entries (with offsets) and every problem.

    Lines: ``TYPE SIZE [PARAM]: JSON`` or ``pad SIZE``. The JSON is a one-line
    object of strings; label sets are unique within a file.
    """
    entries: list[MetaEntry] = []
    problems: list[Problem] = []
    offset = 0
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        head, sep, rest = line.partition(":")
        words = head.split()
        if not words:
            problems.append(Problem(file, lineno, "type", "missing type"))
            continue
        kind = words[0]
        if kind not in ("counter", "level", "state", "pad"):
            problems.append(Problem(file, lineno, "type", f"unknown type {kind!r}"))
            continue
        try:
            size = int(words[1])
        except (IndexError, ValueError):
            problems.append(Problem(file, lineno, "size", "missing or not an integer"))
            continue
        param = words[2] if len(words) > 2 else None
        size_ok = {"pad": 1 <= size <= 65535, "state": 16 <= size <= 65535}.get(
            kind, size in _SIZES.get(kind, set()))
        if not size_ok:
            problems.append(Problem(file, lineno, "size", f"{size} is not allowed for {kind}"))
        if kind == "level" and param not in _LEVEL_PARAMS:
            problems.append(Problem(file, lineno, "param",
                                    f"level needs 'signed' or 'float', found {param!r}"))
        elif kind != "level" and param is not None:
            problems.append(Problem(file, lineno, "param", f"unexpected {param!r}"))
        labels: dict[str, str] = {}
        if kind != "pad":
            if not sep:
                problems.append(Problem(file, lineno, "labels", "missing ': {json}'"))
            else:
                try:
                    loaded = json.loads(rest)
                except ValueError as exc:
                    problems.append(Problem(file, lineno, "labels", f"not JSON: {exc}"))
                    loaded = {}
                if not isinstance(loaded, dict) or not all(
                        isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()):
                    problems.append(Problem(file, lineno, "labels",
                                            "must be an object of string values"))
                else:
                    labels = loaded
                key = json.dumps(labels, sort_keys=True)
                if key in seen:
                    problems.append(Problem(file, lineno, "labels",
                                            f"same labels as line {seen[key]}"))
                seen.setdefault(key, lineno)
        entries.append(MetaEntry(kind, size, param, labels, offset, lineno))
        offset += size
    return entries, problems


def decode_values(entries: list[MetaEntry], values: bytes) -> list[Metric]:
    """Decode *values* (host byte order) along *entries*; padding is skipped."""
    metrics: list[Metric] = []
    for entry in entries:
        if entry.kind == "pad":
            continue
        chunk = values[entry.offset:entry.offset + entry.size]
        if len(chunk) < entry.size:
            metrics.append(Metric(entry.kind, entry.labels, None))
            continue
        if entry.kind == "counter":
            metrics.append(Metric("counter", entry.labels, struct.unpack("=Q", chunk)[0]))
        elif entry.kind == "level":
            code = _LEVEL_PARAMS.get(entry.param or "", "q")
            metrics.append(Metric("level", entry.labels, struct.unpack("=" + code, chunk)[0]))
        else:
            stamp = struct.unpack("=Q", chunk[:8])[0]
            text = chunk[8:].split(b"\0", 1)[0].decode("utf-8", "replace")
            metrics.append(Metric("state", entry.labels, text if stamp else None,
                                  stamp or None))
    return metrics


@dataclass
class MetricsFile:
    """The metrics found at one ``CANTAL_PATH``."""

    path: str
    metrics: list[Metric] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def find(self, **labels: str) -> Metric:
        """The one metric whose labels include *labels*."""
        found = [m for m in self.metrics if labels.items() <= m.labels.items()]
        if len(found) != 1:
            raise KeyError(f"{len(found)} metrics match {labels}")
        return found[0]


def read_metrics(cantal_path: str | Path) -> MetricsFile:
    """Read ``<cantal_path>.meta`` and ``<cantal_path>.values`` as the agent would.

    The values are read after the meta file, as a snapshot; a values file
    shorter than the meta file promises is a problem and the missing values
    are ``None``.
    """
    base = str(cantal_path)
    meta_path, values_path = base + ".meta", base + ".values"
    result = MetricsFile(base)
    try:
        meta = Path(meta_path).read_text()
        values = Path(values_path).read_bytes()
    except OSError as exc:
        result.problems.append(Problem(exc.filename or base, 0, "path", exc.strerror or str(exc)))
        return result
    entries, result.problems = parse_meta(meta, meta_path)
    expected = sum(e.size for e in entries)
    if len(values) < expected:
        result.problems.append(Problem(values_path, 0, "size",
                                       f"{len(values)} bytes, the meta file needs {expected}"))
    result.metrics = decode_values(entries, values)
    return result


def discover_metric_paths(proc: Path = Path("/proc")) -> dict[int, str]:
    """``pid → CANTAL_PATH`` for every process that announces one, like the agent's scan.

    The path is returned as seen from inside the process' root
    (``/proc/<pid>/root/<path>``), so it works for containerised processes.
    """
    found: dict[int, str] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(b"CANTAL_PATH="):
                path = item[len(b"CANTAL_PATH="):].decode("utf-8", "replace")
                found[int(entry.name)] = os.path.join(str(entry / "root"), path.lstrip("/"))
    return found
