"""vagga.yaml: validate it the way vagga 0.8.1 reads it, write the tutorial's one,
and explain how vagga names the images it builds.

Validation (:func:`validate_vagga`) mirrors vagga's schema: known top-level
keys, container and command keys, every build step tag and its value
shape, volume tags, absolute paths where vagga requires them, ``!Container``
and ``!Build`` targets that exist and form no cycle, ``image-cache-url``
with ``${short_hash}``. A command naming a missing container and a missing
mixin are warnings, as in vagga (they fail only when used).

The tutorial's file (:func:`tutorial_config`) has a development container
``django`` (with ``/tmp: !Empty``, so code that writes to ``/tmp`` fails in
development exactly as it would under lithos) and a deployment container
``django-deploy`` built on it with ``!Container``: the code copied to
``/app``, the lithos container configs to ``/config``, and every mount
point the lithos config uses created with ``!EnsureDir``.

Image names: vagga stores a built container in
``.vagga/.roots/<container>.<hash8>/root``; ``<hash8>`` is the first 8
characters of the container's version hash, printed by
``vagga _version_hash --short <container>``. That hash is computed by vagga
from the container's setup steps and the files they read; this module
does not try to compute it (only vagga can), it takes it as input:

>>> explain_name("django-deploy", "5f1c2a9e")["image"]
'django-deploy.5f1c2a9e'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .problems import Problem
from .quire import (
    INVALID,
    Bool,
    Enum,
    Int,
    Mapping,
    Record,
    Schema,
    Seq,
    Str,
    Struct,
    Tagged,
    dump,
    read_checked,
)

HASH8_RE = re.compile(r"^[0-9a-f]{8}$")
VAGGA_VERSION = "0.8.1"
"""The vagga release whose rules the validator follows (``minimum-vagga`` above it fails)."""
_PRE_RELEASE = ("a", "b", "c", "rc", "pre", "dev", "dirty")
#: Directories vagga creates in every image, so they need no ``!EnsureDir``.
IMAGE_BASE_DIRS = ("/dev", "/proc", "/run", "/sys", "/tmp", "/work")


def _absolute(text: str) -> str | None:
    return None if text.startswith("/") else f"must be an absolute path, got {text!r}"


def _relative(text: str) -> str | None:
    return None if not text.startswith("/") else f"must be a relative path, got {text!r}"


def _enum(*allowed: str) -> Any:
    def validate(text: str) -> str | None:
        if text.replace("_", "-") not in allowed:
            return f"must be one of {', '.join(allowed)}; got {text!r}"
        return None
    return validate


def _abs() -> Str:
    return Str(validate=_absolute)


def _strings() -> Seq:
    return Seq(Str())


VOLUME = Enum({
    "Tmpfs": Struct({
        "size": Int(min=0, default=100 * 1024 * 1024),
        "mode": Int(min=0, max=0o1777, default=0o1777),
        "subdirs": Mapping(Struct({"mode": Int(min=0, max=0o1777, default=0o755)}),
                           key=_relative),
        "files": Mapping(Str(optional=True), key=_relative),
    }),
    "VaggaBin": None,
    "BindRW": Str(),
    "BindRO": Str(),
    "CacheDir": Str(),
    "Empty": None,
    "Snapshot": Struct({
        "container": Str(optional=True),
        "size": Int(min=0, default=100 * 1024 * 1024),
        "owner-uid": Int(min=0, optional=True),
        "owner-gid": Int(min=0, optional=True),
    }),
    "Container": Str(),
    "Persistent": Struct({
        "name": Str(),
        "init-command": Str(optional=True),
        "owner-uid": Int(min=0, default=0),
        "owner-gid": Int(min=0, default=0),
    }, from_scalar=lambda node: _scalar_as_map(node, "name")),
})


def _scalar_as_map(node: Any, key: str) -> Any:
    from .quire import Node

    return Node("map", None, [(key, Node("scalar", None, node.value, node.line))], node.line,
                key_lines={key: node.line})


_COPY_FIELDS: dict[str, Schema] = {
    "path": Str(),
    "ignore-regex": Str(optional=True),
    "include-regex": Str(optional=True),
    "rules": _strings(),
    "no-default-rules": Bool(optional=True),
}

STEPS: dict[str, Schema | None] = {
    "Alpine": Str(),
    "AlpineRepo": Struct({"url": Str(optional=True), "branch": Str(optional=True),
                          "repo": Str(), "tag": Str(optional=True)}),
    "Ubuntu": Str(),
    "UbuntuRepo": Struct({"url": Str(optional=True), "suite": Str(optional=True),
                          "components": _strings(), "trusted": Bool(default=False)}),
    "UbuntuRelease": Struct({"version": Str(optional=True), "codename": Str(optional=True),
                             "url": Str(optional=True), "arch": Str(default="amd64"),
                             "keep-chfn-command": Bool(default=False),
                             "eatmydata": Bool(default=True)}),
    "UbuntuPPA": Str(),
    "UbuntuUniverse": None,
    "AptTrust": Struct({"server": Str(optional=True), "keys": _strings()}),
    "Repo": Str(),
    "Install": _strings(),
    "BuildDeps": _strings(),
    "Git": Struct({"url": Str(), "revision": Str(optional=True), "branch": Str(optional=True),
                   "path": _abs()}),
    "GitInstall": Struct({"url": Str(), "revision": Str(optional=True),
                          "branch": Str(optional=True),
                          "subdir": Str(default=".", validate=_relative),
                          "script": Str(default="./configure --prefix=/usr\nmake\n"
                                                "make install\n")}),
    "GitDescribe": Struct({"repo": Str(default="/work"), "pattern": Str(optional=True),
                           "output-file": Str(optional=True, validate=_absolute)},
                          from_scalar=lambda node: _scalar_as_map(node, "output-file")),
    "PipConfig": Struct({"dependencies": Bool(default=False, optional=True),
                         "cache-wheels": Bool(default=True), "find-links": _strings(),
                         "index-urls": _strings(), "trusted-hosts": _strings(),
                         "python-exe": Str(optional=True),
                         "install-python": Bool(default=True),
                         "allow-pre-releases": Bool(default=False)}),
    "Py2Install": _strings(),
    "Py2Requirements": Str(default="requirements.txt"),
    "Py3Install": _strings(),
    "Py3Requirements": Str(default="requirements.txt"),
    "Tar": Struct({"url": Str(), "sha256": Str(optional=True),
                   "path": Str(default="/", validate=_absolute),
                   "subdir": Str(default="", has_default=True, validate=_relative)}),
    "TarInstall": Struct({"url": Str(), "sha256": Str(optional=True),
                          "subdir": Str(optional=True, validate=_relative),
                          "script": Str(default="./configure --prefix=/usr\nmake\n"
                                                "make install\n")}),
    "Unzip": Struct({"url": Str(), "sha256": Str(optional=True),
                     "path": Str(default="/", validate=_absolute),
                     "subdir": Str(default="", has_default=True, validate=_relative)}),
    "Sh": Str(),
    "Cmd": _strings(),
    "RunAs": Struct({"user-id": Int(min=0, default=0), "group-id": Int(min=0, default=0),
                     "external-user-id": Int(min=0, optional=True),
                     "supplementary-gids": Seq(Int()),
                     "work-dir": Str(default="/work"),
                     "isolate-network": Bool(default=False), "script": Str()}),
    "Env": Mapping(Str()),
    "Text": Mapping(Str(), key=_absolute),
    "Copy": Struct({"source": Str(), **_COPY_FIELDS, "path": _abs(),
                    "owner-uid": Int(min=0, optional=True),
                    "owner-gid": Int(min=0, optional=True),
                    "umask": Int(min=0, max=0o777, default=0o002),
                    "preserve-permissions": Bool(default=False),
                    "preserve-times": Bool(default=False)}),
    "Download": Struct({"url": Str(), "path": _abs(),
                        "mode": Int(min=0, max=0o1777, default=0o644),
                        "sha256": Str(optional=True)}),
    "EnsureDir": _abs(),
    "CacheDirs": Mapping(Str(), key=_absolute),
    "EmptyDir": _abs(),
    "Remove": _abs(),
    "Depends": Struct(dict(_COPY_FIELDS),
                      from_scalar=lambda node: _scalar_as_map(node, "path")),
    "Container": Str(),
    "Build": Struct({"container": Str(), "source": Str(default="/", validate=_absolute),
                     "path": Str(optional=True, validate=_absolute),
                     "temporary-mount": Str(optional=True, validate=_absolute),
                     "content-hash": Bool(default=False), "rules": _strings()}),
    "SubConfig": Struct({
        "source": Enum({"Directory": None, "Container": Str(),
                        "Git": Struct({"url": Str(), "revision": Str(optional=True),
                                       "branch": Str(optional=True)})},
                       optional=True, default="Directory"),
        "path": Str(default="vagga.yaml", validate=_relative),
        "container": Str(),
        "cache": Bool(optional=True)}),
    "NpmConfig": Struct({"npm-exe": Str(default="npm"), "yarn-exe": Str(default="/usr/bin/yarn"),
                         "yarn-version": Str(optional=True),
                         "install-node": Bool(default=True),
                         "install-yarn": Bool(default=True)}),
    "NpmDependencies": Struct({"file": Str(default="package.json"),
                               "package": Bool(default=True), "dev": Bool(default=True),
                               "peer": Bool(default=False), "bundled": Bool(default=True),
                               "optional": Bool(default=False)}),
    "YarnDependencies": Struct({"dir": Str(default=".", validate=_relative),
                                "production": Bool(default=False),
                                "optional": Bool(default=False)}),
    "NpmInstall": _strings(),
    "GemInstall": _strings(),
    "GemBundle": Struct({"gemfile": Str(default="Gemfile"), "without": _strings(),
                         "trust-policy": Str(optional=True)}),
    "GemConfig": Struct({"install-ruby": Bool(default=True), "gem-exe": Str(optional=True),
                         "update-gem": Bool(default=True)}),
    "ComposerInstall": _strings(),
    "ComposerDependencies": Struct({
        "working-dir": Str(optional=True), "dev": Bool(default=True),
        "prefer": Str(optional=True), "ignore-platform-reqs": Bool(default=False),
        "no-autoloader": Bool(default=False), "no-scripts": Bool(default=False),
        "no-plugins": Bool(default=False), "optimize-autoloader": Bool(default=False),
        "classmap-authoritative": Bool(default=False)}),
    "ComposerConfig": Struct({
        "install-runtime": Bool(default=True), "install-dev": Bool(default=False),
        "runtime-exe": Str(optional=True), "include-path": Str(optional=True),
        "keep-composer": Bool(default=False), "vendor-dir": Str(optional=True)}),
}

STEP = Enum(STEPS)


class _Run(Schema):
    """``run``: a shell string, or a non-empty list of strings."""

    def check(self, node: Any, ctx: Any, key: str) -> Any:
        if node.kind == "seq":
            value = Seq(Str()).check(node, ctx, key)
            if value is not INVALID and not value:
                ctx.error(node.line, key, "a list run must not be empty")
                return INVALID
            return value
        return Str().check(node, ctx, key)


def _ids() -> Int:
    return Int(min=0, max=1 << 30)


def _command_fields(toplevel: bool) -> dict[str, Schema]:
    fields: dict[str, Schema] = {
        "description": Str(optional=True), "banner": Str(optional=True),
        "banner-delay": Int(min=0, optional=True), "epilog": Str(optional=True),
        "tags": _strings(), "pass-tcp-socket": Str(optional=True),
        "expect-inotify-limit": Int(optional=True, units=False),
        "symlink-name": Str(optional=True), "prerequisites": _strings(),
        "aliases": _strings(), "group": Str(optional=True),
        "isolate-network": Bool(default=False),
    }
    if toplevel:
        fields["options"] = Str(optional=True)
    return fields


def _run_fields(network: bool) -> dict[str, Schema]:
    fields: dict[str, Schema] = {
        "pid1mode": Str(default="wait", validate=_enum("wait", "wait-all-children", "exec")),
        "work-dir": Str(optional=True),
        "container": Str(),
        "accepts-arguments": Bool(optional=True),
        "environ": Mapping(Str()),
        "volumes": Mapping(VOLUME, key=_absolute),
        "write-mode": Str(default="read-only",
                          validate=_enum("read-only", "transient-hard-link-copy")),
        "run": _Run(),
        "user-id": Int(min=0, max=1 << 30, default=0),
        "external-user-id": Int(min=0, max=1 << 30, optional=True),
        "group-id": Int(min=0, max=1 << 30, default=0),
        "supplementary-gids": Seq(_ids()),
    }
    if network:
        # vagga 0.8.1 decodes ip as a String: a network without one is refused
        fields["network"] = Struct({"ip": Str(), "hostname": Str(optional=True),
                                    "ports": Mapping(Int())}, optional=True)
    return fields


CHILD_COMMAND = Enum({
    "Command": Struct({**_command_fields(False), **_run_fields(True)}),
    "BridgeCommand": Struct({**_command_fields(False), **_run_fields(False)}),
})

COMMAND = Enum({
    "Command": Struct({**_command_fields(True), **_run_fields(False)}),
    "CapsuleCommand": Struct({**_command_fields(True), "uids": _strings(), "gids": _strings(),
                              "work-dir": Str(optional=True), "run": _Run(),
                              "environ": Mapping(Str()),
                              "accepts-arguments": Bool(optional=True)}),
    "Supervise": Struct({**_command_fields(True),
                         "mode": Str(default="stop-on-failure",
                                     validate=_enum("stop-on-failure", "wait-all-successful")),
                         "children": Mapping(CHILD_COMMAND),
                         "kill-unresponsive-after": Int(min=1, max=86400, default=2)}),
})

CONTAINER = Struct({
    "setup": Seq(STEP),
    "data-dirs": Seq(_abs()),
    "image-cache-url": Str(optional=True),
    "auto-clean": Bool(default=False),
    "environ": Mapping(Str()),
    "environ-file": Str(optional=True),
    "default-shell": _strings(),
    "resolv-conf-path": Str(optional=True, default="/etc/resolv.conf", validate=_absolute),
    "hosts-file-path": Str(optional=True, default="/etc/hosts", validate=_absolute),
    "uids": _strings(),
    "gids": _strings(),
    "volumes": Mapping(VOLUME, key=_absolute),
})

VAGGA_SCHEMA = Struct({
    "minimum-vagga": Str(optional=True),
    "mixins": _strings(),
    "containers": Mapping(CONTAINER),
    "commands": Mapping(COMMAND),
})


def _version_parts(version: str) -> list[int | str]:
    """A version split the way vagga 0.8.1 compares versions: a run of digits is a
    number, a run of letters and digits starting with a letter is a word, anything
    else separates them; a leading ``v`` is dropped."""
    text = version[1:] if version.startswith("v") else version
    return [int(part) if part.isdigit() else part
            for part in re.findall(r"\d+|[^\W\d_][^\W_]*", text)]


def version_newer(version: str, than: str) -> bool:
    """Whether vagga 0.8.1 would find *version* newer than *than*.

    Numbers compare as numbers; a number beats a word; a version with more
    numbers is newer; a trailing pre-release word (``rc``, ``dev``...) or a git
    revision (``g1a2b3c``) makes it older than the same version without one.

    >>> version_newer("0.8.2", "0.8.1"), version_newer("v0.8.1", "0.8.1")
    (True, False)
    >>> version_newer("0.8.1-rc", "0.8.1"), version_newer("0.8.1-3-gabc", "0.8.1")
    (False, True)
    >>> version_newer("9999.0.0", "0.8.1"), version_newer("0.8", "0.8.1")
    (True, False)
    """
    left, right = _version_parts(version), _version_parts(than)
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else None
        b = right[index] if index < len(right) else None
        if a == b:
            continue
        if a is None:
            return isinstance(b, str) and b in _PRE_RELEASE
        if b is None:
            return not (isinstance(a, str) and (a in _PRE_RELEASE or a.startswith("g")))
        if isinstance(a, int) and isinstance(b, int):
            return a > b
        if isinstance(a, int) != isinstance(b, int):
            return isinstance(a, int)
        return str(a) > str(b)
    return False


def _step_targets(container: Record) -> list[tuple[str, int, int, str]]:
    """``(target container, line, index in setup, tag)`` of every step using another
    container's image."""
    targets = []
    setup = container["setup"]
    for step, line, index in zip(setup, setup.lines, setup.indexes, strict=False):
        if step.tag == "Container":
            targets.append((step.value, line, index, step.tag))
        elif step.tag == "Build":
            targets.append((step.value["container"], line, index, step.tag))
        elif step.tag == "SubConfig" and step.value["source"].tag == "Container":
            targets.append((step.value["source"].value, line, index, step.tag))
    return targets


