"""lithos configuration files: typed models and validators (lithos 0.18.4 rules).

Stable API (other modules import these; extend, don't rename):

* ``validate_master(text_or_path, filename=None) -> list[Problem]``
* ``validate_sandbox(text_or_path, filename=None) -> list[Problem]``
* ``validate_process(text_or_path, filename=None, sandbox=None, image_dir=None)
  -> list[Problem]``
* ``validate_container(text_or_path, filename=None, sandbox=None) -> list[Problem]``
* ``parse_master / parse_sandbox / parse_process / parse_container(text_or_path,
  filename=None) -> (model or None, list[Problem])``
* models :class:`MasterConfig`, :class:`SandboxConfig`, :class:`ProcessEntry`,
  :class:`ContainerConfig`, :class:`Volume`, :class:`TcpPort`.

``text_or_path`` is the file's text when a ``str``, and is read from disk
when a :class:`~pathlib.Path`. ``sandbox`` is a :class:`SandboxConfig`, or a
``Path``/text of a sandbox file. ``image_dir`` (a local directory laid out
like the sandbox's ``image-dir``) turns on the checks that need the image:
the image directory and its container config exist, declared variables
have valid values, the container's kind suits the entry.

Problems carry the dotted key path, e.g. ``volumes./state`` or
``web.image``. Checks follow the code of lithos 0.18.4 where docs and code
differ (``workdir`` not ``work-dir``, ``syslog-app-name``, ``!Persistent``
takes a mapping, ``bridged-network`` needs ``default-gateway``).

>>> [str(p) for p in validate_master("syslog-name: lithos\\n", "master.yaml")]
["master.yaml:1: syslog-name: unknown key (did you mean 'syslog-app-name'?)"]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from ..problems import Problem, Severity
from ..quire import (
    INVALID,
    TOP,
    Anything,
    Bool,
    Enum,
    Int,
    Mapping,
    Node,
    Record,
    Schema,
    Seq,
    Str,
    Struct,
    TagValue,
    read_checked,
)

__all__ = [
    "ContainerConfig",
    "MasterConfig",
    "ProcessEntry",
    "SandboxConfig",
    "TcpPort",
    "Volume",
    "parse_container",
    "parse_master",
    "parse_process",
    "parse_sandbox",
    "validate_container",
    "validate_master",
    "validate_process",
    "validate_sandbox",
]

T = TypeVar("T")

BUILTIN_VARIABLES = ("lithos:name", "lithos:config_filename", "lithos:pid")
NAME_RE = re.compile(r"^[\w-]+$")
SECRET_NAMESPACE_RE = re.compile(r"^[a-zA-Z0-9_.-]*$")
VAR_RE = re.compile(r"@\{([^}]*)\}")


# --------------------------------------------------------------------------- scalar checks


def _ip(text: str) -> str | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"not an IP address: {text!r}"
    return None


def _cidr(text: str) -> str | None:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return f"not a network in CIDR notation: {text!r}"
    return None


def _range(text: str) -> str | None:
    if parse_range(text) is None:
        return f"not an id range: {text!r} (write N or \"A-B\" with A <= B)"
    return None


def parse_range(text: str) -> tuple[int, int] | None:
    """``"5"`` -> (5, 5); ``"1-10"`` -> (1, 10); anything else -> None.

    >>> parse_range("1-1000"), parse_range("77"), parse_range("9-1")
    ((1, 1000), (77, 77), None)
    """
    match = re.fullmatch(r"\+?(\d+)(?:-\+?(\d+))?", text)
    if not match:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if start > end or end > 0xFFFFFFFF:
        return None
    return start, end


def _namespace(text: str) -> str | None:
    if not SECRET_NAMESPACE_RE.match(text):
        return f"secret namespace {text!r} may only contain letters, digits, '_', '.', '-'"
    return None


def _choices(*allowed: str) -> Any:
    def validate(text: str) -> str | None:
        if text not in allowed:
            return f"must be one of {', '.join(allowed)}; got {text!r}"
        return None
    return validate


# --------------------------------------------------------------------------- schemas

RANGES = Seq(Str(validate=_range))


def _id_map() -> Seq:
    return Seq(Struct({"inside": Int(rust="u32"), "outside": Int(rust="u32"),
                       "count": Int(rust="u32")}))


MASTER_SCHEMA = Struct({
    "sandboxes-dir": Str(default="./sandboxes"),
    "processes-dir": Str(default="./processes"),
    "runtime-dir": Str(default="/run/lithos"),
    "state-dir": Str(default="state"),
    "mount-dir": Str(default="mnt"),
    "devfs-dir": Str(default="/var/lib/lithos/dev"),
    "default-log-dir": Str(default="/var/log/lithos"),
    "syslog-facility": Str(optional=True),
    "syslog-app-name": Str(default="lithos"),
    "log-file": Str(default="master.log"),
    "log-level": Str(default="warn"),
    "config-log-dir": Str(optional=True, default="/var/log/lithos/config"),
    "stdio-log-dir": Str(default="/var/log/lithos/stderr"),
    "cgroup-name": Str(optional=True, default="lithos.slice"),
    "cgroup-controllers": Seq(Str()),
})

SANDBOX_SCHEMA = Struct({
    "config-file": Str(optional=True),
    # a String with a default in lithos 0.18.4: an explicit null is refused
    "image-dir": Str(default="/var/lib/lithos/containers"),
    "image-dir-levels": Int(min=1, max=16, default=1),
    "used-images-list": Str(optional=True),
    "log-file": Str(optional=True),
    "log-level": Str(optional=True),
    "readonly-paths": Mapping(Str()),
    "writable-paths": Mapping(Str()),
    "allow-users": RANGES,
    "default-user": Int(optional=True, units=False, rust="u32"),
    "allow-groups": RANGES,
    "default-group": Int(default=0, units=False, rust="u32"),
    "allow-tcp-ports": RANGES,
    "uid-map": _id_map(),
    "gid-map": _id_map(),
    "additional-hosts": Mapping(Str()),
    "auto-clean": Bool(default=True),
    "hosts-file": Str(default="/etc/hosts"),
    "resolv-conf": Str(default="/etc/resolv.conf"),
    "bridged-network": Struct({
        "bridge": Str(),
        "network": Str(validate=_cidr),
        # lithos 0.18.4 requires it; only later versions made it optional
        "default-gateway": Str(validate=_ip),
        "after-setup-command": Seq(Str()),
    }, optional=True),
    "secrets-private-key": Str(optional=True),
    "secrets-namespaces": Seq(Str(validate=_namespace)),
})

PROCESS_ENTRY_SCHEMA = Struct({
    "instances": Int(min=0, default=1, rust="usize"),
    "image": Str(),
    "config": Str(),
    "variables": Mapping(Str()),
    "extra-secrets-namespaces": Seq(Str(validate=_namespace)),
    "kind": Str(default="Daemon", validate=_choices("Daemon", "Command")),
    "ip-addresses": Seq(Str(validate=_ip)),
})

PROCESS_SCHEMA = Mapping(PROCESS_ENTRY_SCHEMA)

VOLUME_SCHEMA = Enum({
    "Persistent": Struct({
        "path": Str(default="/"),
        "mkdir": Bool(default=False),
        "mode": Int(min=0, max=0o1777, default=0o777),
        "user": Int(default=0, rust="u32"),
        "group": Int(default=0, rust="u32"),
    }),
    "Readonly": Str(),
    "Tmpfs": Struct({
        "size": Int(min=0, default=100 * 1024 * 1024, rust="u64"),
        "mode": Int(min=0, max=0o1777, default=0o777),
    }),
    "Statedir": Struct({
        "path": Str(default="/"),
        "mode": Int(min=0, max=0o1777, default=0o777),
        "user": Int(default=0, rust="u32"),
        "group": Int(default=0, rust="u32"),
    }),
})


class _StrOrList(Schema):
    """A secret value: one string or a list of strings."""

    def check(self, node: Node, ctx: Any, key: str) -> Any:
        if node.kind == "seq":
            return Seq(Str()).check(node, ctx, key)
        value = Str().check(node, ctx, key)
        return INVALID if value is INVALID else [value]


CONTAINER_SCHEMA = Struct({
    "kind": Str(default="Daemon", validate=_choices("Daemon", "Command", "CommandOrDaemon")),
    "variables": Mapping(Enum({
        "TcpPort": Struct({"activation": Enum({"systemd": None, "none": None},
                                               allow_plain=True, default="none")}),
        "Name": None,
        "DottedName": None,
        "Choice": Seq(Str()),
    })),
    "metadata": Anything(),
    "volumes": Mapping(VOLUME_SCHEMA),
    "user-id": Int(optional=True, rust="u32"),
    "group-id": Int(optional=True, rust="u32"),
    "memory-limit": Int(default=0x7FFFFFFFFFFFFFFF, rust="u64"),
    "fileno-limit": Int(default=1024, rust="u64"),
    "cpu-shares": Int(default=1024, rust="usize"),
    "restart-timeout": Int(min=0, max=86400, default=1),
    "kill-timeout": Int(min=0, max=86400, default=5),
    "executable": Str(),
    "arguments": Seq(Str()),
    "environ": Mapping(Str(has_default=False)),
    "secret-environ": Mapping(_StrOrList()),
    "secret-environ-file": Str(optional=True),
    "workdir": Str(default="/"),
    "resolv-conf": Struct({
        "mount": Bool(optional=True),
        "copy-from-host": Bool(default=True),
    }),
    "hosts-file": Struct({
        "mount": Bool(optional=True),
        "copy-from-host": Bool(default=True),
        "localhost": Bool(optional=True),
        "public-hostname": Bool(optional=True),
    }),
    "uid-map": _id_map(),
    "gid-map": _id_map(),
    "stdout-stderr-file": Str(optional=True),
    "interactive": Bool(default=False),
    "restart-process-only": Bool(default=False),
    "normal-exit-codes": Seq(Int(rust="i32"), optional=True),
    "tcp-ports": Mapping(Struct({
        "host": Str(default="0.0.0.0", validate=_ip),
        # lithos' validator marks fd optional, but deserialising fails without it
        "fd": Int(min=0, rust="i32"),
        "reuse-addr": Bool(default=True),
        "reuse-port": Bool(default=False),
        "set-non-block": Bool(default=False),
        "listen-backlog": Int(default=128, units=False, rust="usize"),
        "external": Bool(default=False),
    })),
})


# --------------------------------------------------------------------------- models


@dataclass
class MasterConfig:
    """``/etc/lithos/master.yaml``, its defaults filled in (they are the schema's,
    ``MASTER_SCHEMA``, the one place that says them)."""

    sandboxes_dir: str
    processes_dir: str
    runtime_dir: str
    devfs_dir: str
    default_log_dir: str
    config_log_dir: str | None
    stdio_log_dir: str
    cgroup_name: str | None
    cgroup_controllers: list[str]
    raw: dict[str, Any] = field(repr=False)


@dataclass
class SandboxConfig:
    """``/etc/lithos/sandboxes/<name>.yaml`` (defaults filled in)."""

    name: str = ""
    image_dir: str = "/var/lib/lithos/containers"
    image_dir_levels: int = 1
    readonly_paths: dict[str, str] = field(default_factory=dict)
    writable_paths: dict[str, str] = field(default_factory=dict)
    allow_users: list[tuple[int, int]] = field(default_factory=list)
    default_user: int | None = None
    allow_groups: list[tuple[int, int]] = field(default_factory=list)
    default_group: int = 0
    allow_tcp_ports: list[tuple[int, int]] = field(default_factory=list)
    uid_map: list[dict[str, int]] = field(default_factory=list)
    gid_map: list[dict[str, int]] = field(default_factory=list)
    bridged_network: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def allows_user(self, uid: int) -> bool:
        """Whether ``uid`` is in ``allow-users``."""
        return in_ranges(self.allow_users, uid)

    def allows_group(self, gid: int) -> bool:
        """Whether ``gid`` is in ``allow-groups``."""
        return in_ranges(self.allow_groups, gid)

    def allows_port(self, port: int) -> bool:
        """Whether ``port`` is in ``allow-tcp-ports``."""
        return in_ranges(self.allow_tcp_ports, port)


@dataclass
class ProcessEntry:
    """One entry of ``/etc/lithos/processes/<sandbox>.yaml``."""

    name: str
    image: str
    config: str
    instances: int = 1
    kind: str = "Daemon"
    variables: dict[str, str] = field(default_factory=dict)
    ip_addresses: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Volume:
    """A container volume: ``kind`` is Readonly, Persistent, Tmpfs or Statedir."""

    kind: str
    options: dict[str, Any] | str


@dataclass
class TcpPort:
    """One ``tcp-ports`` entry; ``port`` is the key as written (may hold ``@{var}``)."""

    port: str
    fd: int
    host: str = "0.0.0.0"
    external: bool = False


@dataclass
class ContainerConfig:
    """A container config from inside an image (defaults filled in)."""

    kind: str = "Daemon"
    executable: str = ""
    arguments: list[str] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user_id: int | None = None
    group_id: int | None = None
    variables: dict[str, TagValue] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    tcp_ports: list[TcpPort] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def in_ranges(ranges: list[tuple[int, int]], value: int) -> bool:
    """Whether ``value`` is inside one of ``ranges``.

    >>> in_ranges([(1, 10), (77, 77)], 77), in_ranges([(1, 10)], 0)
    (True, False)
    """
    return any(start <= value <= end for start, end in ranges)


# --------------------------------------------------------------------------- parsing


def _ranges(items: list[str]) -> list[tuple[int, int]]:
    return [r for r in (parse_range(i) for i in items) if r is not None]


def parse_master(text_or_path: str | Path, filename: str | None = None
                 ) -> tuple[MasterConfig | None, list[Problem]]:
    """Parse and check a master config; the model is None when invalid."""
    record, name, problems = read_checked(text_or_path, filename, MASTER_SCHEMA)
    if record is INVALID:
        return None, problems
    if not str(record["runtime-dir"]).startswith("/"):
        problems.append(Problem(name, record.line_of("runtime-dir"), "runtime-dir",
                                "should be an absolute path: lithos_check 0.18.4 accepts a "
                                "relative one, which lithos_tree then takes relative to the "
                                "directory it was started in", "warning",
                                rule="lithos-relative-path"))
    model = MasterConfig(
        sandboxes_dir=record["sandboxes-dir"], processes_dir=record["processes-dir"],
        runtime_dir=record["runtime-dir"], devfs_dir=record["devfs-dir"],
        default_log_dir=record["default-log-dir"], config_log_dir=record["config-log-dir"],
        stdio_log_dir=record["stdio-log-dir"], cgroup_name=record["cgroup-name"],
        cgroup_controllers=list(record["cgroup-controllers"]), raw=dict(record))
    return model, problems


def _sandbox_name(name: str) -> str:
    stem = PurePosixPath(name).name
    return stem[: -len(".yaml")] if stem.endswith(".yaml") else stem


def parse_sandbox(text_or_path: str | Path, filename: str | None = None
                  ) -> tuple[SandboxConfig | None, list[Problem]]:
    """Parse and check a sandbox config; the model is None when invalid."""
    record, name, problems = read_checked(text_or_path, filename, SANDBOX_SCHEMA)
    if record is INVALID:
        return None, problems

    def error(key: str, message: str, severity: Severity = "error") -> None:
        problems.append(Problem(name, record.line_of(key.split(".")[0]), key, message,
                                severity))

    sandbox = SandboxConfig(
        name=_sandbox_name(name), image_dir=record["image-dir"],
        image_dir_levels=record["image-dir-levels"],
        readonly_paths=dict(record["readonly-paths"]),
        writable_paths=dict(record["writable-paths"]),
        allow_users=_ranges(record["allow-users"]), default_user=record["default-user"],
        allow_groups=_ranges(record["allow-groups"]), default_group=record["default-group"],
        allow_tcp_ports=_ranges(record["allow-tcp-ports"]),
        uid_map=[dict(m) for m in record["uid-map"]],
        gid_map=[dict(m) for m in record["gid-map"]],
        bridged_network=dict(record["bridged-network"]) if record["bridged-network"] else None,
        raw=dict(record))
    stem = PurePosixPath(name).name
    if not stem.endswith(".yaml"):
        problems.append(Problem(name, 1, TOP, "lithos only reads sandboxes/*.yaml; "
                                "this file would be ignored", "warning"))
    elif not NAME_RE.match(sandbox.name):
        problems.append(Problem(name, 1, TOP, f"sandbox name {sandbox.name!r} should match "
                                "^[\\w-]+$ (lithos_cmd requires it)", "warning"))
    bad = record.invalid
    if not sandbox.allow_users and "allow-users" not in bad:
        error("allow-users", "must not be empty (lithos_check: no allowed users range)")
    if not sandbox.allow_groups and "allow-groups" not in bad:
        error("allow-groups", "must not be empty (lithos_check: no allowed groups range)")
    if sandbox.default_user is not None and sandbox.allow_users \
            and not sandbox.allows_user(sandbox.default_user):
        error("default-user", f"{sandbox.default_user} is not in allow-users")
    if sandbox.allow_groups and not bad & {"default-group", "allow-groups"} \
            and not sandbox.allows_group(sandbox.default_group):
        severity: Severity = "error" if "default-group" in record.lines else "warning"
        error("default-group", f"{sandbox.default_group} is not in allow-groups; every "
              "container must then set group-id", severity)
    if not sandbox.image_dir.startswith("/"):
        error("image-dir", "should be an absolute path", "warning")
    for table in ("readonly-paths", "writable-paths"):
        for virtual, host in record[table].items():
            line = record[table].line_of(virtual)
            if not virtual.startswith("/"):
                problems.append(Problem(name, line, f"{table}.{virtual}",
                                        "virtual path must be absolute"))
            if not str(host).startswith("/"):
                problems.append(Problem(name, line, f"{table}.{virtual}",
                                        f"host path must be absolute, got {host!r}"))
    bridged = record["bridged-network"]
    if bridged:
        command = bridged["after-setup-command"]
        if command and not str(command[0]).startswith("/"):
            problems.append(Problem(name, bridged.line_of("after-setup-command"),
                                    "bridged-network.after-setup-command",
                                    "the command must be an absolute path"))
    return sandbox, problems


def _image_problem(image: str, levels: int | None) -> str | None:
    path = PurePosixPath(image)
    if image.startswith("/") or not image:
        return f"must be a relative path under the sandbox image-dir, got {image!r}"
    if any(part in (".", "..") for part in image.split("/")) or "//" in image:
        return f"may only contain plain path components, got {image!r}"
    if levels is not None and len(path.parts) != levels:
        return (f"has {len(path.parts)} path component(s) but the sandbox has "
                f"image-dir-levels: {levels}")
    return None


def parse_process(text_or_path: str | Path, filename: str | None = None
                  ) -> tuple[list[ProcessEntry] | None, list[Problem]]:
    """Parse and check a process config on its own (no sandbox)."""
    record, name, problems = read_checked(text_or_path, filename, PROCESS_SCHEMA)
    first_error = next((i for i, p in enumerate(problems) if p.severity == "error"), None)
    if first_error is not None:
        # lithos reads the whole file or nothing: say what that means, once
        p = problems[first_error]
        problems[first_error] = replace(
            p, message=p.message + " (lithos can't read this process file: "
            "lithos_check 0.18.4 only warns, and lithos_tree runs nothing in this sandbox)")
    if record is INVALID:
        return None, problems
    entries = []
    for proc, entry in record.items():
        line = record.line_of(proc)
        if not NAME_RE.match(proc):
            problems.append(Problem(name, line, proc, "process names should match ^[\\w-]+$",
                                    "warning"))
        if not entry["config"].startswith("/"):
            problems.append(Problem(name, entry.line_of("config"), f"{proc}.config",
                                    "must be an absolute path inside the image"))
        message = _image_problem(entry["image"], None)
        if message:
            problems.append(Problem(name, entry.line_of("image"), f"{proc}.image", message))
        entries.append(ProcessEntry(
            name=proc, image=entry["image"], config=entry["config"],
            instances=entry["instances"], kind=entry["kind"],
            variables=dict(entry["variables"]), ip_addresses=list(entry["ip-addresses"]),
            line=line))
    return entries, problems


def _vars_in(text: str) -> list[str]:
    return [m.strip() for m in VAR_RE.findall(text)]


def parse_container(text_or_path: str | Path, filename: str | None = None
                    ) -> tuple[ContainerConfig | None, list[Problem]]:
    """Parse and check a container config on its own (no sandbox)."""
    record, name, problems = read_checked(text_or_path, filename, CONTAINER_SCHEMA)
    if record is INVALID:
        return None, problems

    def add(line: int, key: str, message: str, severity: Severity = "error",
            rule: str = "") -> None:
        problems.append(Problem(name, line, key, message, severity, rule=rule))

    variables: dict[str, TagValue] = dict(record["variables"])
    for key in ("executable", "workdir"):
        if key in record.lines and not str(record[key]).startswith("/"):
            add(record.line_of(key), key, "should be an absolute path (lithos 0.18.4 does not "
                "check it)", "warning")
    # variable references
    systemd_ports = [v for v, t in variables.items()
                     if t.tag == "TcpPort" and t.value["activation"].tag == "systemd"]

    def check_refs(text: str, line: int, key: str, whole_env_value: bool = False) -> None:
        for var in _vars_in(text):
            if var in variables or var in record["variables"].invalid:
                continue  # declared (a declaration that is wrong is reported already)
            if var == "lithos:pid" and not (whole_env_value
                                            and text.strip() == "@{lithos:pid}"):
                add(line, key, "@{lithos:pid} may only be the whole value of an environ "
                    "entry")
            elif var in BUILTIN_VARIABLES:
                add(line, key, f"@{{{var}}} works in lithos_knot, but lithos_check 0.18.4 "
                    "(which lithos_switch runs) rejects it as an undefined variable")
            else:
                add(line, key, f"undefined variable @{{{var}}}; declare it under variables")

    for index, arg in enumerate(record["arguments"]):
        check_refs(arg, record["arguments"].lines[index], f"arguments[{index}]")
    for env, value in record["environ"].items():
        check_refs(value, record["environ"].line_of(env), f"environ.{env}", True)
    ports: list[TcpPort] = []
    used_fds: dict[int, str] = {}
    for port, options in record["tcp-ports"].items():
        line = record["tcp-ports"].line_of(port)
        key = f"tcp-ports.{port}"
        check_refs(port, line, key)
        if not _vars_in(port) and (not re.fullmatch(r"\d+", port)
                                   or not 1 <= int(port) <= 65535):
            add(line, key, f"port must be a number 1..65535 or an @{{variable}}, got {port!r}")
        fd = options["fd"]
        if fd in used_fds:
            add(options.line_of("fd"), f"{key}.fd", f"fd {fd} is also used by port "
                f"{used_fds[fd]}")
        used_fds[fd] = port
        ports.append(TcpPort(port, fd, options["host"], options["external"]))
    for index, var in enumerate(systemd_ports):
        fd = 3 + index
        if fd in used_fds:
            port = used_fds[fd]
            add(record["tcp-ports"].line_of(port), f"tcp-ports.{port}.fd",
                f"fd {fd} is taken by the systemd activation of variable {var!r}")
    if systemd_ports:
        for env in ("LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"):
            for table in ("environ", "secret-environ"):
                if env in record[table]:
                    add(record[table].line_of(env), f"{table}.{env}", "must not be set when "
                        "a !TcpPort variable uses activation: systemd")
    if record["secret-environ"] and record["secret-environ-file"] is not None:
        add(record.line_of("secret-environ-file"), "secret-environ-file",
            "secret-environ and secret-environ-file can't be used together")
    for env, values in record["secret-environ"].items():
        for value in values:
            if not str(value).startswith("v2:"):
                add(record["secret-environ"].line_of(env), f"secret-environ.{env}",
                    "not lithos_crypt output (no 'v2:' prefix): lithos_check "
                    "--check-container accepts it, but lithos fails to start the process "
                    "when it decrypts the value", "warning", rule="lithos-secret")
    volumes: dict[str, Volume] = {}
    for mount, volume in record["volumes"].items():
        line = record["volumes"].line_of(mount)
        if not mount.startswith("/"):
            add(line, f"volumes.{mount}", "mount point must be an absolute path")
        if volume.tag == "Readonly" and not str(volume.value).startswith("/"):
            add(line, f"volumes.{mount}", "!Readonly takes an absolute virtual path")
        if volume.tag in ("Persistent", "Statedir") and \
                not str(volume.value["path"]).startswith("/"):
            add(line, f"volumes.{mount}.path", "must be an absolute path")
        volumes[mount] = Volume(volume.tag, volume.value if isinstance(volume.value, str)
                                else dict(volume.value))
    model = ContainerConfig(
        kind=record["kind"], executable=record["executable"],
        arguments=list(record["arguments"]), environ=dict(record["environ"]),
        workdir=record["workdir"], user_id=record["user-id"], group_id=record["group-id"],
        variables=variables, volumes=volumes, tcp_ports=ports, raw=record)
    return model, problems


# --------------------------------------------------------------------------- validators


def _as_sandbox(sandbox: SandboxConfig | Path | str | None) -> tuple[SandboxConfig | None,
                                                                     list[Problem]]:
    if sandbox is None or isinstance(sandbox, SandboxConfig):
        return sandbox, []
    model, problems = parse_sandbox(sandbox)
    return model, [p for p in problems if p.severity == "error"]


def _read_with_sandbox(parse: Callable[[str | Path, str | None], tuple[T | None, list[Problem]]],
                       text_or_path: str | Path, filename: str | None,
                       sandbox: SandboxConfig | Path | str | None
                       ) -> tuple[T | None, SandboxConfig | None, list[Problem]]:
    """The config *parse* reads from *text_or_path*, the sandbox's model, and the problems
    of both (the sandbox's errors only)."""
    parsed, problems = parse(text_or_path, filename)
    sandbox_model, sandbox_problems = _as_sandbox(sandbox)
    return parsed, sandbox_model, problems + sandbox_problems


def _display_name(text_or_path: str | Path, filename: str | None) -> str:
    if filename:
        return filename
    return str(text_or_path) if isinstance(text_or_path, Path) else "<string>"


def validate_master(text_or_path: str | Path, filename: str | None = None) -> list[Problem]:
    """Every problem of a lithos master config (an empty file is valid)."""
    return parse_master(text_or_path, filename)[1]


def validate_sandbox(text_or_path: str | Path, filename: str | None = None) -> list[Problem]:
    """Every problem of a lithos sandbox config."""
    return parse_sandbox(text_or_path, filename)[1]


def validate_process(text_or_path: str | Path, filename: str | None = None,
                     sandbox: SandboxConfig | Path | str | None = None,
                     image_dir: Path | None = None) -> list[Problem]:
    """Every problem of a lithos process config, cross-checked with ``sandbox`` if given.

    With a sandbox: image path depth against ``image-dir-levels``, bridged
    networks' IP addresses. With ``image_dir`` as well: the image and its
    container config exist, variables are declared and valid, ports allowed,
    kinds compatible.
    """
    entries, sandbox_model, problems = _read_with_sandbox(parse_process, text_or_path,
                                                          filename, sandbox)
    if entries is None or sandbox_model is None:
        return problems
    name = _display_name(text_or_path, filename)
    bridged = sandbox_model.bridged_network
    for entry in entries:
        message = _image_problem(entry.image, sandbox_model.image_dir_levels)
        if message and "component(s)" in message:
            problems.append(Problem(name, entry.line, f"{entry.name}.image", message))
        if bridged and entry.kind == "Daemon":
            network = ipaddress.ip_network(bridged["network"], strict=False)
            if len(entry.ip_addresses) < entry.instances:
                problems.append(Problem(name, entry.line, f"{entry.name}.ip-addresses",
                                        f"a bridged sandbox needs an IP for each of the "
                                        f"{entry.instances} instance(s)"))
            for ip in entry.ip_addresses:
                if ipaddress.ip_address(ip) not in network:
                    problems.append(Problem(name, entry.line, f"{entry.name}.ip-addresses",
                                            f"{ip} is not inside {network}"))
        if image_dir is not None:
            problems += _check_against_image(name, entry, sandbox_model, image_dir)
    return problems


def _check_against_image(name: str, entry: ProcessEntry, sandbox: SandboxConfig,
                         image_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    root = image_dir / entry.image
    config_path = root / entry.config.lstrip("/")
    key = f"{entry.name}.image"
    if not root.is_dir():
        return [Problem(name, entry.line, key, f"image directory {root} does not exist")]
    if not config_path.is_file():
        return [Problem(name, entry.line, f"{entry.name}.config",
                        f"container config {config_path} does not exist in the image")]
    container, container_problems = parse_container(config_path)
    problems += [p for p in container_problems if p.severity == "error"]
    if container is None:
        return problems
    for mount in container.volumes:
        if mount.startswith("/") and not (root / mount.lstrip("/")).is_dir():
            problems.append(Problem(name, entry.line, key, f"the image has no directory "
                                    f"{mount} to mount the volume on (the image is read-only;"
                                    " create it at build time, e.g. vagga !EnsureDir)"))
    if not (container.kind == "CommandOrDaemon" or container.kind == entry.kind):
        problems.append(Problem(name, entry.line, f"{entry.name}.kind",
                                f"entry kind {entry.kind} can't run a {container.kind} "
                                "container"))
    for var, typ in container.variables.items():
        value = entry.variables.get(var)
        vkey = f"{entry.name}.variables.{var}"
        if value is None:
            problems.append(Problem(name, entry.line, vkey, "declared by the container "
                                    "config but has no value"))
            continue
        message = _variable_problem(typ, value, sandbox)
        if message:
            rule = "lithos-port" if "allow-tcp-ports" in message else ""
            problems.append(Problem(name, entry.line, vkey, message, rule=rule))
    problems += validate_container(config_path, str(config_path), sandbox,
                                   variables=entry.variables)
    return [p for p in problems if p.severity == "error"]


def _variable_problem(typ: TagValue, value: str, sandbox: SandboxConfig) -> str | None:
    if typ.tag == "TcpPort":
        if not re.fullmatch(r"\d+", value) or not 0 <= int(value) <= 65535:
            return f"invalid TcpPort {value!r}"
        if sandbox.bridged_network is None and not sandbox.allows_port(int(value)):
            return f"TcpPort {value} is not in the sandbox's allow-tcp-ports"
    elif typ.tag == "Name":
        if not re.fullmatch(r"[0-9A-Za-z_-]*", value):
            return f"{value!r} may only contain letters, digits, '-' and '_'"
    elif typ.tag == "DottedName":
        if not re.fullmatch(r"[0-9A-Za-z_.-]*", value) or any(
                not part or part[0] == "-" or part[-1] == "-" for part in value.split(".")):
            return f"{value!r} is not a valid dotted name"
    elif typ.tag == "Choice" and value not in typ.value:
        return f"{value!r} is not one of {list(typ.value)}"
    return None


def _under(path: str, prefixes: dict[str, str]) -> bool:
    parts = PurePosixPath(path).parts
    return any(parts[: len(PurePosixPath(p).parts)] == PurePosixPath(p).parts
               for p in prefixes)


def validate_container(text_or_path: str | Path, filename: str | None = None,
                       sandbox: SandboxConfig | Path | str | None = None,
                       variables: dict[str, str] | None = None) -> list[Problem]:
    """Every problem of a container config, cross-checked with ``sandbox`` if given.

    With a sandbox: user/group ids allowed, volumes resolvable through
    readonly/writable paths, literal TCP ports allowed, id maps not in both.
    """
    container, sandbox_model, problems = _read_with_sandbox(parse_container, text_or_path,
                                                            filename, sandbox)
    if container is None or sandbox_model is None:
        return problems
    name = _display_name(text_or_path, filename)
    raw: Record = container.raw  # type: ignore[assignment]  # it is the checked Record read

    def add(key: str, message: str, line: int | None = None, rule: str = "") -> None:
        problems.append(Problem(name, line or raw.line_of(key.split(".")[0]) or 1, key,
                                message, rule=rule))

    if raw["uid-map"] and sandbox_model.uid_map:
        add("uid-map", "the sandbox has a uid-map already; only one of them may")
    if raw["gid-map"] and sandbox_model.gid_map:
        add("gid-map", "the sandbox has a gid-map already; only one of them may")
    uid = container.user_id if container.user_id is not None else sandbox_model.default_user
    if uid is None:
        add("user-id", "is required: the sandbox has no default-user", rule="lithos-user")
    elif sandbox_model.allow_users and not sandbox_model.allows_user(uid):
        add("user-id", f"user {uid} is not in the sandbox's allow-users", rule="lithos-user")
    gid = container.group_id if container.group_id is not None else sandbox_model.default_group
    if sandbox_model.allow_groups and not sandbox_model.allows_group(gid):
        source = "" if container.group_id is not None else " (the sandbox's default-group)"
        add("group-id", f"group {gid}{source} is not in the sandbox's allow-groups",
            rule="lithos-user")
    both = {**sandbox_model.readonly_paths, **sandbox_model.writable_paths}
    for mount, volume in container.volumes.items():
        line = raw["volumes"].line_of(mount)
        if volume.kind == "Readonly" and isinstance(volume.options, str):
            if not _under(volume.options, both):
                add(f"volumes.{mount}", f"!Readonly {volume.options} is not under any "
                    "readonly-paths or writable-paths of the sandbox", line)
        elif volume.kind == "Persistent" and isinstance(volume.options, dict):
            path = volume.options["path"]
            if not _under(path, sandbox_model.writable_paths):
                add(f"volumes.{mount}", f"!Persistent path {path} is not under any "
                    "writable-paths of the sandbox", line)
    if sandbox_model.bridged_network is None:
        for port in container.tcp_ports:
            text = port.port
            for var, value in (variables or {}).items():
                text = re.sub(r"@\{\s*" + re.escape(var) + r"\s*\}", value, text)
            if re.fullmatch(r"\d+", text) and not sandbox_model.allows_port(int(text)):
                add(f"tcp-ports.{port.port}", f"port {text} is not in the sandbox's "
                    "allow-tcp-ports", raw["tcp-ports"].line_of(port.port), "lithos-port")
    return problems
