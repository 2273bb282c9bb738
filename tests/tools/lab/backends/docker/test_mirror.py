"""The lab's package mirror: its recipe, its cache, its dependency closure, and (with
docker) a real mirror that a bare Debian container installs from with apt and pip."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.lab.backends.docker import mirror
from tools.lab.backends.docker.mirror import (
    APT_SOURCES_LIST,
    PIP_CONF,
    MirrorError,
    arrange_simple_index,
    closure_from_depends,
    debian_closure,
    ensure_mirror_files,
    mirror_dir_name,
    mirror_recipe,
    parse_depends,
)
from tools.lab.base import LAB_LABEL

# What `apt-cache depends --recurse` prints, cut down: alternatives ("|"), a virtual
# package with two providers, a group of virtual targets only, and kinds that are ignored.
DEPENDS = """\
app
  PreDepends: libc
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
    debconf
  Depends: <awk>
    gawk
    mawk
  Recommends: docs
  Suggests: extras
libc
  Depends: gcc-base
debconf
  PreDepends: perl-base
cdebconf
  Depends: libnewt
gawk
  Depends: libc
  Depends: libmpfr
mawk
  Depends: libc
perl-base
gcc-base
libnewt
libmpfr
docs
extras
<debconf-2.0>
<awk>
"""


class FakeRun:
    """Stands in for :func:`tools.lab.backends.docker.mirror._run`: answers commands from a
    script of ``(argv prefix, (status, stdout, stderr))`` pairs and records every call."""

    def __init__(self, answers: list[tuple[list[str], tuple[int, str, str]]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], *, cwd: Path | None = None) -> tuple[int, str, str]:
        self.calls.append(argv)
        for index, (prefix, answer) in enumerate(self.answers):
            if argv[:len(prefix)] == prefix:
                del self.answers[index]
                return answer
        raise AssertionError(f"unexpected command {argv}")

    def commands(self) -> list[str]:
        return [" ".join(argv[:2]) for argv in self.calls]


# --- the Debian closure ------------------------------------------------------------------

def test_parse_keeps_depends_and_predepends_only() -> None:
    graph = parse_depends(DEPENDS)
    assert graph["app"] == [
        [("libc", [])],
        [("debconf", []), ("<debconf-2.0>", ["cdebconf", "debconf"])],
        [("<awk>", ["gawk", "mawk"])],
    ]
    assert "<awk>" not in graph and "<debconf-2.0>" not in graph
    assert graph["perl-base"] == []


def test_closure_takes_real_alternatives_and_one_provider() -> None:
    closure = closure_from_depends(DEPENDS, ["app"])
    # debconf meets "debconf | debconf-2.0"; gawk (the first provider apt-cache lists)
    # meets "awk" and brings libmpfr; nothing recommended, suggested, or second choice.
    assert closure == ["app", "libc", "debconf", "gcc-base", "perl-base", "gawk", "libmpfr"]
    assert not {"cdebconf", "libnewt", "mawk", "docs", "extras"} & set(closure)
    assert not [name for name in closure if name.startswith("<")]


def test_closure_prefers_a_provider_already_chosen() -> None:
    assert closure_from_depends(DEPENDS, ["app", "mawk"]) == [
        "app", "mawk", "libc", "debconf", "gcc-base", "perl-base"]


def test_closure_leaves_unknown_roots_out() -> None:
    assert closure_from_depends(DEPENDS, ["nosuch", "libc"]) == ["libc", "gcc-base"]


def test_closure_updates_the_lists_once_when_apt_cache_knows_nothing(monkeypatch) -> None:
    fake = FakeRun([
        (["apt-cache", "depends"], (100, "", "E: No packages found\n")),
        (["apt-get", "update"], (0, "", "")),
        (["apt-cache", "depends"], (0, DEPENDS, "")),
    ])
    monkeypatch.setattr(mirror, "_run", fake)
    lines: list[str] = []
    assert debian_closure(["app"], progress=lines.append)[:2] == ["app", "libc"]
    assert fake.commands() == ["apt-cache depends", "apt-get update", "apt-cache depends"]
    depends = fake.calls[0]
    for flag in ("--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                 "--no-breaks", "--no-replaces", "--no-enhances"):
        assert flag in depends
    assert any("apt-get update" in line for line in lines)


def test_closure_names_what_apt_cache_never_finds(monkeypatch) -> None:
    fake = FakeRun([
        (["apt-cache", "depends"], (0, DEPENDS, "")),
        (["apt-get", "update"], (0, "", "")),
        (["apt-cache", "depends"], (0, DEPENDS, "")),
    ])
    monkeypatch.setattr(mirror, "_run", fake)
    with pytest.raises(MirrorError, match="no package nosuch"):
        debian_closure(["app", "nosuch"])
    assert fake.commands().count("apt-get update") == 1


def test_a_failed_download_updates_the_lists_once_then_fails(tmp_path: Path,
                                                             monkeypatch) -> None:
    fake = FakeRun([
        (["apt-get", "download"], (100, "", "E: Failed to fetch jq_1.deb  404  Not Found\n")),
        (["apt-get", "update"], (0, "", "")),
        (["apt-get", "download"], (100, "", "E: Failed to fetch jq_1.deb  404  Not Found\n")),
    ])
    monkeypatch.setattr(mirror, "_run", fake)
    lists = mirror._AptLists(lambda _line: None)
    with pytest.raises(MirrorError, match="404"):
        mirror._download_debs(["jq"], tmp_path, lists)
    assert fake.commands() == ["apt-get download", "apt-get update", "apt-get download"]


def test_a_missing_index_tool_is_installed_with_apt_get(monkeypatch) -> None:
    installed: set[str] = set()
    fake = FakeRun([
        (["apt-get", "install"], (100, "", "E: Unable to locate package apt-utils\n")),
        (["apt-get", "update"], (0, "", "")),
        (["apt-get", "install"], (0, "", "")),
    ])

    def run(argv: list[str], *, cwd: Path | None = None) -> tuple[int, str, str]:
        answer = fake(argv, cwd=cwd)
        if argv[:2] == ["apt-get", "install"] and answer[0] == 0:
            installed.add("apt-ftparchive")
        return answer

    monkeypatch.setattr(mirror, "_run", run)
    monkeypatch.setattr(mirror.shutil, "which",
                        lambda command: f"/usr/bin/{command}" if command in installed else None)
    mirror._ensure_tool("apt-ftparchive", "apt-utils", mirror._AptLists(lambda _line: None))
    assert fake.commands() == ["apt-get install", "apt-get update", "apt-get install"]
    assert fake.calls[0][-1] == "apt-utils"


# --- the Python index --------------------------------------------------------------------

def test_wheels_are_arranged_by_normalized_project_name(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    names = ["ruamel.yaml-0.19.1-py3-none-any.whl", "PyMeta3-0.5.1-py3-none-any.whl",
             "markdown_it_py-4.3.0-py3-none-any.whl", "click-8.5.1-py3-none-any.whl"]
    for name in names:
        (wheels / name).write_bytes(b"PK")
    projects = arrange_simple_index(wheels, tmp_path / "simple",
                                    ["ruamel.yaml==0.19.1", "click", "Markdown-It_py>=3"])
    assert projects == {
        "click": ["click-8.5.1-py3-none-any.whl"],
        "markdown-it-py": ["markdown_it_py-4.3.0-py3-none-any.whl"],
        "pymeta3": ["PyMeta3-0.5.1-py3-none-any.whl"],
        "ruamel-yaml": ["ruamel.yaml-0.19.1-py3-none-any.whl"],
    }
    assert (tmp_path / "simple" / "ruamel-yaml" / names[0]).is_file()
    assert not list(wheels.iterdir())


def test_the_index_takes_wheels_only_and_all_requirements(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "click-8.5.1-py3-none-any.whl").write_bytes(b"PK")
    with pytest.raises(MirrorError, match="pip wheel made no wheel for lupa"):
        arrange_simple_index(wheels, tmp_path / "simple", ["click==8.5.1", "lupa==2.8"])
    (wheels / "pybars3-0.9.7.tar.gz").write_bytes(b"")
    with pytest.raises(MirrorError, match="not a wheel"):
        arrange_simple_index(wheels, tmp_path / "simple2")


def test_python_requirements_are_the_tools_runtime_pins() -> None:
    from tools.lab.provision import runtime_requirements

    requirements = mirror.python_requirements()
    assert requirements == runtime_requirements()
    assert all("==" in requirement for requirement in requirements)
    assert "deploydocs-tools" not in " ".join(requirements)


# --- the recipe and the cache ------------------------------------------------------------

def test_the_directory_name_follows_the_recipe(monkeypatch) -> None:
    base = mirror_dir_name(mirror_recipe(["jq"], ["click==8.5.1"]))
    assert re.fullmatch(r"bookworm-[0-9a-f]{12}", base)
    assert mirror_dir_name(mirror_recipe(["jq"], ["click==8.5.1"])) == base
    assert mirror_dir_name(mirror_recipe(("jq",), ("click==8.5.1",))) == base
    assert mirror_dir_name(mirror_recipe(["jq", "rsync"], ["click==8.5.1"])) != base
    assert mirror_dir_name(mirror_recipe(["jq"], ["click==8.5.0"])) != base
    monkeypatch.setattr(mirror, "RECIPE_VERSION", mirror.RECIPE_VERSION + 1)
    assert mirror_dir_name(mirror_recipe(["jq"], ["click==8.5.1"])) != base


def test_the_default_recipe_is_the_pages_packages_and_the_tools_pins() -> None:
    recipe = mirror_recipe()
    assert recipe["debian_packages"] == sorted(mirror.DEBIAN_PACKAGES)
    assert recipe["python_requirements"] == mirror.python_requirements()


def test_the_node_configuration_points_at_the_mirror() -> None:
    assert APT_SOURCES_LIST == "deb [trusted=yes] http://mirror/debian ./\n"
    assert PIP_CONF == "[global]\nindex-url = http://mirror/simple/\ntrusted-host = mirror\n"
    assert mirror.MIRROR_ALIAS == "mirror"


class FakeFill:
    """Stands in for :func:`tools.lab.backends.docker.mirror._fill`: records where it filled."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.scratches: list[Path] = []

    def __call__(self, root: Path, recipe: dict[str, object], progress: object) -> None:
        self.scratches.append(root)
        assert not list(root.iterdir())
        (root / "MIRROR.txt").write_text("a stand-in\n")
        if self.fail:
            raise RuntimeError("killed half way")


