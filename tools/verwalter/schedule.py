"""Schedule preview: run a verwalter scheduler offline, in real Lua 5.3, and check its output.

This is a stand-in named **schedule preview**: verwalter itself runs
``scheduler/v1/main.lua`` only on the elected leader of a live cluster. Here
the same file runs in Lua 5.3 (through :mod:`lupa`, ``lupa.lua53``) with the
same libraries verwalter opens (base, table, string, utf8, math, debug: no
``io``, ``os``, ``coroutine`` or C modules), ``require "a/b"`` resolved to
``scheduler/v1/a/b.lua`` the way verwalter does it, and an input shaped like
verwalter's scheduler input (``now``, ``current_host``, ``current_id``,
``parents``, ``actions``, ``runtime``, ``peers``, ``metrics``).

The result is checked against the output contract: a JSON object, ``nodes``
keyed by hostname with ``roles`` objects, every rendered role ending up with a
``template`` naming an existing ``templates/<template>/`` directory, and
``changes`` a list of strings.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..problems import Problem, Severity
from .lua import DEFAULT_TIMEOUT, open_sandbox

VERWALTER_PORT = 8379
VERWALTER_VERSION = "v0.13.4"
"""What verwalter 0.13.4 hands its templates as ``verwalter_version``."""
_IGNORED = re.compile(r"^\.|~$|\.bak$|^#.*#$")
_DATA_SUFFIXES = {".yaml", ".yml", ".json", ".txt"}
_SCHEDULER = "scheduler/v1/main.lua"


class SchedulerError(RuntimeError):
    """The scheduler could not be loaded or run, or returned something unusable."""


# --- input --------------------------------------------------------------------


def load_runtime(runtime_dir: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Read ``runtime/`` the way verwalter does: one nested object of every data file.

    Directory and file names (extension stripped; a ``.d`` suffix on
    directories stripped too) are keys; ``.yaml``/``.yml``/``.json`` are
    parsed (first YAML document only), ``.txt`` becomes a string, other files
    and hidden or backup names are ignored. A file that does not parse is
    reported and skipped, as verwalter skips it.
    """
    problems: list[Problem] = []

    def scan(directory: Path) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for entry in sorted(directory.iterdir()):
            if _IGNORED.search(entry.name):
                continue
            if entry.is_dir():
                key = entry.name[:-2] if entry.name.endswith(".d") else entry.name
                data[key] = scan(entry)
            elif entry.suffix in _DATA_SUFFIXES:
                value = _read_data(entry, problems)
                if value is not _SKIP:
                    data[entry.stem] = value
        return data

    if not runtime_dir.is_dir():
        return {}, [Problem(str(runtime_dir), 1, "runtime", "no such directory")]
    return scan(runtime_dir), problems


_SKIP = object()


def _read_data(path: Path, problems: list[Problem]) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".txt":
        return text
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", 0)
            problems.append(Problem(str(path), line, "json", str(exc)))
            return _SKIP
    try:
        documents = YAML(typ="safe", pure=True).load_all(text)
        value = next(iter(documents), None)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(str(path), (mark.line + 1) if mark else 0, "yaml",
                                str(exc.problem or exc).strip()))
        return _SKIP
    except YAMLError as exc:
        problems.append(Problem(str(path), 1, "yaml", str(exc)))
        return _SKIP
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(Problem(str(path), 1, "yaml", f"not JSON-compatible: {exc}"))
        return _SKIP
    return value


def preview_id(hostname: str) -> str:
    """A stable fake machine id for *hostname*, for previews without real ids."""
    return hashlib.md5(hostname.encode(), usedforsecurity=False).hexdigest()


def peers_from_hostnames(hostnames: Iterable[str], now_ms: int,
                         port: int = VERWALTER_PORT) -> dict[str, dict[str, Any]]:
    """verwalter-shaped peers for hostnames (ids from :func:`preview_id`)."""
    peers = {}
    for hostname in hostnames:
        pid = preview_id(hostname)
        peers[pid] = {"id": pid, "addr": f"{hostname}:{port}", "name": hostname,
                      "hostname": hostname, "schedule": None, "known_since": now_ms,
                      "last_report_direct": now_ms, "errors": 0}
    return peers


