"""The lab's package mirror: what the nodes reach instead of Debian's archive and PyPI.

A reader's machine installs packages from the internet with the commands the pages print
(``apt-get install -y ...``, ``pip install ...``). The lab's nodes have no route out, so
the lab puts a mirror on its own network and points the nodes' package sources at it:
their image carries :data:`APT_SOURCES_LIST` and :data:`PIP_CONF`, and the mirror answers
to the name :data:`MIRROR_ALIAS`. The commands on the pages then run unchanged.

The mirror has two halves, both filled on the lab's host by the ordinary clients and
served as plain files:

* ``debian/``: the ``.deb`` files of :data:`DEBIAN_PACKAGES` and everything they depend
  on (:func:`debian_closure`), fetched with ``apt-get download`` and indexed with
  ``dpkg-scanpackages`` and ``apt-ftparchive release``: a flat repository for
  ``deb [trusted=yes] http://mirror/debian ./``;
* ``simple/``: wheels of the tools' runtime requirements (:func:`python_requirements`),
  their dependencies and pip's own (:data:`INSTALLER_REQUIREMENTS`), made with
  ``pip wheel``, one directory per project under its normalized name (PEP 503), so that
  pip finds a project through the directory listing at ``http://mirror/simple/<project>/``.

:func:`ensure_mirror_files` fills the files once into a directory named by the hash of
the recipe; :func:`start_mirror` serves that directory read-only from a container on the
lab network with the standard library's HTTP server (``python3 -m http.server``).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container

from ....fs import exclusive_lock
from ....hosts import run_in_own_group
from ...base import LabError
from ...provision import SUITE, recipe_hash, runtime_requirements

Progress = Callable[[str], None]

RUN_LABEL = "deploydocs.lab.run"
"""The label naming the ``lab up`` that made a resource (see the docker backend)."""

MIRROR_ALIAS = "mirror"
"""The name the mirror answers to on the lab network (a network alias of its container)."""

APT_SOURCES_LIST = "deb [trusted=yes] http://mirror/debian ./\n"
"""The nodes' ``/etc/apt/sources.list``: the mirror's flat repository, in place of
Debian's archive."""

PIP_CONF = "[global]\nindex-url = http://mirror/simple/\ntrusted-host = mirror\n"
"""The nodes' ``/etc/pip.conf``: the mirror's simple index, in place of PyPI.

pip ignores an index served over plain HTTP unless its host is named trusted (it warns
"not a trusted or secure host" and finds nothing), hence ``trusted-host``: the lab's
stand-in for PyPI's HTTPS, as ``[trusted=yes]`` is apt's for the archive's signatures."""

STANDS_IN_FOR = "Debian's package archive (deb.debian.org) and PyPI"
"""What the mirror stands in for, as the lab's record and messages say it."""

DEBIAN_PACKAGES: tuple[str, ...] = ("python3-venv", "jq", "nftables", "rsync")
"""The Debian packages the pages have the reader install on the nodes."""

INSTALLER_REQUIREMENTS: tuple[str, ...] = ("pip", "setuptools", "wheel")
"""What a fresh virtual environment upgrades or builds with, served beside the
requirements of :func:`python_requirements`."""

RECIPE_VERSION = 2
"""Bump when the way the mirror is filled changes (it is part of the recipe hash)."""

CACHE_ROOT = Path("/var/cache/deploydocs/mirror")
"""Where the filled mirrors are kept, one directory per recipe hash."""

PYTHON_TARGET = "cp311-linux_x86_64"
"""The interpreter and platform the wheels are for: the nodes' Debian python3 (3.11) on
x86_64. The host's ``pip wheel`` makes them, so the host's Python must match."""

SERVE_ROOT = "/srv/mirror"
"""Where the mirror's files are mounted (read-only) in its container."""

SERVE_COMMAND = ["python3", "-m", "http.server", "80", "--directory", SERVE_ROOT]
"""The mirror container's command: the standard library's HTTP server, with directory
listings, on port 80."""

READY_DEADLINE = 60.0
"""Seconds :func:`start_mirror` waits for the mirror to answer HTTP."""

_DEP_LINE = re.compile(r"^ ([ |])([A-Za-z]+): (.+)$")
_PROJECT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class MirrorError(LabError):
    """The package mirror could not be filled or started; the message says which step."""


# --- Debian -----------------------------------------------------------------------------