def _fill_tiny(cache: Path, monkeypatch, fill: FakeFill) -> Path:
    monkeypatch.setattr(mirror, "_fill", fill)
    return ensure_mirror_files(progress=lambda _line: None, cache_root=cache,
                               packages=["jq"], requirements=["click==8.5.1"])


def test_a_fill_is_renamed_into_place_and_kept(tmp_path: Path, monkeypatch) -> None:
    fill = FakeFill()
    path = _fill_tiny(tmp_path, monkeypatch, fill)
    assert path == tmp_path / mirror_dir_name(mirror_recipe(["jq"], ["click==8.5.1"]))
    assert (path / "MIRROR.txt").read_text() == "a stand-in\n"
    [scratch] = fill.scratches
    assert scratch.parent == tmp_path and scratch.name.startswith(f".{path.name}.partial-")
    assert not scratch.exists()
    assert oct(path.stat().st_mode & 0o777) == oct(0o755)
    again = FakeFill()
    assert _fill_tiny(tmp_path, monkeypatch, again) == path
    assert again.scratches == []


def test_a_failed_fill_leaves_no_mirror(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(RuntimeError, match="killed half way"):
        _fill_tiny(tmp_path, monkeypatch, FakeFill(fail=True))
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]


def test_the_remains_of_a_killed_fill_are_removed(tmp_path: Path, monkeypatch) -> None:
    remains = tmp_path / ".bookworm-0123456789ab.partial-x1y2"
    (remains / "debian").mkdir(parents=True)
    path = _fill_tiny(tmp_path, monkeypatch, FakeFill())
    assert not remains.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", path.name]