def parse_vagga(text_or_path: str | Path, filename: str | None = None
                ) -> tuple[Record | None, list[Problem]]:
    """Parse and check a vagga.yaml; the record is None when it is invalid."""
    include_dir = text_or_path.parent if isinstance(text_or_path, Path) else None
    record, name, problems = read_checked(text_or_path, filename, VAGGA_SCHEMA,
                                          include_dir=include_dir, empty_twice=True)
    if record is INVALID:
        return None, problems
    problems += _cross_checks(record, name, include_dir)
    return record, sorted(problems, key=lambda p: (p.file, p.line, p.column))


def _cross_checks(record: Record, name: str, base: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    minimum = record["minimum-vagga"]
    if minimum is not None and version_newer(str(minimum), VAGGA_VERSION):
        problems.append(Problem(name, record.line_of("minimum-vagga"), "minimum-vagga",
                                f"this file asks for vagga {minimum}, newer than the "
                                f"{VAGGA_VERSION} these checks follow: vagga "
                                f"{VAGGA_VERSION} refuses to read it"))
    containers: Record = record["containers"]
    for cname, container in containers.items():
        url = container["image-cache-url"]
        if url is not None and "${short_hash}" not in url:
            problems.append(Problem(name, container.line_of("image-cache-url"),
                                    f"containers.{cname}.image-cache-url",
                                    "must contain ${short_hash}"))
        for target, line, index, _ in _step_targets(container):
            if target not in containers and target not in containers.invalid:
                problems.append(Problem(name, line, f"containers.{cname}.setup[{index}]",
                                        f"container {target!r} is not defined"))
    problems += _cycles(containers, name)
    for cmd, command in record["commands"].items():
        value = command.value
        line = record["commands"].line_of(cmd)
        names = []
        if command.tag == "Command":
            names.append((value["container"], f"commands.{cmd}.container"))
        elif command.tag == "Supervise":
            for child, info in value["children"].items():
                names.append((info.value["container"],
                              f"commands.{cmd}.children.{child}.container"))
        for target, key in names:
            if target not in containers and target not in containers.invalid:
                problems.append(Problem(name, line, key, f"container {target!r} is not "
                                        "defined (vagga fails only when the command runs)",
                                        "warning"))
    for index, mixin in enumerate(record["mixins"]):
        if base is not None and not (base / mixin).exists():
            problems.append(Problem(name, record["mixins"].lines[index], f"mixins[{index}]",
                                    f"mixin {mixin!r} not found (vagga only warns)",
                                    "warning"))
    return problems


def _cycles(containers: Record, name: str) -> list[Problem]:
    """A container built on itself, directly or through others: one problem a cycle, at
    the step that closes it (the first container in file order starts the walk)."""
    graph = {c: [t for t in _step_targets(v) if t[0] in containers]
             for c, v in containers.items()}
    problems: list[Problem] = []
    reported: set[str] = set()
    for start in graph:
        if start in reported:
            continue
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        found = False
        while stack and not found:
            node, path = stack.pop()
            for target, line, index, tag in graph[node]:
                if target == start:
                    cycle = " -> ".join([*path, start])
                    what = ("includes itself" if len(path) == 1
                            else f"is built on itself ({cycle})")
                    problems.append(Problem(
                        name, line, f"containers.{node}.setup[{index}]",
                        f"!{tag} {target}: container {start!r} {what}; vagga refuses "
                        "a cyclic dependency"))
                    reported.update(path)
                    found = True
                    break
                if target not in path:
                    stack.append((target, [*path, target]))
    return problems


NEWER_KEYS = frozenset({"get-pip-args"})
"""Keys only vaggas later than 0.8.1 know (0.8.1, the one the tutorial uses, refuses
them)."""


def validate_vagga(text_or_path: str | Path, filename: str | None = None) -> list[Problem]:
    """Every problem of a vagga.yaml (``!*Include`` followed when a path is given); a key
    of a later vagga is named as such (rule ``vagga-newer-key``)."""
    problems = parse_vagga(text_or_path, filename)[1]
    return [_newer_key(p) for p in problems]


def _newer_key(problem: Problem) -> Problem:
    name = problem.key.rsplit(".", 1)[-1].replace("_", "-")
    if problem.rule != "unknown-key" or name not in NEWER_KEYS:
        return problem
    return replace(problem, rule="vagga-newer-key",
                   message=f"{name} is a key of vaggas later than 0.8.1; vagga 0.8.1, "
                           f"which this check follows, refuses it (Keys {{\"{name}\"}} are "
                           "not expected)")


def ensured_dirs(record: Record, container: str) -> set[str]:
    """Directories that exist in ``container``'s image: vagga's base dirs, every
    ``!EnsureDir``, ``!Copy`` destinations, and those of base containers."""
    result = set(IMAGE_BASE_DIRS)
    for name in _base_chain(record, container):
        for step in record["containers"][name]["setup"]:
            if step.tag == "EnsureDir":
                result.add(str(PurePosixPath(step.value)))
            elif step.tag == "Copy":
                result.add(str(PurePosixPath(step.value["path"])))
    return result


def _base_chain(record: Record, container: str) -> list[str]:
    """*container* and every container its image is built on (``!Container``)."""
    containers = record["containers"]
    chain: list[str] = []
    todo = [container]
    while todo:
        name = todo.pop()
        if name in chain or name not in containers:
            continue
        chain.append(name)
        todo += [step.value for step in containers[name]["setup"] if step.tag == "Container"]
    return chain


def missing_mount_points(record: Record, container: str, mounts: list[str]) -> list[str]:
    """The ``mounts`` (lithos volume mount points) with no directory in the image."""
    present = ensured_dirs(record, container)
    return sorted(m for m in mounts if str(PurePosixPath(m)) not in present)


def check_deploy_container(record: Record, deploy: str, filename: str,
                           mounts: list[str] | tuple[str, ...] = ()) -> list[Problem]:
    """Checks of a deployment container against the tutorial's rules.

    ``deploy`` must start with ``!Container <dev>``; the dev container
    should mount ``/tmp: !Empty`` (so writes to /tmp fail in development as
    they would under lithos); every lithos volume mount point in ``mounts``
    must exist in the image (``!EnsureDir``).
    """
    containers = record["containers"]
    key = f"containers.{deploy}"
    if deploy not in containers:
        return [Problem(filename, 1, key, "deployment container is not defined")]
    container = containers[deploy]
    setup = container["setup"]
    problems = []
    if not setup.complete and (not setup or setup.indexes[0] != 0):
        return []  # the first step is wrong, and reported already by parse_vagga
    if not setup or setup[0].tag != "Container":
        return [Problem(filename, containers.line_of(deploy), f"{key}.setup",
                        "must start with !Container <development container>")]
    dev = setup[0].value
    if dev in containers:
        tmp = containers[dev]["volumes"].get("/tmp")
        if tmp is None or tmp.tag != "Empty":
            problems.append(Problem(filename, containers.line_of(dev),
                                    f"containers.{dev}.volumes./tmp",
                                    "should be !Empty: lithos gives no writable /tmp "
                                    "unless declared", "warning"))
    chain = _base_chain(record, deploy)
    if any(not containers[c]["setup"].complete for c in chain):
        return problems  # a broken step might have made the mount point: no guessing
    for mount in missing_mount_points(record, deploy, list(mounts)):
        problems.append(Problem(filename, setup.line or containers.line_of(deploy),
                                f"{key}.setup", f"no !EnsureDir {mount}: lithos needs the "
                                "mount point in the read-only image"))
    return problems


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class VaggaParams:
    """Choices behind the tutorial's vagga.yaml."""

    dev: str = "django"
    deploy: str = "django-deploy"
    base: str = "jammy"
    project: str = "MyProject"
    requirements: str = "requirements.txt"
    lithos_configs: str = "/work/lithos/config"
    mount_points: tuple[str, ...] = ("/state",)
    port: int = 8000


def tutorial_config(params: VaggaParams = VaggaParams()) -> dict[str, Any]:
    """The tutorial's vagga.yaml as data (tags as :class:`~tools.quire.nodes.Tagged`)."""
    environ = {"DJANGO_SETTINGS_MODULE": f"{params.project}.settings", "LANG": "C.UTF-8",
               "PYTHONPATH": "/work"}
    ensure = ["/app", "/config", *[m for m in params.mount_points if m not in ("/app",
                                                                                "/config")]]
    return {
        "containers": {
            params.dev: {
                "environ": environ,
                "volumes": {"/tmp": Tagged("!Empty")},
                "setup": [
                    Tagged("!Ubuntu", params.base),
                    Tagged("!Install", ["python3", "python3-pip"]),
                    Tagged("!Py3Requirements", params.requirements),
                ],
            },
            params.deploy: {
                "auto-clean": True,
                "environ": {**environ, "PYTHONPATH": "/app"},
                "setup": [
                    Tagged("!Container", params.dev),
                    *[Tagged("!EnsureDir", d) for d in ensure],
                    Tagged("!Copy", {"source": f"/work/{params.project}",
                                     "path": f"/app/{params.project}"}),
                    Tagged("!Copy", {"source": "/work/manage.py", "path": "/app/manage.py"}),
                    Tagged("!Copy", {"source": params.lithos_configs, "path": "/config"}),
                ],
            },
        },
        "commands": {
            "run": Tagged("!Command", {
                "description": "Run the development server",
                "container": params.dev,
                "run": ["python3", "manage.py", "runserver", f"127.0.0.1:{params.port}"],
            }),
            "manage.py": Tagged("!Command", {
                "description": "Run a Django management command",
                "container": params.dev,
                "run": ["python3", "manage.py"],
            }),
        },
    }


def tutorial_vagga_yaml(params: VaggaParams = VaggaParams()) -> str:
    """The tutorial's vagga.yaml as text."""
    return dump(tutorial_config(params))


def write_vagga(out: Path, params: VaggaParams = VaggaParams()) -> Path:
    """Write ``out/vagga.yaml`` atomically (temp file, then rename); return its path."""
    from .lithos.generate import write_files

    return write_files(out, {"vagga.yaml": tutorial_vagga_yaml(params)})[0]


# --------------------------------------------------------------------------- names


def explain_name(container: str, hash8: str, image_dir: str = "/var/lib/lithos/images/django"
                 ) -> dict[str, str]:
    """Where the name ``<container>.<hash8>`` shows up, given the hash vagga printed.

    Raises :class:`ValueError` for a hash that is not 8 lowercase hex digits
    or a container name vagga would not accept.
    """
    if not HASH8_RE.match(hash8):
        raise ValueError(f"hash must be 8 lowercase hex digits (vagga _version_hash --short), "
                         f"got {hash8!r}")
    if not re.fullmatch(r"[\w.-]+", container) or container.startswith("."):
        raise ValueError(f"not a vagga container name: {container!r}")
    image = f"{container}.{hash8}"
    return {
        "image": image,
        "hash_command": f"vagga _version_hash --short {container}",
        "vagga_root": f".vagga/.roots/{image}/root",
        "vagga_symlink": f".vagga/{container} -> .roots/{image}/root",
        "node_path": f"{image_dir}/{image}",
        "process_config": f"image: {image}",
        "meaning": "vagga names each build of a container by the first 8 hex digits of the "
                   "hash of its setup (steps and the files they read); a changed setup gives "
                   "a new name, so image directories are immutable and can sit side by side",
    }


__all__ = [
    "VAGGA_SCHEMA",
    "VAGGA_VERSION",
    "VaggaParams",
    "check_deploy_container",
    "ensured_dirs",
    "explain_name",
    "missing_mount_points",
    "parse_vagga",
    "tutorial_config",
    "tutorial_vagga_yaml",
    "validate_vagga",
    "version_newer",
    "write_vagga",
]