def parse_depends(text: str) -> dict[str, list[list[tuple[str, list[str]]]]]:
    """Read the output of ``apt-cache depends``: package → its dependency groups.

    Each group is a list of alternatives (``a | b`` in the package's control file), each
    alternative ``(target, providers)``. A virtual target keeps its angle brackets
    (``<debconf-2.0>``) and lists the real packages that provide it, in apt-cache's order.
    Only ``Depends`` and ``PreDepends`` are kept. Sections of virtual packages (whose names
    are in angle brackets) are left out: they have no dependencies of their own.

    >>> parse_depends('''jq
    ...   Depends: libjq1
    ...  |Depends: debconf
    ...   Depends: <debconf-2.0>
    ...     cdebconf
    ...     debconf
    ...   Recommends: foo
    ... <debconf-2.0>
    ... ''')
    {'jq': [[('libjq1', [])], [('debconf', []), ('<debconf-2.0>', ['cdebconf', 'debconf'])]]}
    """
    graph: dict[str, list[list[tuple[str, list[str]]]]] = {}
    groups: list[list[tuple[str, list[str]]]] | None = None
    open_group = False  # the last alternative ended with "|": the next one joins its group
    kept = False  # the last dependency line was kept (so provider lines belong to it)
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            name = line.strip()
            groups = None if name.startswith("<") else graph.setdefault(name, [])
            open_group = kept = False
            continue
        if groups is None:
            continue
        match = _DEP_LINE.match(line)
        if match:
            alternative, kind, target = match.groups()
            kept = kind in ("Depends", "PreDepends")
            if not kept:
                open_group = False
                continue
            if open_group and groups:
                groups[-1].append((target.strip(), []))
            else:
                groups.append([(target.strip(), [])])
            open_group = alternative == "|"
        elif line.startswith("    ") and kept and groups:
            groups[-1][-1][1].append(line.strip())
    return graph


def closure_from_depends(text: str, roots: Iterable[str]) -> list[str]:
    """The real packages *roots* need, from ``apt-cache depends --recurse`` output.

    Each dependency group is met by the first of its alternatives that is a real package
    (one already chosen wins). A group of virtual targets only is met by a provider
    already chosen, else by the first provider apt-cache lists; such groups are settled
    last, so a provider the real dependencies bring in is preferred to another.
    Roots apt-cache does not know are left out (the caller checks).

    >>> closure_from_depends('''ca-certificates
    ...  |Depends: debconf
    ...   Depends: <debconf-2.0>
    ...     cdebconf
    ...     debconf
    ...   Depends: <awk>
    ...     mawk
    ...     gawk
    ... debconf
    ... cdebconf
    ...   Depends: libnewt0.52
    ... mawk
    ... gawk
    ... libnewt0.52
    ... <debconf-2.0>
    ... ''', ["ca-certificates"])
    ['ca-certificates', 'debconf', 'mawk']
    """
    graph = parse_depends(text)
    chosen: list[str] = []
    seen: set[str] = set()
    queue: list[str] = []
    virtual_groups: list[list[tuple[str, list[str]]]] = []

    def choose(name: str) -> None:
        if name in graph and name not in seen:
            seen.add(name)
            chosen.append(name)
            queue.append(name)

    for root in roots:
        choose(root)
    while queue or virtual_groups:
        while queue:
            for group in graph[queue.pop(0)]:
                real = [target for target, _ in group if target in graph]
                if any(target in seen for target in real):
                    continue
                if real:
                    choose(real[0])
                else:
                    virtual_groups.append(group)
        if virtual_groups:
            group = virtual_groups.pop(0)
            providers = [p for _, listed in group for p in listed if p in graph]
            if providers and not any(p in seen for p in providers):
                choose(providers[0])
    return chosen