def test_a_fill_waits_for_another_and_uses_its_mirror(tmp_path: Path, monkeypatch) -> None:
    """Two fills at once: the second blocks on the lock, then finds the first one's mirror."""
    first_inside, let_first_finish, second_locking = (
        threading.Event(), threading.Event(), threading.Event())
    calls: list[str] = []

    def fill(root: Path, recipe: dict[str, object], progress: object) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            first_inside.set()
            assert let_first_finish.wait(30)

    real_lock = mirror._fill_lock

    @contextlib.contextmanager
    def lock(cache_root: Path) -> Iterator[None]:
        if threading.current_thread().name == "second":
            second_locking.set()
        with real_lock(cache_root):
            yield

    monkeypatch.setattr(mirror, "_fill", fill)
    monkeypatch.setattr(mirror, "_fill_lock", lock)
    results: dict[str, Path] = {}

    def run() -> None:
        results[threading.current_thread().name] = ensure_mirror_files(
            progress=lambda _line: None, cache_root=tmp_path, packages=["jq"],
            requirements=["click==8.5.1"])

    first = threading.Thread(target=run, name="first")
    second = threading.Thread(target=run, name="second")
    first.start()
    assert first_inside.wait(30)
    second.start()
    assert second_locking.wait(30)  # past the quick check: only the lock holds it back now
    let_first_finish.set()
    first.join(30)
    second.join(30)
    assert calls == ["first"]
    assert results["first"] == results["second"]


