"""Deploy: publish a version's runtime metadata, then watch the rollout.

:func:`publish_runtime` writes ``<config-dir>/runtime/<role>/<version>.yaml``
to every node (each write is a temp file and a rename), but only after
checking that the images it names are already on every node: any node may
be the leader, and a schedule pointing at a missing image makes
``lithos_switch`` fail there.

:func:`wait_for_rollout` polls each node's lithos state (the switched-in
process config and the running ``lithos_knot`` processes) and the app's
health endpoint, until every node runs the expected image and answers, or
a deadline passes.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .hosts import Host, LocalHost
from .problems import Problem

VERWALTER_CONFIG = "/etc/verwalter"
LITHOS_PROCESSES = "/etc/lithos/processes"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ROLE = re.compile(r"^[\w-]+$")


class DeployError(RuntimeError):
    """Publishing could not start or did not reach every node."""


# --- publishing -------------------------------------------------------------------


def runtime_path(role: str, version: str, config_dir: str = VERWALTER_CONFIG) -> str:
    """Where verwalter's scheduler finds *version* of *role* (as ``runtime.<role>.<version>``).

    >>> runtime_path("hello", "v2")
    '/etc/verwalter/runtime/hello/v2.yaml'
    """
    return f"{config_dir.rstrip('/')}/runtime/{role}/{version}.yaml"


def check_runtime(role: str, version: str, data: Any) -> list[Problem]:
    """Problems with a runtime entry before it is published."""
    where = f"runtime/{role}/{version}.yaml"
    problems = []
    if not _ROLE.fullmatch(role):
        problems.append(Problem(where, 0, "role", f"{role!r}: use letters, digits, _ and -"))
    if not _NAME.fullmatch(version) or version.endswith(("~", ".bak")):
        problems.append(Problem(where, 0, "version", f"{version!r}: verwalter would ignore or "
                                "mangle it (hidden, backup or odd characters)"))
    if not isinstance(data, dict):
        problems.append(Problem(where, 0, "(top)", "must be a mapping"))
        return problems
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(Problem(where, 0, "(top)", f"must be JSON-compatible: {exc}"))
    daemons = data.get("daemons", {})
    if not isinstance(daemons, dict):
        problems.append(Problem(where, 0, "daemons", "must be a mapping name -> daemon"))
        return problems
    for name, daemon in daemons.items():
        if not isinstance(daemon, dict):
            problems.append(Problem(where, 0, f"daemons.{name}", "must be a mapping"))
            continue
        image, config = daemon.get("image"), daemon.get("config")
        if not isinstance(image, str) or not image or image.startswith("/") or ".." in image:
            problems.append(Problem(where, 0, f"daemons.{name}.image",
                                    "must be a relative image directory name"))
        if not isinstance(config, str) or not config.startswith("/"):
            problems.append(Problem(where, 0, f"daemons.{name}.config",
                                    "must be the absolute path of the config in the image"))
    return problems


def dump_yaml(data: Any) -> str:
    """*data* as block-style YAML."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    stream = StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def missing_images(hosts: Mapping[str, Host], image_dir: str,
                   data: Mapping[str, Any]) -> dict[str, list[str]]:
    """node → ``image/config`` paths of *data*'s daemons that are not on it."""
    wanted = sorted({f"{d['image']}{d['config']}" for d in (data.get("daemons") or {}).values()
                     if isinstance(d, dict) and "image" in d and "config" in d})
    if not wanted:
        return {}
    base = image_dir.rstrip("/")
    script = "; ".join(f"[ -f {shlex.quote(f'{base}/{w}')} ] || echo {shlex.quote(w)}"
                       for w in wanted)
    missing = {}
    for name, host in hosts.items():
        result = host.run(script, timeout=60)
        if result.exit_status not in (0, 1) or result.timed_out:
            raise DeployError(f"{name}: cannot look for images: {result.stderr.strip()}")
        absent = [line for line in result.stdout.splitlines() if line]
        if absent:
            missing[name] = absent
    return missing


@dataclass
class PublishResult:
    """Which nodes got the runtime file."""

    path: str
    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every node has the file."""
        return not self.failed


def publish_runtime(hosts: Mapping[str, Host], role: str, version: str, data: Mapping[str, Any],
                    *, config_dir: str = VERWALTER_CONFIG, image_dir: str | None = None
                    ) -> PublishResult:
    """Write ``runtime/<role>/<version>.yaml`` to every host, images checked first.

    With *image_dir*, every daemon's ``<image-dir>/<image><config>`` must exist on
    every host, or nothing is written. Each host's write is atomic; a host
    that fails is reported and the others still get the file.
    """
    problems = check_runtime(role, version, dict(data))
    if problems:
        raise DeployError("; ".join(str(p) for p in problems))
    if image_dir is not None:
        absent = missing_images(hosts, image_dir, data)
        if absent:
            detail = "; ".join(f"{node}: {', '.join(paths)}" for node, paths in absent.items())
            raise DeployError(f"push the images first, nothing was published ({detail})")
    path = runtime_path(role, version, config_dir)
    text = dump_yaml(dict(data)).encode()
    result = PublishResult(path)
    for name, host in hosts.items():
        try:
            host.put_file(path, text, owner="root:root", mode=0o644)
        except Exception as exc:  # any transport error: report, continue with the others
            result.failed[name] = str(exc)
        else:
            result.written.append(name)
    return result


# --- rollout ------------------------------------------------------------------------


_PROBE = r"""
import json, os, sys, urllib.request
processes, health_url = sys.argv[1], sys.argv[2]
out = {"processes": None, "knots": [], "health": None}
try:
    with open(processes) as f:
        out["processes"] = f.read()