class _AptLists:
    """Runs ``apt-get update`` at most once for its owner, when a look-up needs it."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.updated = False

    def refresh_once(self) -> bool:
        """Update the package lists unless done already; whether this call did."""
        if self.updated:
            return False
        self.progress("apt-get update (the host's package lists are missing or stale)")
        _check(["apt-get", "update"], "apt-get update")
        self.updated = True
        return True


def _depends_text(packages: Sequence[str]) -> str:
    status, out, err = _run([
        "apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
        "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages])
    if status not in (0, 100):  # 100: "No packages found"
        raise MirrorError(f"apt-cache depends failed (exit {status}): {err.strip()}")
    return out


def debian_closure(packages: Iterable[str], progress: Progress | None = None) -> list[str]:
    """*packages* and every real package they depend on (``Depends`` and ``PreDepends``,
    recursively; no recommends or suggests), as the host's ``apt-cache`` sees them.

    When apt-cache does not know one of *packages* (no package lists yet), runs
    ``apt-get update`` once and asks again. The list is a superset of what a node lacks:
    a node already has the essential packages. Raises :class:`MirrorError` naming the
    packages apt-cache still does not know.
    """
    return _debian_closure(list(packages), _AptLists(progress or (lambda _line: None)))


def _debian_closure(roots: list[str], lists: _AptLists) -> list[str]:
    while True:
        closure = closure_from_depends(_depends_text(roots), roots)
        unknown = [name for name in roots if name not in closure]
        if not unknown:
            return closure
        if not lists.refresh_once():
            raise MirrorError(
                f"apt-cache knows no package {', '.join(unknown)} (after apt-get update): "
                f"is the host's apt source {SUITE}, and is each a real (not virtual) package?")


def _download_debs(names: Sequence[str], dest: Path, lists: _AptLists) -> None:
    """``apt-get download`` every package of *names* into *dest*; when a download fails
    (lists older than the archive), update the lists once and try again."""
    while True:
        status, out, err = _run(["apt-get", "download", *names], cwd=dest)
        if status == 0:
            return
        if not lists.refresh_once():
            raise MirrorError(f"apt-get download failed (exit {status}):\n{_tail(out + err)}")


def _index_debs(dest: Path, lists: _AptLists) -> int:
    """Index the ``.deb`` files in *dest* as a flat repository; the number of entries.

    ``Packages`` and ``Packages.gz`` come from ``dpkg-scanpackages`` (dpkg-dev), and a
    ``Release`` naming their hashes from ``apt-ftparchive release`` (apt-utils): with it,
    apt fetches exactly these indexes and checks them. Either package is installed on
    the host first if it lacks it.
    """
    _ensure_tool("dpkg-scanpackages", "dpkg-dev", lists)
    _ensure_tool("apt-ftparchive", "apt-utils", lists)
    packages = _check(["dpkg-scanpackages", "--multiversion", "."], "dpkg-scanpackages",
                      cwd=dest)
    (dest / "Packages").write_text(packages)
    with (dest / "Packages.gz").open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
        packed.write(packages.encode())
    release = _check(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=deploydocs-lab",
                      "-o", f"APT::FTPArchive::Release::Description={_RELEASE_DESCRIPTION}",
                      "release", "."], "apt-ftparchive release", cwd=dest)
    (dest / "Release").write_text(release)
    return sum(1 for line in packages.splitlines() if line.startswith("Package: "))


_RELEASE_DESCRIPTION = f"the deploydocs lab's stand-in for Debian's {SUITE} archive"


def _ensure_tool(command: str, package: str, lists: _AptLists) -> None:
    """Install the Debian *package* that provides *command* unless the host has it."""
    if shutil.which(command) is not None:
        return
    lists.progress(f"apt-get install {package} (for {command})")
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if _run(install)[0] != 0 and lists.refresh_once():
        _check(install, f"apt-get install {package}")
    if shutil.which(command) is None:
        raise MirrorError(f"{command} is missing and installing {package} did not bring it")


# --- Python ------------------------------------------------------------------------------


def python_requirements() -> list[str]:
    """The runtime requirements of the tools, pinned: what a node's pip resolves when it
    installs the ``deploydocs-tools`` wheel
    (:func:`tools.lab.provision.runtime_requirements`)."""
    return runtime_requirements()


def normalize_project(name: str) -> str:
    """A project's name as PEP 503 spells its index directory.

    >>> normalize_project("ruamel.yaml"), normalize_project("PyMeta3"), normalize_project("a_b--c")
    ('ruamel-yaml', 'pymeta3', 'a-b-c')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_project(filename: str) -> str:
    """The normalized project name of a wheel file.

    >>> wheel_project("ruamel.yaml.clib-0.2.12-cp311-cp311-manylinux2014_x86_64.whl")
    'ruamel-yaml-clib'
    >>> wheel_project("Jinja2-3.1.6-py3-none-any.whl")
    'jinja2'
    """
    if not filename.endswith(".whl") or filename.count("-") < 4:
        raise MirrorError(f"{filename} is not a wheel file name")
    return normalize_project(filename.split("-", 1)[0])


def requirement_project(requirement: str) -> str:
    """The normalized project name of a requirement.

    >>> requirement_project("ruamel.yaml==0.19.1")
    'ruamel-yaml'
    """
    match = _PROJECT_NAME.match(requirement)
    if not match:
        raise MirrorError(f"no project name in the requirement {requirement!r}")
    return normalize_project(match.group(1))