# --- the container's configuration -------------------------------------------------------

def _attrs(root: str, image: str = "sha256:img", network_id: str = "net1") -> dict[str, object]:
    return {
        "Image": image,
        "Mounts": [{"Type": "bind", "Source": root, "Destination": "/srv/mirror",
                    "RW": False}],
        "Config": {"Cmd": list(mirror.SERVE_COMMAND),
                   "Labels": {LAB_LABEL: "lab", "extra": "x"}},
        "NetworkSettings": {"Networks": {"lab-net": {"NetworkID": network_id,
                                                     "Aliases": ["mirror", "abc123"]}}},
    }


class _Container:
    def __init__(self, attrs: dict[str, object]) -> None:
        self.attrs = attrs


@pytest.mark.parametrize(("attrs", "same"), [
    (_attrs("/m"), True),
    (_attrs("/other"), False),
    (_attrs("/m", image="sha256:other"), False),
    (_attrs("/m", network_id="net2"), False),
])
def test_a_mirror_container_is_kept_only_as_made(attrs: dict[str, object], same: bool) -> None:
    container = _Container(attrs)
    assert mirror._serves(container, "sha256:img", Path("/m"), "net1",  # type: ignore[arg-type]
                          {LAB_LABEL: "lab"}) is same


# --- the real thing ----------------------------------------------------------------------

TEST_IMAGE = "deploydocs.lab/test-mirror-base:latest"
"""A minimal Debian bookworm with python3, made here when the lab's base image is absent."""


