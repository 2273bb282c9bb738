"""tools.vagga_hash: vagga 0.8.1's container version hash, step by step and whole.

The expected values are built here by hand from the algorithm (the bytes
vagga feeds to BLAKE2b-512, see the module docstring), not by the module.
The ``real_tools`` test runs the real vagga (``$TOOLS_DIR/vagga``) and
compares.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import vagga_hash
from tools.vagga_hash import NotVersionable, UnsupportedStep, VersionHashError, version_hash

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "tutorial" / "app"

#: The uid and gid ranges every container without ``uids``/``gids`` starts with.
IDS = b"uids\x000-65536\x00gids\x000-65536\x00"


def blake(data: bytes) -> str:
    """The long version hash of the version data ``data``."""
    return hashlib.blake2b(data, digest_size=64).hexdigest()


def root_ids(uid: int, gid: int) -> tuple[int, int]:
    """Every file owned by root, whoever runs the tests."""
    return 0, 0


def project(tmp_path: Path, yaml: str, files: dict[str, str] | None = None) -> Path:
    """A project directory with ``vagga.yaml`` and ``files`` (relative path -> text)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "vagga.yaml").write_text(yaml)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def one_container(setup: str, extra: str = "") -> str:
    """A vagga.yaml with one container ``c`` whose setup lines are ``setup``."""
    lines = "".join(f"    - {line}\n" for line in setup.splitlines())
    return f"containers:\n  c:\n{extra}    setup:\n{lines}"


# --------------------------------------------------------------------------- the stream