def _host_python() -> str:
    """An interpreter of the nodes' Python version (:data:`PYTHON_TARGET`) on this host."""
    if sys.version_info[:2] == (3, 11) and os.uname().machine == "x86_64":
        return sys.executable
    found = shutil.which("python3.11")
    if found is None:
        raise MirrorError(f"the wheels are for {PYTHON_TARGET}, and this host has no "
                          "Python 3.11 on x86_64 to make them with pip")
    return found


def _build_wheels(requirements: Sequence[str], wheel_dir: Path) -> None:
    """``pip wheel`` *requirements* and all they depend on into *wheel_dir*: PyPI's wheels
    where it has them, wheels built from its sdists where it has only those."""
    _check([_host_python(), "-m", "pip", "wheel", "--wheel-dir", str(wheel_dir),
            "--progress-bar", "off", *requirements], "pip wheel")


def arrange_simple_index(wheel_dir: Path, simple: Path,
                         requirements: Iterable[str] = ()) -> dict[str, list[str]]:
    """Move the wheels of *wheel_dir* into *simple*, one directory per normalized project
    name (PEP 503); return project → file names.

    Raises :class:`MirrorError` when *wheel_dir* holds anything but wheels, or when the
    project of one of *requirements* has no wheel.
    """
    projects: dict[str, list[str]] = {}
    for item in sorted(wheel_dir.iterdir()):
        project = wheel_project(item.name)
        target = simple / project
        target.mkdir(parents=True, exist_ok=True)
        item.rename(target / item.name)
        projects.setdefault(project, []).append(item.name)
    missing = sorted({requirement_project(r) for r in requirements} - set(projects))
    if missing:
        raise MirrorError(f"pip wheel made no wheel for {', '.join(missing)}")
    return projects


# --- the mirror's files ------------------------------------------------------------------


def mirror_recipe(packages: Iterable[str] = DEBIAN_PACKAGES,
                  requirements: Iterable[str] | None = None,
                  machines: str = "") -> dict[str, object]:
    """Everything that decides what the mirror holds (requirements default to
    :func:`python_requirements`). *machines* names the image the nodes boot: a mirror is
    filled for one image, so that the packages it holds were current when the image's were
    (a newer image, built after a Debian point release, gets a mirror of its own)."""
    return {
        "machines": machines,
        "suite": SUITE,
        "debian_packages": sorted(packages),
        "python_requirements": sorted(python_requirements() if requirements is None
                                      else requirements),
        "installer_requirements": list(INSTALLER_REQUIREMENTS),
        "python_target": PYTHON_TARGET,
        "version": RECIPE_VERSION,
    }


def mirror_dir_name(recipe: dict[str, object]) -> str:
    """The cache directory name of a recipe: ``bookworm-<12 hex digits of its hash>``.

    >>> mirror_dir_name({"a": 1})
    'bookworm-015abd7f5cc5'
    """
    return f"{SUITE}-{recipe_hash(recipe)}"


def ensure_mirror_files(progress: Progress = print, cache_root: Path = CACHE_ROOT, *,
                        packages: Iterable[str] = DEBIAN_PACKAGES,
                        requirements: Iterable[str] | None = None,
                        machines: str = "") -> Path:
    """The mirror's directory for the current recipe, filled on the first call.

    It holds ``debian/`` (a flat apt repository: ``.deb`` files, ``Packages``,
    ``Packages.gz`` and ``Release``), ``simple/`` (a PEP 503 index of plain
    directories), ``MIRROR.txt`` (what it stands in for and what it holds) and
    ``recipe.json``. A filled mirror is found by its name and returned at once.
    Otherwise the files are made in a hidden directory of *cache_root* and renamed into
    place at the end, under an exclusive ``flock`` of ``cache_root/.lock``: a killed fill
    leaves no half mirror (the next fill removes its remains), and two processes never
    fill at once. *machines* is the image id the nodes boot (:func:`mirror_recipe`).
    *packages* (default :data:`DEBIAN_PACKAGES`) and *requirements*
    (default :func:`python_requirements`) say what to hold; the wheels of
    :data:`INSTALLER_REQUIREMENTS` are always added.
    """
    recipe = mirror_recipe(packages, requirements, machines)
    final = cache_root / mirror_dir_name(recipe)
    if final.is_dir():
        return final
    cache_root.mkdir(parents=True, exist_ok=True)
    with _fill_lock(cache_root):
        if final.is_dir():  # another process filled it while we waited
            return final
        for stale in cache_root.glob(".*.partial-*"):
            progress(f"removing the remains of an interrupted fill: {stale.name}")
            shutil.rmtree(stale)
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=cache_root))
        try:
            _fill(scratch, recipe, progress)
            scratch.chmod(0o755)
            scratch.rename(final)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
    progress(f"package mirror filled in {time.monotonic() - started:.0f} s: {final} "
             f"({_size(final) / 1e6:.0f} MB)")
    return final