def _debian_image(client) -> str:  # type: ignore[no-untyped-def]
    """The lab's base image if one is built, else :data:`TEST_IMAGE` (made once)."""
    import docker.errors

    for image in client.images.list(filters={"label": LAB_LABEL}):
        for tag in image.tags:
            if tag.startswith("deploydocs.lab/base:"):
                return str(tag)
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.get(TEST_IMAGE)
        return TEST_IMAGE
    if not os.path.exists("/usr/sbin/debootstrap"):
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"],
                       check=True, capture_output=True)
    scratch = Path(tempfile.mkdtemp(prefix="deploydocs.lab-test-mirror-", dir="/var/tmp"))
    try:
        root = scratch / "root"
        subprocess.run(["/usr/sbin/debootstrap", "--variant=minbase",
                        "--include=python3,ca-certificates", "bookworm", str(root),
                        "http://deb.debian.org/debian"], check=True, capture_output=True)
        tarball = scratch / "root.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."],
                       check=True)
        repository, _, tag = TEST_IMAGE.partition(":")
        client.api.import_image(src=str(tarball), repository=repository, tag=tag,
                                changes=[f"LABEL {LAB_LABEL}=test"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return TEST_IMAGE


def _exec(container, command: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code, output = container.exec_run(["bash", "-c", command])
    return code, (output or b"").decode("utf-8", "replace")


@pytest.mark.lab
@pytest.mark.slow
def test_a_bare_debian_installs_from_the_mirror(tmp_path: Path) -> None:
    from tools.lab.backends.docker import connect
    from tools.lab.backends.docker.reap import labelled, remove_labelled

    client = connect()
    lab = f"deploydocs.lab-tmirror{os.getpid()}"
    labels = {LAB_LABEL: lab}
    try:
        image = _debian_image(client)
        lines: list[str] = []
        root = ensure_mirror_files(progress=lines.append)
        assert "PyPI" in (root / "MIRROR.txt").read_text()
        assert "bookworm archive" in (root / "MIRROR.txt").read_text()
        network = client.networks.create(
            f"{lab}-net", driver="bridge", internal=True, labels=labels,
            options={"com.docker.network.bridge.inhibit_ipv4": "true"})

        # A mirror container made otherwise (here: serving another directory) is replaced.
        other = tmp_path / "other"
        (other / "debian").mkdir(parents=True)
        (other / "debian" / "Packages").write_text("")
        for path in (tmp_path, other, other / "debian"):
            path.chmod(0o755)
        name = mirror.start_mirror(client, lab_name=lab, network=network.name, image=image,
                                   root=other, labels=labels)
        assert name == f"{lab}-mirror"
        stale_id = client.containers.get(name).id
        mirror.start_mirror(client, lab_name=lab, network=network.name, image=image,
                            root=root, labels=labels)
        served = client.containers.get(name)
        assert served.id != stale_id
        # ... and one made the same way is kept.
        mirror.start_mirror(client, lab_name=lab, network=network.name, image=image,
                            root=root, labels=labels)
        assert client.containers.get(name).id == served.id
        host_config = served.attrs["HostConfig"]
        assert not host_config.get("CapAdd")
        assert host_config["RestartPolicy"]["Name"] in ("", "no")
        assert [(m["Source"], m["Destination"], m["RW"]) for m in served.attrs["Mounts"]] == [
            (str(root), "/srv/mirror", False)]

        node = client.containers.run(
            image, ["sleep", "infinity"], name=f"{lab}-client", labels=labels,
            network=network.name, detach=True)
        code, out = _exec(node, (
            f"printf '%s' '{APT_SOURCES_LIST}' > /etc/apt/sources.list && "
            "rm -f /etc/apt/sources.list.d/* && "
            f"printf '%s' '{PIP_CONF}' > /etc/pip.conf"))
        assert code == 0, out

        code, out = _exec(node, "apt-get update && apt-get install -y --no-install-recommends "
                                "jq && jq --version")
        assert code == 0, out
        assert "Get:2 http://mirror/debian ./ Release" in out, out
        assert "Err:" not in out and "W:" not in out, out
        assert re.search(r"^jq-1\.6", out, re.M), out

        click = next(r for r in mirror.python_requirements() if r.startswith("click=="))
        code, out = _exec(node, (
            "apt-get install -y --no-install-recommends python3-venv && "
            "python3 -m venv /opt/venv && /opt/venv/bin/pip install click && "
            "/opt/venv/bin/python -c 'import click; print(\"click\", click.__version__)'"))
        assert code == 0, out
        assert "Looking in indexes: http://mirror/simple/" in out
        assert f"click {click.partition('==')[2]}" in out
    finally:
        removed = remove_labelled(client, labels)
    assert any(item.startswith("container ") for item in removed), removed
    assert not any(labelled(client, labels).values())
    assert not [c for c in client.containers.list(all=True) if c.name.startswith(lab)]
    assert not [n for n in client.networks.list() if n.name.startswith(lab)]