except OSError as exc:
    out["processes_error"] = str(exc)
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        continue
    if argv and os.path.basename(argv[0]) == "lithos_knot":
        out["knots"].append(argv)
if health_url:
    try:
        with urllib.request.urlopen(health_url, timeout=3) as response:
            out["health"] = {"status": response.status, "body": response.read(200).decode()}
    except Exception as exc:
        status = getattr(exc, "code", None)
        out["health"] = {"status": status, "error": str(exc)}
print(json.dumps(out))
"""


@dataclass
class NodeRollout:
    """One node's state as seen by one probe."""

    node: str
    switched: dict[str, str] = field(default_factory=dict)
    """process name → image, from the process config lithos_switch installed."""
    running: dict[str, int] = field(default_factory=dict)
    """process name → number of running lithos_knot instances."""
    health: int | None = None
    ok: bool = False
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {"node": self.node, "ok": self.ok, "switched": self.switched,
                "running": self.running, "health": self.health, "detail": self.detail}


def assess(node: str, probe: Mapping[str, Any], sandbox: str, image: str,
           expect_health: bool) -> NodeRollout:
    """Decide from one probe whether *node* runs *image* in *sandbox* and answers."""
    status = NodeRollout(node)
    text = probe.get("processes")
    if text is None:
        status.detail = f"no process config: {probe.get('processes_error', 'missing')}"
        return status
    try:
        entries = YAML(typ="safe", pure=True).load(text) or {}
    except Exception as exc:
        status.detail = f"process config does not parse: {exc}"
        return status
    wanted: dict[str, int] = {}
    for name, entry in (entries.items() if isinstance(entries, dict) else []):
        if isinstance(entry, dict) and entry.get("kind", "Daemon") == "Daemon":
            status.switched[str(name)] = str(entry.get("image"))
            wanted[str(name)] = int(entry.get("instances", 1))
    for argv in probe.get("knots", []):
        if "--name" in argv:
            full = argv[argv.index("--name") + 1]
            owner, _, instance = full.partition("/")
            if owner == sandbox:
                proc = instance.rsplit(".", 1)[0]
                status.running[proc] = status.running.get(proc, 0) + 1
    health = probe.get("health")
    status.health = health.get("status") if isinstance(health, dict) else None
    wrong = sorted(n for n, i in status.switched.items() if i != image)
    short = sorted(n for n, count in wanted.items() if status.running.get(n, 0) < count)
    if not status.switched:
        status.detail = f"no daemons in the process config of {sandbox}"
    elif wrong:
        status.detail = f"{', '.join(wrong)} still on {status.switched[wrong[0]]}"
    elif short:
        status.detail = f"waiting for {', '.join(short)} to run"
    elif expect_health and status.health != 200:
        status.detail = f"health check: {health}"
    else:
        status.ok = True
        status.detail = "running " + image
    return status


def probe_node(host: Host, sandbox: str, health_url: str | None = None,
               processes_dir: str = LITHOS_PROCESSES) -> dict[str, Any]:
    """Collect the node's lithos process config, lithos_knot processes and health answer."""
    path = f"{processes_dir.rstrip('/')}/{sandbox}.yaml"
    command = (f"python3 -c {shlex.quote(_PROBE)} {shlex.quote(path)} "
               f"{shlex.quote(health_url or '')}")
    result = host.run(command, timeout=30)
    if not result.ok:
        return {"processes": None, "processes_error": f"probe failed: {result.stderr.strip()}"}
    return json.loads(result.stdout)


def wait_for_rollout(hosts: Mapping[str, Host], sandbox: str, image: str, *,
                     health_url: str | None = None, deadline: float = 120,
                     interval: float = 1.0, processes_dir: str = LITHOS_PROCESSES,
                     on_poll: Callable[[dict[str, NodeRollout]], None] | None = None
                     ) -> dict[str, NodeRollout]:
    """Poll every node until all run *image* (and answer *health_url*), or *deadline* passes.

    Returns the last status of every node; check ``all(s.ok ...)``.
    """
    end = time.monotonic() + deadline
    statuses: dict[str, NodeRollout] = {}
    while True:
        for name, host in hosts.items():
            if name in statuses and statuses[name].ok:
                continue
            probe = probe_node(host, sandbox, health_url, processes_dir)
            statuses[name] = assess(name, probe, sandbox, image, health_url is not None)
        if on_poll is not None:
            on_poll(statuses)
        if all(s.ok for s in statuses.values()) or time.monotonic() >= end:
            return statuses
        time.sleep(interval)


class LocalRoot(LocalHost):
    """This machine's directory *root* as a :class:`tools.hosts.Host` (paths under it).

    Commands run with *root* as working directory, so callers pass paths
    relative to it; :meth:`tools.hosts.LocalHost.put_file` maps absolute paths under *root*.
    """

    def __init__(self, root: Path, name: str = "local") -> None:
        super().__init__(name, root)