def _fill_lock(cache_root: Path) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock on ``cache_root/.lock`` (waiting for another fill)."""
    return exclusive_lock(cache_root / ".lock")


def _fill(root: Path, recipe: dict[str, object], progress: Progress) -> None:
    """Make every file of the mirror under *root* (an empty directory)."""
    import json

    roots = _strings(recipe["debian_packages"])
    requirements = [*_strings(recipe["python_requirements"]), *INSTALLER_REQUIREMENTS]
    lists = _AptLists(progress)
    progress(f"package mirror: the dependencies of {', '.join(roots)} (apt-cache depends)")
    names = _debian_closure(roots, lists)
    debian = root / "debian"
    debian.mkdir()
    progress(f"package mirror: apt-get download ({len(names)} Debian packages)")
    _download_debs(names, debian, lists)
    entries = _index_debs(debian, lists)
    progress(f"package mirror: pip wheel ({len(requirements)} requirements and their "
             "dependencies)")
    wheels = root / ".wheels"
    wheels.mkdir()
    _build_wheels(requirements, wheels)
    projects = arrange_simple_index(wheels, root / "simple", requirements)
    wheels.rmdir()
    debs = sorted(p.name for p in debian.glob("*.deb"))
    (root / "MIRROR.txt").write_text(
        _describe(roots, requirements, debs, entries, projects))
    (root / "recipe.json").write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
    for path in (root, *root.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _strings(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(item) for item in value]


def _describe(roots: list[str], requirements: list[str], debs: list[str], entries: int,
              projects: dict[str, list[str]]) -> str:
    """The text of ``MIRROR.txt``."""
    lines = [
        "deploydocs lab package mirror",
        "",
        f"It stands in for {STANDS_IN_FOR}, which the lab's nodes cannot reach.",
        "Its files come from there, fetched on the lab's host by the ordinary clients.",
        "",
        f"debian/  stands in for Debian's {SUITE} archive: a flat repository",
        f"         ({APT_SOURCES_LIST.strip()}), {entries} packages:",
        f"         {', '.join(roots)} and their dependencies",
        "         (apt-get download, then dpkg-scanpackages and apt-ftparchive release).",
        *(f"    {name}" for name in debs),
        "",
        "simple/  stands in for PyPI: a PEP 503 index of plain directories",
        f"         (index-url = http://{MIRROR_ALIAS}/simple/), wheels for {PYTHON_TARGET} of:",
        f"         {', '.join(requirements)}",
        "         and their dependencies (pip wheel).",
        *(f"    {project}/{name}" for project, names in sorted(projects.items())
          for name in names),
        "",
    ]
    return "\n".join(lines)


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# --- the mirror's container --------------------------------------------------------------


def start_mirror(client: docker.DockerClient, *, lab_name: str, network: str, image: str,
                 root: Path, labels: dict[str, str]) -> str:
    """Serve *root* as the lab's mirror; return its container's name (``<lab>-mirror``).

    The container runs *image* (a Debian image with python3) with :data:`SERVE_COMMAND`,
    *root* mounted read-only at :data:`SERVE_ROOT`, on *network* with the alias
    :data:`MIRROR_ALIAS`, carrying *labels*. It adds no capability (it drops them all and
    runs as ``nobody``) and never restarts by itself. A container of that name that
    already serves *root* from *image* is kept (and started if stopped); one made
    otherwise is replaced. Waits until the server answers HTTP inside the container, or
    raises :class:`MirrorError` with its logs.
    """
    name = f"{lab_name}-mirror"
    root = Path(root).resolve()
    if not (root / "debian" / "Packages").is_file():
        raise MirrorError(f"{root} is not a filled mirror (no debian/Packages)")
    try:
        image_id = str(client.images.get(image).id)
        network_id = str(client.networks.get(network).id)
    except docker.errors.NotFound as err:
        raise MirrorError(f"cannot start {name}: {err}") from err
    container = _find_container(client, name)
    if container is not None and not _serves(container, image_id, root, network_id, labels):
        container.remove(force=True)
        container = None
    if container is None:
        container = _create_mirror(client, name, image_id, network, root, labels)
    if container.status != "running":
        container.start()
    _wait_serving(container, READY_DEADLINE)
    return name


def _find_container(client: docker.DockerClient, name: str) -> Container | None:
    with contextlib.suppress(docker.errors.NotFound):
        return client.containers.get(name)
    return None


def _serves(container: Container, image_id: str, root: Path,
            network_id: str, labels: dict[str, str]) -> bool:
    """Whether *container* was made as :func:`start_mirror` would make it now."""
    attrs = container.attrs
    mounts = [(m.get("Type"), m.get("Source"), m.get("Destination"), m.get("RW"))
              for m in attrs.get("Mounts") or []]
    endpoint = ((attrs.get("NetworkSettings") or {}).get("Networks") or {}).values()
    on_network = any(e.get("NetworkID") == network_id and MIRROR_ALIAS in (e.get("Aliases") or [])
                     for e in endpoint)
    config = attrs.get("Config") or {}
    have_labels = config.get("Labels") or {}
    return bool(
        attrs.get("Image") == image_id
        and mounts == [("bind", str(root), SERVE_ROOT, False)]
        and config.get("Cmd") == SERVE_COMMAND
        and on_network
        # The run label names the `lab up` that made a resource; a later `up` reuses the
        # mirror as it reuses the nodes, so that label is not compared.
        and all(have_labels.get(key) == value for key, value in labels.items()
                if key != RUN_LABEL)
    )


def _create_mirror(client: docker.DockerClient, name: str, image_id: str, network: str,
                   root: Path, labels: dict[str, str]) -> Container:
    api = client.api
    host_config = api.create_host_config(
        network_mode=network,
        binds={str(root): {"bind": SERVE_ROOT, "mode": "ro"}},
        restart_policy={"Name": "no"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
        # Port 80 without CAP_NET_BIND_SERVICE (Docker's default for a container's own
        # network namespace since 20.10; said here so it never depends on that).
        sysctls={"net.ipv4.ip_unprivileged_port_start": "0"},
    )
    networking = api.create_networking_config(
        {network: api.create_endpoint_config(aliases=[MIRROR_ALIAS])})
    try:
        created = api.create_container(
            image_id, command=SERVE_COMMAND, name=name, hostname=MIRROR_ALIAS,
            user="65534:65534", labels=labels, host_config=host_config,
            networking_config=networking, detach=True,
        )
    except docker.errors.APIError as err:
        raise MirrorError(f"cannot create {name}: {err}") from err
    return client.containers.get(created["Id"])


_PROBE = ("import urllib.request; "
          "urllib.request.urlopen('http://127.0.0.1:80/debian/Packages', timeout=5).read(1)")


def _wait_serving(container: Container, deadline: float) -> None:
    """Poll until the server in *container* answers HTTP; raise with its logs otherwise."""
    end = time.monotonic() + deadline
    last = ""
    while True:
        container.reload()
        if container.status in ("exited", "dead"):
            break
        if container.status == "running":
            try:
                code, output = container.exec_run(["python3", "-c", _PROBE])
            except docker.errors.APIError as err:
                code, output = 1, str(err).encode()
            if code == 0:
                return
            said = (output or b"").decode("utf-8", "replace").strip().splitlines()
            last = said[-1] if said else f"exit {code}"
        if time.monotonic() > end:
            break
        time.sleep(0.2)
    logs = container.logs(tail=30).decode("utf-8", "replace").strip()
    raise MirrorError(
        f"{container.name} ({container.status}) did not answer HTTP on port 80 within "
        f"{deadline:g} s; last probe: {last or 'none'}; its log:\n{logs or '(empty)'}")


# --- running commands ----------------------------------------------------------------------


def _run(argv: list[str], *, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run *argv* on this host in its own process group: ``(status, stdout, stderr)``."""
    try:
        status, out, err = run_in_own_group(argv, cwd=cwd)
    except FileNotFoundError as error:
        raise MirrorError(f"{argv[0]} is not installed on this host") from error
    return (-1 if status is None else status, out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"))


def _check(argv: list[str], what: str, *, cwd: Path | None = None) -> str:
    """Run *argv* (:func:`_run`) and return its stdout; raise :class:`MirrorError` naming
    *what* with the end of its output when it fails."""
    status, out, err = _run(argv, cwd=cwd)
    if status != 0:
        raise MirrorError(f"{what} failed (exit {status}):\n{_tail(out + err)}")
    return out


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