def test_hash_is_blake2b_512_hex_and_short_is_eight_digits(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Ubuntu jammy"))
    data = IDS + b"COMMAND\x00Ubuntu\x00codename\x00jammy\x00"
    assert version_hash(proj, "c") == blake(data)
    assert len(version_hash(proj, "c")) == 128
    assert version_hash(proj, "c", short=True) == blake(data)[:8]
    assert vagga_hash.image_name(proj, "c") == f"c.{blake(data)[:8]}"


def test_empty_setup_hashes_only_the_id_ranges(tmp_path: Path) -> None:
    proj = project(tmp_path, "containers:\n  c:\n    setup: []\n")
    assert version_hash(proj, "c") == blake(IDS)


def test_uids_gids_and_data_dirs(tmp_path: Path) -> None:
    yaml = ("containers:\n  c:\n    uids: ['1000', '0-10']\n    gids: ['5']\n"
            "    data-dirs: [/var/lib, /etc]\n    setup:\n    - !EnsureDir /var/lib\n")
    proj = project(tmp_path, yaml)
    data = (b"uids\x001000-1001\x000-11\x00gids\x005-6\x00"
            b"COMMAND\x00EnsureDir\x00path\x00/var/lib\x00"
            b"data_dirs\x00/var/lib\x00/etc\x00")
    assert version_hash(proj, "c") == blake(data)


def test_fields_not_hashed_environ_volumes_auto_clean(tmp_path: Path) -> None:
    plain = project(tmp_path / "a", one_container("!Ubuntu jammy"))
    dressed = project(tmp_path / "b", one_container(
        "!Ubuntu jammy", extra="    auto-clean: true\n    environ: {A: '1'}\n"
                               "    volumes:\n      /tmp: !Empty\n"))
    assert version_hash(plain, "c") == version_hash(dressed, "c")


@pytest.mark.parametrize(("uids", "expected"), [
    ("0-65535", (0, 65535)), ("7", (7, 7)), ("+3", (3, 3)), (12, (12, 12)),
])
def test_parse_id_range(uids: str | int, expected: tuple[int, int]) -> None:
    assert vagga_hash.parse_id_range(uids) == expected


@pytest.mark.parametrize("bad", ["", "a", "5-1", "1-2-3", "-1"])
def test_parse_id_range_rejects(bad: str) -> None:
    with pytest.raises(VersionHashError):
        vagga_hash.parse_id_range(bad)


# --------------------------------------------------------------------------- simple steps


@pytest.mark.parametrize(("step", "fed"), [
    ("!Ubuntu noble", b"COMMAND\x00Ubuntu\x00codename\x00noble\x00"),
    ("!EnsureDir /app", b"COMMAND\x00EnsureDir\x00path\x00/app\x00"),
    ("!EnsureDir /app/", b"COMMAND\x00EnsureDir\x00path\x00/app/\x00"),
    ("!EmptyDir /tmp", b"COMMAND\x00EmptyDir\x00path\x00/tmp\x00"),
    ("!Remove /var/cache", b"COMMAND\x00Remove\x00path\x00/var/cache\x00"),
    ("!Install [python3, curl]", b"COMMAND\x00Install\x00packages\x00python3\x00curl\x00"),
    ("!BuildDeps [gcc]", b"COMMAND\x00BuildDeps\x00packages\x00gcc\x00"),
    ("!Sh echo hi", b"COMMAND\x00Sh\x00script\x00echo hi\x00"),
    ("!Cmd [ls, -l]", b"COMMAND\x00Cmd\x00command-line\x00ls\x00-l\x00"),
    ("!UbuntuUniverse", b"COMMAND\x00UbuntuUniverse\x00"),
])
def test_simple_step(tmp_path: Path, step: str, fed: bytes) -> None:
    proj = project(tmp_path, one_container(step))
    assert version_hash(proj, "c") == blake(IDS + fed)


def test_step_order_matters(tmp_path: Path) -> None:
    ab = project(tmp_path / "ab", one_container("!EnsureDir /a\n!EnsureDir /b"))
    ba = project(tmp_path / "ba", one_container("!EnsureDir /b\n!EnsureDir /a"))
    assert version_hash(ab, "c") != version_hash(ba, "c")
    assert version_hash(ab, "c") == blake(IDS + b"COMMAND\x00EnsureDir\x00path\x00/a\x00"
                                          b"COMMAND\x00EnsureDir\x00path\x00/b\x00")


def test_unsupported_step_is_named(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Alpine v3.18"))
    with pytest.raises(UnsupportedStep, match=r"container 'c': build step !Alpine") as info:
        version_hash(proj, "c")
    assert info.value.step == "Alpine"


def test_unknown_container_and_invalid_yaml(tmp_path: Path) -> None:
    proj = project(tmp_path / "a", one_container("!Ubuntu jammy"))
    with pytest.raises(VersionHashError, match="'nope' not found"):
        version_hash(proj, "nope")
    bad = project(tmp_path / "b", "containers:\n  c:\n    setup:\n    - !NoSuchStep x\n")
    with pytest.raises(VersionHashError, match=r"invalid vagga\.yaml"):
        version_hash(bad, "c")


# --------------------------------------------------------------------------- requirements


def test_py3_requirements_hashes_trimmed_lines(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Py3Requirements requirements.txt"), {
        "requirements.txt": "# pinned\n\nDjango==5.2.19  \r\n   gunicorn\n#x\n",
    })
    fed = (b"COMMAND\x00Py3Requirements\x00"
           b"line\x00Django==5.2.19\x00line\x00gunicorn\x00")
    assert version_hash(proj, "c") == blake(IDS + fed)


def test_py3_requirements_follows_includes(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Py3Requirements reqs/main.txt"), {
        "reqs/main.txt": "a==1\n-r base.txt\n--constraint=pins.txt\nb==2\n",
        "reqs/base.txt": "base==0\n",
        "reqs/pins.txt": "pin==3\n",
    })
    fed = (b"COMMAND\x00Py3Requirements\x00line\x00a==1\x00line\x00base==0\x00"
           b"line\x00pin==3\x00line\x00b==2\x00")
    assert version_hash(proj, "c") == blake(IDS + fed)


def test_py3_requirements_comment_change_keeps_hash(tmp_path: Path) -> None:
    one = project(tmp_path / "a", one_container("!Py3Requirements"), {
        "requirements.txt": "a==1\n"})
    two = project(tmp_path / "b", one_container("!Py3Requirements"), {
        "requirements.txt": "# a comment\na==1\n\n"})
    assert version_hash(one, "c") == version_hash(two, "c")


def test_py3_requirements_cycle_and_missing(tmp_path: Path) -> None:
    cyclic = project(tmp_path / "a", one_container("!Py3Requirements a.txt"), {
        "a.txt": "-r b.txt\n", "b.txt": "-r a.txt\n"})
    with pytest.raises(VersionHashError, match="cyclic requirement"):
        version_hash(cyclic, "c")
    missing = project(tmp_path / "b", one_container("!Py3Requirements nope.txt"))
    with pytest.raises(VersionHashError, match=r"nope\.txt"):
        version_hash(missing, "c")