def peers_from_cantal(cantal_peers: Iterable[Mapping[str, Any]], now_ms: int,
                      port: int = VERWALTER_PORT) -> dict[str, dict[str, Any]]:
    """verwalter-shaped peers from cantal's ``/all_peers.json`` records.

    verwalter addresses a peer at the IP cantal saw it at and its *own* port.
    """
    peers = {}
    for record in cantal_peers:
        pid = str(record["id"])
        ip = str(record.get("primary_addr") or "").rsplit(":", 1)[0]
        peers[pid] = {"id": pid, "addr": f"{ip}:{port}" if ip else None,
                      "name": record.get("name") or record.get("hostname"),
                      "hostname": record.get("hostname"), "schedule": None,
                      "known_since": record.get("known_since", now_ms),
                      "last_report_direct": record.get("last_report_direct"), "errors": 0}
    return peers


def make_input(*, runtime: Mapping[str, Any], current_host: str,
               peers: Mapping[str, Any] | None = None, current_id: str | None = None,
               parents: list[Any] | None = None, actions: Mapping[str, Any] | None = None,
               now_ms: int | None = None) -> dict[str, Any]:
    """The scheduler's input, shaped like verwalter's (peers exclude *current_host*)."""
    peers = {k: v for k, v in (peers or {}).items() if v.get("hostname") != current_host}
    return {
        "now": int(time.time() * 1000) if now_ms is None else now_ms,
        "current_host": current_host,
        "current_id": current_id or preview_id(current_host),
        "parents": list(parents or []),
        "actions": {str(k): v for k, v in (actions or {}).items()},
        "runtime": dict(runtime),
        "peers": dict(peers),
        "metrics": {},
    }


# --- running ------------------------------------------------------------------


@dataclass
class SchedulerRun:
    """What one run of the scheduler returned."""

    schedule: dict[str, Any]
    log: str
    duration: float


def run_scheduler(scheduler_dir: Path, scheduler_input: Mapping[str, Any],
                  timeout: float = DEFAULT_TIMEOUT) -> SchedulerRun:
    """Load ``main.lua`` in a fresh sandboxed Lua 5.3 and call its ``scheduler(input)``.

    Raises :class:`SchedulerError` with the Lua message (``main.lua:LINE: ...``)
    when loading or running fails, and for outputs verwalter rejects: ``nil``,
    a non-string, text that is not a JSON object, a missing log string.
    """
    scheduler_dir = scheduler_dir.resolve()
    main = scheduler_dir / "main.lua"
    if not main.is_file():
        raise SchedulerError(f"{main}: no such file (verwalter exits 4)")
    started = time.monotonic()
    sandbox = open_sandbox(scheduler_dir, timeout)
    lua = sandbox.lua
    table = lua.table_from(dict(scheduler_input), recursive=True)
    try:
        stage, module = sandbox.load_main()
        if stage is None:
            ok, first, second = sandbox.call(module, table)
        else:
            ok, first, second = False, stage, module
    except Exception as exc:  # lupa.LuaError, LuaMemoryError
        raise SchedulerError(sandbox.shorten(exc)) from exc
    duration = time.monotonic() - started
    if not ok:
        stage = {"load": "loading main.lua failed", "contract": "main.lua",
                 "run": "scheduler() failed"}[first]
        raise SchedulerError(f"{stage}: {sandbox.shorten(second)}")
    if first is None:
        raise SchedulerError(f"scheduler returned nil (log: {_tail(second)})")
    if not isinstance(second, str | int | float):
        raise SchedulerError("scheduler must return two strings: the schedule JSON and a log; "
                             f"the second value is a {lua.globals().type(second)}")
    if not isinstance(first, str):
        raise SchedulerError("scheduler must return the schedule as a JSON string, "
                             f"not a {lua.globals().type(first)} (encode it with a JSON module)")
    try:
        schedule = json.loads(first)
    except ValueError as exc:
        raise SchedulerError(f"scheduler returned text that is not JSON: {exc}") from exc
    if not isinstance(schedule, dict):
        raise SchedulerError(f"scheduler returned JSON that is not an object: {first[:80]}")
    return SchedulerRun(schedule, str(second), duration)


def _tail(text: object, lines: int = 5) -> str:
    return " | ".join(str(text or "").strip().splitlines()[-lines:]) or "empty"


# --- checking -----------------------------------------------------------------


def build_vars(schedule: Mapping[str, Any], hostname: str, role: str, *,
               deployment_id: str | None = None,
               now: datetime.datetime | None = None) -> dict[str, Any]:
    """The variables verwalter hands ``verwalter_render`` for *role* on *hostname*."""
    merged = role_vars(schedule, hostname, role)
    merged["role"] = role
    merged.setdefault("node", hostname)
    stamp = now or datetime.datetime.now(datetime.UTC)
    merged["timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    merged["deployment_id"] = deployment_id or secrets.token_hex(12)
    merged["verwalter_version"] = VERWALTER_VERSION
    merged["full_schedule"] = dict(schedule)
    return merged


_LUA_WHERE = re.compile(r'([\w./-]+\.lua)"?\]?:(\d+):')


def lua_error_location(message: str) -> tuple[str, int] | None:
    """The ``(file, line)`` a Lua error began at: the last place its message names
    (an error re-raised by ``error(result)`` carries every place it passed).

    >>> lua_error_location("scheduler() failed: main.lua:156: lib/x.lua:4: boom")
    ('lib/x.lua', 4)
    """
    found = list(_LUA_WHERE.finditer(message.split("\nstack traceback:", 1)[0]))
    return (found[-1].group(1), int(found[-1].group(2))) if found else None


def role_vars(schedule: Mapping[str, Any], hostname: str, role: str) -> dict[str, Any]:
    """The variables verwalter merges for *role* on *hostname* (before it adds its own).

    Precedence as verwalter documents it: node role vars, then node vars, then
    role vars, then global vars; objects are merged one level deep.

    >>> role_vars({"vars": {"a": 1, "b": 1}, "roles": {"web": {"template": "web/v1"}},
    ...            "nodes": {"n1": {"vars": {"b": 2}, "roles": {"web": {}}}}}, "n1", "web")
    {'b': 2, 'template': 'web/v1', 'a': 1}
    """
    def obj(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    node = obj(obj(schedule.get("nodes")).get(hostname))
    sources = [obj(obj(node.get("roles")).get(role)), obj(node.get("vars")),
               obj(obj(schedule.get("roles")).get(role)), obj(schedule.get("vars"))]
    merged: dict[str, Any] = {}
    for source in sources:
        for key, value in source.items():
            if key not in merged:
                merged[key] = dict(value) if isinstance(value, dict) else value
            elif isinstance(merged[key], dict) and isinstance(value, dict):
                for inner, inner_value in value.items():
                    merged[key].setdefault(inner, inner_value)
    return merged


def check_schedule(schedule: Mapping[str, Any], tree: Path | None = None,
                   known_hosts: Iterable[str] = (), current_host: str | None = None,
                   file: str = _SCHEDULER) -> list[Problem]:
    """Every way *schedule* breaks the output contract (errors) or looks wrong (warnings)."""
    problems: list[Problem] = []

    def add(key: str, message: str, severity: Severity = "error") -> None:
        problems.append(Problem(file, 1, key, message, severity))

    for key in ("vars", "roles", "nodes"):
        if key in schedule and not isinstance(schedule[key], dict):
            add(key, f"must be an object, found {_kind(schedule[key])}")
    found_roles = schedule.get("roles")
    roles = found_roles if isinstance(found_roles, dict) else {}
    for role, value in roles.items():
        if not isinstance(value, dict):
            add(f"roles.{role}", f"must be an object, found {_kind(value)}")
    changes = schedule.get("changes")
    if changes is not None and not (isinstance(changes, list)
                                    and all(isinstance(c, str) for c in changes)):
        add("changes", "must be a list of strings")
    known = set(known_hosts)
    found_nodes = schedule.get("nodes")
    nodes = found_nodes if isinstance(found_nodes, dict) else {}
    for host, node in nodes.items():
        if known and host not in known:
            add(f"nodes.{host}", f"not a known hostname ({', '.join(sorted(known))}): "
                "nothing will render there", "warning")
        if not isinstance(node, dict):
            add(f"nodes.{host}", f"must be an object, found {_kind(node)}")
            continue
        if "vars" in node and not isinstance(node["vars"], dict):
            add(f"nodes.{host}.vars", f"must be an object, found {_kind(node['vars'])}")
        node_roles = node.get("roles", {})
        if not isinstance(node_roles, dict):
            add(f"nodes.{host}.roles", f"must be an object, found {_kind(node_roles)}")
            continue
        for role, value in node_roles.items():
            key = f"nodes.{host}.roles.{role}"
            if not isinstance(value, dict):
                add(key, f"must be an object, found {_kind(value)}")
                continue
            template = role_vars(schedule, host, role).get("template")
            if not isinstance(template, str):
                add(f"{key}.template", "missing: set roles.<role>.template (verwalter_render "
                    "exits 4 without it)")
            elif tree is not None and not (tree / "templates" / template).is_dir():
                add(f"{key}.template", f"templates/{template}/ does not exist")
            problems.extend(_shadowed(schedule, host, role, file))
    if current_host and nodes and current_host not in nodes and len(known) > 1:
        add("nodes", f"{current_host} (the node running the scheduler) gets nothing: peers "
            "exclude the local node, add input.current_host yourself", "warning")
    return problems


def _shadowed(schedule: Mapping[str, Any], host: str, role: str, file: str) -> list[Problem]:
    """Warn about a key set to different plain values at several levels (ambiguous upstream)."""
    def obj(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    node = obj(obj(schedule.get("nodes")).get(host))
    levels = [(f"nodes.{host}.roles.{role}", obj(obj(node.get("roles")).get(role))),
              (f"nodes.{host}.vars", obj(node.get("vars"))),
              (f"roles.{role}", obj(obj(schedule.get("roles")).get(role))),
              ("vars", obj(schedule.get("vars")))]
    seen: dict[str, tuple[str, Any]] = {}
    problems = []
    for where, source in levels:
        for key, value in source.items():
            if isinstance(value, dict):
                continue
            if key in seen and seen[key][1] != value:
                problems.append(Problem(file, 1, f"{seen[key][0]}.{key}",
                                        f"also set to a different value in {where}; verwalter "
                                        "0.13.4's merge order is ambiguous, set it once",
                                        "warning"))
            seen.setdefault(key, (where, value))
    return problems


def schedule_differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Every place where two schedules differ, as ``path: ours != theirs`` lines.

    >>> schedule_differences({"nodes": {"a": 1, "b": 2}}, {"nodes": {"a": 1, "c": 2}})
    ['nodes.b: 2 != (missing)', 'nodes.c: (missing) != 2']
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found: list[str] = []
        for key in sorted(set(ours) | set(theirs), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in theirs:
                found.append(f"{where}: {json.dumps(ours[key], sort_keys=True)} != (missing)")
            elif key not in ours:
                found.append(f"{where}: (missing) != {json.dumps(theirs[key], sort_keys=True)}")
            else:
                found += schedule_differences(ours[key], theirs[key], where)
        return found
    if ours != theirs:
        return [f"{path or '(top)'}: {json.dumps(ours, sort_keys=True)} != "
                f"{json.dumps(theirs, sort_keys=True)}"]
    return []


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


# --- the whole preview ----------------------------------------------------------


@dataclass
class Preview:
    """A schedule preview: the input given, what came out, and every problem."""

    input: dict[str, Any]
    schedule: dict[str, Any] | None = None
    log: str = ""
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the scheduler ran and its output has no errors."""
        return self.error is None and not any(p.severity == "error" for p in self.problems)

    def error_document(self) -> dict[str, Any] | None:
        """The scheduler's failure as data: kind, message and, when the Lua message
        names one, the file and line it began at (None when it ran)."""
        if self.error is None:
            return None
        document: dict[str, Any] = {"kind": "scheduler", "message": self.error}
        where = lua_error_location(self.error)
        if where is not None:
            document["file"], document["line"] = where
        return document

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``; ``error`` is an object (see :meth:`error_document`)."""
        return {"stand_in": "schedule preview", "ok": self.ok, "error": self.error_document(),
                "schedule": self.schedule, "log": self.log,
                "problems": [p.as_dict() for p in self.problems], "input": self.input}

    def assignments(self) -> dict[str, list[str]]:
        """hostname → roles it will render."""
        nodes = (self.schedule or {}).get("nodes") or {}
        return {host: sorted((node or {}).get("roles") or {}) for host, node in nodes.items()
                if isinstance(node, dict)}


def preview_input(tree: Path, scheduler_input: Mapping[str, Any],
                  timeout: float = DEFAULT_TIMEOUT) -> Preview:
    """Run the tree's scheduler on a whole recorded input, as verwalter gave it.

    *scheduler_input* is what a real leader serves at ``/v1/scheduler_input``
    (runtime, peers, parents and all), so the result can be compared with the
    schedule that leader made (``/v1/schedule``'s ``data``).
    """
    data = dict(scheduler_input)
    missing = [key for key in ("current_host", "runtime", "peers") if key not in data]
    if missing:
        raise SchedulerError(f"the scheduler input lacks {', '.join(missing)}")
    result = Preview(input=data)
    _run_and_check(tree, result, timeout)
    return result


def _run_and_check(tree: Path, result: Preview, timeout: float) -> bool:
    """Run the scheduler on ``result.input`` and check its schedule into *result*.

    Returns whether the scheduler ran (on failure ``result.error`` says why).
    """
    data = result.input
    try:
        run = run_scheduler(tree / "scheduler" / "v1", data, timeout)
    except SchedulerError as exc:
        result.error = str(exc)
        return False
    result.schedule, result.log = run.schedule, run.log
    current = str(data["current_host"])
    hosts = {current} | {str(p.get("hostname")) for p in (data["peers"] or {}).values()}
    result.problems += check_schedule(run.schedule, tree, hosts, current)
    return True


def preview(tree: Path, *, current_host: str, peers: Mapping[str, Any] | None = None,
            parents: list[Any] | None = None, actions: Mapping[str, Any] | None = None,
            now_ms: int | None = None, runtime_dir: Path | None = None,
            timeout: float = DEFAULT_TIMEOUT, check_determinism: bool = True) -> Preview:
    """Run the tree's scheduler on verwalter-shaped input and check what it returns.

    With *check_determinism* the scheduler runs a second time one minute
    later; a different schedule is a warning (every change re-renders every node).
    """
    runtime, problems = load_runtime(runtime_dir or tree / "runtime")
    data = make_input(runtime=runtime, current_host=current_host, peers=peers,
                      parents=parents, actions=actions, now_ms=now_ms)
    result = Preview(input=data, problems=problems)
    if not _run_and_check(tree, result, timeout):
        return result
    if check_determinism:
        later = dict(data, now=data["now"] + 60_000)
        try:
            again = run_scheduler(tree / "scheduler" / "v1", later, timeout)
        except SchedulerError as exc:
            result.problems.append(Problem(_SCHEDULER, 1, "now",
                                           f"fails when run a minute later: {exc}"))
        else:
            if again.schedule != result.schedule:
                result.problems.append(Problem(
                    _SCHEDULER, 1, "now", "the schedule changes with time alone: every "
                    "node re-renders on every run (keep `now` out of the output)", "warning"))
    return result