# --------------------------------------------------------------------------- !Container


def test_container_step_inlines_the_steps_only(tmp_path: Path) -> None:
    yaml = ("containers:\n"
            "  base:\n    uids: ['0-10']\n    data-dirs: [/d]\n"
            "    setup:\n    - !Ubuntu jammy\n    - !EnsureDir /d\n"
            "  top:\n    setup:\n    - !Container base\n    - !EnsureDir /app\n")
    proj = project(tmp_path, yaml)
    fed = (b"COMMAND\x00Container\x00"
           b"COMMAND\x00Ubuntu\x00codename\x00jammy\x00"
           b"COMMAND\x00EnsureDir\x00path\x00/d\x00"
           b"COMMAND\x00EnsureDir\x00path\x00/app\x00")
    assert version_hash(proj, "top") == blake(IDS + fed)


def test_container_cycle_is_an_error(tmp_path: Path) -> None:
    yaml = ("containers:\n  a:\n    setup: [!Container b]\n"
            "  b:\n    setup: [!Container a]\n")
    record_yaml = project(tmp_path, yaml)
    with pytest.raises(VersionHashError):
        version_hash(record_yaml, "a")


# --------------------------------------------------------------------------- !Copy


def copy_tree(root: Path) -> None:
    """A source tree with a subdir, an executable, a symlink and ignored entries."""
    (root / "src/sub").mkdir(parents=True)
    (root / "src/a-b").write_bytes(b"dash")
    (root / "src/run.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "src/run.sh", 0o755)
    (root / "src/sub/x.txt").write_bytes(b"x")
    os.chmod(root / "src/sub/x.txt", 0o600)
    os.symlink("sub/x.txt", root / "src/link")
    (root / "src/.git").mkdir()
    (root / "src/.git/HEAD").write_bytes(b"ref")
    (root / "src/notes~").write_bytes(b"backup")
    (root / "src/old.bak").write_bytes(b"backup")


def entry(name: str, mode: int | None, content: bytes = b"", uid: int = 0, gid: int = 0,
          link: str | None = None) -> bytes:
    """What vagga feeds for one walked entry."""
    data = b"filename\x00" + name.encode() + b"\x00"
    if mode is not None:
        data += b"mode\x00" + str(mode).encode() + b"\x00"
    data += f"uid\x00{uid}\x00gid\x00{gid}\x00".encode() + content
    if link is not None:
        data += b"symlink\x00" + link.encode() + b"\x00"
    return data


def test_copy_walks_the_tree_in_path_order(tmp_path: Path) -> None:
    copy_tree(tmp_path)
    proj = project(tmp_path, one_container("!Copy {source: /work/src, path: /app}"))
    # .git, notes~ and old.bak are ignored by the default regex; dirs and executables get
    # 0o777, other files 0o666, minus the default umask 0o002; a symlink has no mode.
    fed = (b"COMMAND\x00Copy\x00"
           + entry("/work/src", 0o775)
           + entry("/work/src/a-b", 0o664, b"dash")
           + entry("/work/src/link", None, link="sub/x.txt")
           + entry("/work/src/run.sh", 0o775, b"#!/bin/sh\n")
           + entry("/work/src/sub", 0o775)
           + entry("/work/src/sub/x.txt", 0o664, b"x")
           + b"path\x00/app\x00")
    assert version_hash(proj, "c", ids=root_ids) == blake(IDS + fed)


def test_copy_path_order_is_by_component(tmp_path: Path) -> None:
    (tmp_path / "src/a").mkdir(parents=True)
    (tmp_path / "src/a/b").write_bytes(b"1")
    (tmp_path / "src/a-b").write_bytes(b"2")
    proj = project(tmp_path, one_container("!Copy {source: /work/src, path: /s}"))
    # by string "a-b" < "a/b"; by component "a" < "a-b", so vagga hashes a, a/b, a-b
    fed = (b"COMMAND\x00Copy\x00" + entry("/work/src", 0o775) + entry("/work/src/a", 0o775)
           + entry("/work/src/a/b", 0o664, b"1") + entry("/work/src/a-b", 0o664, b"2")
           + b"path\x00/s\x00")
    assert version_hash(proj, "c", ids=root_ids) == blake(IDS + fed)


def test_copy_single_file_with_owner_and_umask(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container(
        "!Copy {source: /work/manage.py, path: /app/manage.py, owner-uid: 1, owner-gid: 2,"
        " umask: 0o022, preserve-times: true}"), {"manage.py": "print()\n"})
    fed = (b"COMMAND\x00Copy\x00"
           + entry("/work/manage.py", 0o644, b"print()\n", uid=1, gid=2)
           + b"path\x00/app/manage.py\x00preserve_times\x00true\x00")
    assert version_hash(proj, "c", ids=root_ids) == blake(IDS + fed)


def test_copy_preserve_permissions_hashes_the_real_mode(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container(
        "!Copy {source: /work/f, path: /f, preserve-permissions: true}"), {"f": "z"})
    os.chmod(tmp_path / "f", 0o640)
    fed = b"COMMAND\x00Copy\x00" + entry("/work/f", 0o640, b"z") + b"path\x00/f\x00"
    assert version_hash(proj, "c", ids=root_ids) == blake(IDS + fed)


def test_copy_owner_comes_from_the_files(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Copy {source: /work/f, path: /f}"), {"f": "z"})
    fed = (b"COMMAND\x00Copy\x00" + entry("/work/f", 0o664, b"z", uid=7, gid=8)
           + b"path\x00/f\x00")
    assert version_hash(proj, "c", ids=lambda uid, gid: (7, 8)) == blake(IDS + fed)


def test_copy_regexes(tmp_path: Path) -> None:
    copy_tree(tmp_path)
    proj = project(tmp_path, one_container(
        r"!Copy {source: /work/src, path: /app, ignore-regex: '\.sh$',"
        r" include-regex: '\.txt$|^\.git'}"))
    # run.sh ignored; only x.txt and .git (whole, with HEAD) included; sub comes in
    # as x.txt's parent
    fed = (b"COMMAND\x00Copy\x00" + entry("/work/src", 0o775)
           + entry("/work/src/.git", 0o775) + entry("/work/src/.git/HEAD", 0o664, b"ref")
           + entry("/work/src/sub", 0o775) + entry("/work/src/sub/x.txt", 0o664, b"x")
           + b"path\x00/app\x00")
    assert version_hash(proj, "c", ids=root_ids) == blake(IDS + fed)


def test_copy_from_outside_work_hashes_options_only(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container(
        "!Copy {source: /usr/share/zoneinfo/UTC, path: /etc/localtime, owner-uid: 3}"))
    fed = (b"COMMAND\x00Copy\x00source\x00/usr/share/zoneinfo/UTC\x00"
           b"path\x00/etc/localtime\x00preserve_permissions\x00false\x00"
           b"owner_uid\x003\x00umask\x002\x00")
    assert version_hash(proj, "c") == blake(IDS + fed)


def test_copy_missing_source_cannot_be_versioned(tmp_path: Path) -> None:
    proj = project(tmp_path, one_container("!Copy {source: /work/later, path: /x}"))
    with pytest.raises(NotVersionable):
        version_hash(proj, "c")
    assert vagga_hash.main(["--dir", str(proj), "c"]) == 29


def test_copy_glob_rules_are_unsupported(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    proj = project(tmp_path, one_container("!Copy {source: /work/src, path: /x, rules: [/]}"))
    with pytest.raises(UnsupportedStep, match="rules"):
        version_hash(proj, "c")


def test_copy_content_change_changes_the_hash(tmp_path: Path) -> None:
    copy_tree(tmp_path)
    proj = project(tmp_path, one_container("!Copy {source: /work/src, path: /app}"))
    before = version_hash(proj, "c", ids=root_ids)
    (tmp_path / "src/notes~").write_bytes(b"ignored anyway")
    assert version_hash(proj, "c", ids=root_ids) == before
    (tmp_path / "src/a-b").write_bytes(b"dasH")
    assert version_hash(proj, "c", ids=root_ids) != before


# --------------------------------------------------------------------------- the tutorial


#: What real vagga 0.8.1 printed for ``vagga _version_hash --short <container>`` on a copy
#: of tutorial/app whose inputs had this :func:`tutorial_fingerprint`.
TUTORIAL_FINGERPRINT = "9998777e4ee7d3cc8f9349fcdfea6889333f9582585f37969ece45614f50153f"
REAL_VAGGA_TUTORIAL = {"hello-deploy": "3a62b15a"}


def tutorial_fingerprint(app: Path = APP) -> str:
    """sha256 over the tutorial app's hashed inputs (paths, executable bits, contents)."""
    digest = hashlib.sha256()
    names = ["vagga.yaml", "requirements.txt"]
    for top in ("hello", "config"):
        for directory, dirs, files in os.walk(app / top):
            dirs.sort()
            base = Path(directory).relative_to(app)
            names += [str(base / d) for d in dirs] + [str(base / f) for f in sorted(files)]
    for name in sorted(names):
        path = app / name
        digest.update(name.encode() + b"\0" + str(os.access(path, os.X_OK)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def tutorial_data(container: str) -> bytes:
    return bytes(vagga_hash.version_data(APP, container, ids=root_ids).data)


def test_tutorial_hello_is_ubuntu_plus_requirements() -> None:
    lines = [line.strip() for line in (APP / "requirements.txt").read_text().splitlines()]
    fed = b"COMMAND\x00Ubuntu\x00codename\x00jammy\x00COMMAND\x00Py3Requirements\x00" + b"".join(
        b"line\x00" + line.encode() + b"\x00" for line in lines if line and line[0] != "#")
    assert tutorial_data("hello") == IDS + fed


def test_tutorial_hello_deploy_contains_hello_and_the_copies() -> None:
    hello = tutorial_data("hello")
    deploy = tutorial_data("hello-deploy")
    assert deploy.startswith(IDS + b"COMMAND\x00Container\x00" + hello[len(IDS):])
    rest = deploy[len(hello) + len(b"COMMAND\x00Container\x00"):]
    assert rest.startswith(b"COMMAND\x00EnsureDir\x00path\x00/app\x00"
                           b"COMMAND\x00EnsureDir\x00path\x00/config\x00"
                           b"COMMAND\x00EnsureDir\x00path\x00/state\x00COMMAND\x00Copy\x00")
    assert rest.endswith(b"path\x00/config\x00")
    for path in (APP / "hello").rglob("*"):
        if "__pycache__" not in path.parts:
            name = "/work/" + path.relative_to(APP).as_posix()
            assert b"filename\x00" + name.encode() + b"\x00" in rest


def test_tutorial_hello_deploy_matches_real_vagga() -> None:
    """The value real vagga printed, as long as the tutorial app is what it hashed."""
    if tutorial_fingerprint() != TUTORIAL_FINGERPRINT:
        pytest.skip("tutorial/app changed since real vagga 0.8.1 was run on it; "
                    "the real_tools test compares with vagga itself")
    assert version_hash(APP, "hello-deploy", short=True, ids=root_ids) == (
        REAL_VAGGA_TUTORIAL["hello-deploy"])


def test_cli_prints_the_short_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert vagga_hash.main(["--short", "--dir", str(APP), "hello"]) == 0
    assert capsys.readouterr().out == version_hash(APP, "hello", short=True) + "\n"


# --------------------------------------------------------------------------- real vagga


def real_vagga_hash(vagga: Path, app: Path, container: str) -> str:
    done = subprocess.run([str(vagga), "_version_hash", "--short", container], cwd=app,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.real_tools
def test_real_vagga_agrees(tmp_path: Path) -> None:
    """Real vagga 0.8.1 (``$TOOLS_DIR/vagga``, run as root) prints what this module computes,
    on a copy of tutorial/app and after one byte of a copied file changes."""
    vagga = Path(os.environ.get("TOOLS_DIR", "")) / "vagga"
    if not vagga.is_file():
        pytest.skip(f"no real vagga at {vagga}")
    if os.geteuid() != 0:
        pytest.skip("real vagga runs here as root")
    app = tmp_path / "app"
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("__pycache__", ".vagga"))
    for container in ("hello", "hello-deploy"):
        assert version_hash(app, container, short=True) == real_vagga_hash(vagga, app,
                                                                            container)
    before = version_hash(app, "hello-deploy", short=True)
    settings = app / "hello" / "settings.py"
    data = bytearray(settings.read_bytes())
    data[0] ^= 1
    settings.write_bytes(bytes(data))
    after = version_hash(app, "hello-deploy", short=True)
    assert after != before
    assert after == real_vagga_hash(vagga, app, "hello-deploy")
    assert version_hash(app, "hello", short=True) == real_vagga_hash(vagga, app, "hello")
