"""Images: recipe hashing, pack/unpack, push (atomic), list and prune; one real build (slow)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tools import images
from tools.cli import main
from tools.hosts import LocalHost


class Relay(LocalHost):
    """This machine, reached by rsync through the remote shell *rsh* (which may misbehave)."""

    def __init__(self, name: str, rsh: str) -> None:
        super().__init__(name)
        self.rsh = rsh

    def rsync_target(self, path: str) -> tuple[str | None, str]:
        """rsync runs ``<rsh> NAME rsync --server ...``."""
        return self.rsh, f"{self.name}:{path}"

REPO = Path(__file__).resolve().parents[2]


def make_tree(root: Path, big: int = 0) -> Path:
    """A small image-like tree with modes, owners, a symlink and optional bulk data."""
    (root / "usr/bin").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "usr/bin/app").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "usr/bin/app", 0o4755)
    (root / "config/web.yaml").write_text("kind: Daemon\n")
    os.chown(root / "config/web.yaml", 1234, 5678)
    os.chmod(root / "config/web.yaml", 0o640)
    (root / "bin").symlink_to("usr/bin")
    for i in range(big):
        (root / f"data{i}.bin").write_bytes(os.urandom(256 * 1024))
    return root


def snapshot(root: Path) -> dict[str, tuple]:
    found = {}
    for path in sorted([root, *root.rglob("*")]):
        st_ = path.lstat()
        rel = path.relative_to(root).as_posix()
        content = os.readlink(path) if path.is_symlink() else (
            path.read_bytes() if path.is_file() else None)
        found[rel] = (stat.S_IMODE(st_.st_mode), stat.S_IFMT(st_.st_mode), st_.st_uid,
                      st_.st_gid, content)
    return found


def test_the_image_name_follows_content_and_ignores_build_litter(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "hello").mkdir(parents=True)
    (app / "hello/__init__.py").write_text("")
    (app / "requirements.txt").write_text("Django==5.2.19\n")
    recipe = images.recipe_from_app(app, "hello-deploy")
    name = recipe.image_name()
    assert name.startswith("hello-deploy.") and len(name) == len("hello-deploy.") + 8
    # vagga's !Copy leaves out editor backups and VCS directories, and so does the stand-in.
    (app / "hello/views.py~").write_text("backup")
    (app / "hello/.git").mkdir()
    assert images.recipe_from_app(app, "hello-deploy").image_name() == name
    (app / "hello/__init__.py").write_text("VERSION = 2\n")
    assert images.recipe_from_app(app, "hello-deploy").image_name() != name
    assert recipe.copies == ((app / "hello", "/app/hello"),)


def test_the_tutorial_app_maps_to_vagga_s_deploy_layout() -> None:
    recipe = images.recipe_from_app(REPO / "tutorial/app", "hello-deploy")
    assert [dest for _, dest in recipe.copies] == ["/app/hello", "/app/manage.py", "/config"]
    assert recipe.requirements == REPO / "tutorial/app/requirements.txt"
    assert {"/app", "/config", "/state", "/tmp"} <= set(recipe.ensure_dirs)


@pytest.mark.parametrize("compression", ["xz", "gz", "none"])
def test_pack_then_unpack_keeps_owners_modes_and_links(tmp_path: Path, compression: str) -> None:
    root = make_tree(tmp_path / "root")
    archive = images.pack_image(root, tmp_path / "out/image.tar", compression)
    assert sorted(p.name for p in archive.parent.iterdir()) == ["image.tar"]
    with tarfile.open(archive) as tar:
        member = tar.getmember("./config/web.yaml")
        assert (member.uid, member.gid, member.mode) == (1234, 5678, 0o640)
    unpacked = images.unpack_image(archive, tmp_path / "images", "app.1234abcd")
    assert snapshot(unpacked) == snapshot(root)
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["app.1234abcd"]


def test_xz_packs_with_python_s_lzma_when_no_xz_program_is_on_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images.shutil, "which", lambda name: None)
    root = make_tree(tmp_path / "root")
    archive = images.pack_image(root, tmp_path / "image.tar.xz")
    assert archive.read_bytes()[:6] == b"\xfd7zXZ\x00"
    assert snapshot(images.unpack_image(archive, tmp_path / "images", "app.1")) == snapshot(root)


@pytest.mark.skipif(shutil.which("xz") is None, reason="no xz program on PATH")
def test_xz_packs_through_the_xz_program_when_there_is_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real_which = shutil.which

    def which(name: str) -> str | None:
        asked.append(name)
        return real_which(name)

    monkeypatch.setattr(images.shutil, "which", which)
    root = make_tree(tmp_path / "root")
    archive = images.pack_image(root, tmp_path / "image.tar.xz")
    assert asked == ["xz"]
    assert archive.read_bytes()[:6] == b"\xfd7zXZ\x00"
    assert snapshot(images.unpack_image(archive, tmp_path / "images", "app.1")) == snapshot(root)


def test_a_failing_xz_program_fails_the_pack_and_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images.shutil, "which", lambda name: "/bin/false")
    root = make_tree(tmp_path / "root")
    with pytest.raises(images.ImageError, match="xz exited 1"):
        images.pack_image(root, tmp_path / "out" / "image.tar.xz")
    assert not list((tmp_path / "out").iterdir())


def test_unpack_never_overwrites_and_refuses_unsafe_members(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root")
    archive = images.pack_image(root, tmp_path / "a.tar", "none")
    images.unpack_image(archive, tmp_path / "images", "app.1")
    with pytest.raises(images.ImageError, match="immutable"):
        images.unpack_image(archive, tmp_path / "images", "app.1")
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../escape")
        tar.addfile(info)
    with pytest.raises(images.ImageError, match="unsafe member"):
        images.unpack_image(evil, tmp_path / "images", "app.2")
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["app.1"]


def test_push_to_a_local_directory_then_again_is_a_no_op(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root")
    image_dir = tmp_path / "images/hello"
    target = LocalHost()
    first = images.push_image(root, target, str(image_dir), "hello.aaaa0001")
    assert first.status == "pushed"
    assert snapshot(image_dir / "hello.aaaa0001") == snapshot(root)
    assert sorted(p.name for p in image_dir.iterdir()) == ["hello.aaaa0001"]
    (root / "config/web.yaml").write_text("changed\n")
    again = images.push_image(root, target, str(image_dir), "hello.aaaa0001")
    assert again.status == "present"
    assert (image_dir / "hello.aaaa0001/config/web.yaml").read_text() == "kind: Daemon\n"


def test_an_interrupted_push_leaves_no_image_under_its_name_and_a_retry_completes(
        tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root", big=8)
    (root / "zz-last.bin").write_bytes(os.urandom(1024 * 1024))
    image_dir = tmp_path / "images"
    # The receiving rsync may not write files over 600 KiB: it dies on the last,
    # largest file, after the others already landed in <name>.tmp.
    dying = Relay("dying", "bash -c 'shift; ulimit -f 600; exec \"$@\"' rsh")
    with pytest.raises(images.ImageError, match="rsync exited"):
        images.push_image(root, dying, str(image_dir), "hello.bbbb0002", timeout=120)
    assert not (image_dir / "hello.bbbb0002").exists()
    assert (image_dir / "hello.bbbb0002.tmp/data0.bin").is_file(), "it died half-way"
    assert images.list_images(LocalHost(), str(image_dir)) == []
    relay = Relay("relay", "bash -c 'shift; exec \"$@\"' rsh")
    retried = images.push_image(root, relay, str(image_dir), "hello.bbbb0002", timeout=120)
    assert retried.status == "pushed"
    assert sorted(p.name for p in image_dir.iterdir()) == ["hello.bbbb0002"]
    assert snapshot(image_dir / "hello.bbbb0002") == snapshot(root)


def test_a_connection_that_breaks_once_is_resumed_within_the_same_push(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root")
    image_dir = tmp_path / "images"
    marker = tmp_path / "broke-once"
    # The first connection dies before the remote rsync starts, as ssh does when a busy VM
    # misses its keep-alives; the next one goes through.
    flaky = Relay(
        "flaky", f"bash -c 'shift; if [ ! -e {marker} ]; then touch {marker}; exit 255; fi; "
                 "exec \"$@\"' rsh")
    pushed = images.push_image(root, flaky, str(image_dir), "hello.cccc0003", timeout=120)
    assert marker.exists(), "the first connection was made and broken"
    assert pushed.status == "pushed"
    assert snapshot(image_dir / "hello.cccc0003") == snapshot(root)


def test_whenever_the_final_name_is_visible_the_image_is_complete(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root", big=16)
    expected = snapshot(root)
    image_dir = tmp_path / "images"
    image_dir.mkdir()
    final = image_dir / "hello.cccc0003"
    done = threading.Event()
    seen_incomplete: list[int] = []
    observations = [0]

    def watch() -> None:
        while not done.is_set():
            if final.exists():
                observations[0] += 1
                count = sum(1 for _ in final.rglob("*")) + 1
                if count != len(expected):
                    seen_incomplete.append(count)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        images.push_image(root, LocalHost(), str(image_dir), final.name)
    finally:
        done.set()
        watcher.join()
    assert seen_incomplete == []
    assert snapshot(final) == expected


def make_images(image_dir: Path, names: list[str]) -> None:
    for age, name in enumerate(reversed(names)):
        (image_dir / name / "config").mkdir(parents=True)
        os.utime(image_dir / name, (1_700_000_000 + age, 1_700_000_000 + age))


def test_list_is_newest_first_and_skips_partial_and_hidden(tmp_path: Path) -> None:
    make_images(tmp_path, ["app.3", "app.2", "app.1"])
    (tmp_path / "app.4.tmp").mkdir()
    (tmp_path / ".app.0.deleting").mkdir()
    listed = images.list_images(LocalHost(), str(tmp_path), in_use={"app.1"})
    assert [(i.name, i.in_use) for i in listed] == [("app.3", False), ("app.2", False),
                                                    ("app.1", True)]


def test_prune_keeps_n_newest_and_never_the_image_in_use(tmp_path: Path) -> None:
    image_dir = tmp_path / "images"
    make_images(image_dir, ["app.4", "app.3", "app.2", "app.1"])
    processes = tmp_path / "processes.yaml"
    processes.write_text("web:\n  image: app.1\n  config: /config/web.yaml\n")
    result = images.prune_images(LocalHost(), str(image_dir), keep=1,
                                 process_configs=[str(processes)])
    assert result.kept == ["app.4", "app.1"]
    assert result.removed == ["app.3", "app.2"]
    assert sorted(p.name for p in image_dir.iterdir()) == ["app.1", "app.4"]


def test_prune_refuses_when_the_process_config_does_not_parse(tmp_path: Path) -> None:
    make_images(tmp_path / "images", ["app.2", "app.1"])
    processes = tmp_path / "processes.yaml"
    processes.write_text("web: [\n")
    with pytest.raises(images.ImageError, match="not pruning"):
        images.prune_images(LocalHost(), str(tmp_path / "images"), keep=0,
                            process_configs=[str(processes)])
    assert len(list((tmp_path / "images").iterdir())) == 2


@given(st.lists(st.tuples(st.integers(0, 50), st.booleans()), max_size=12),
       st.integers(0, 5))
def test_plan_prune_keeps_in_use_and_at_most_n_others(entries: list[tuple[int, bool]],
                                                      keep: int) -> None:
    infos = [images.ImageInfo(f"app.{i}", float(t), used) for i, (t, used) in
             enumerate(entries)]
    kept, removed = images.plan_prune(infos, keep)
    assert {i.name for i in infos if i.in_use} <= set(kept)
    assert len([n for n in kept if not dict((i.name, i.in_use) for i in infos)[n]]) <= keep
    assert sorted(kept + removed) == sorted(i.name for i in infos)


def test_images_in_process_config_honours_levels() -> None:
    text = "a:\n  image: proj/v1\n  config: /c.yaml\nb:\n  image: other.1\n  config: /c\n"
    assert images.images_in_process_config(text) == {"proj", "other.1"}
    assert images.images_in_process_config(text, levels=2) == {"proj/v1", "other.1"}
    assert images.images_in_process_config("") == set()


def test_bad_image_names_are_refused(tmp_path: Path) -> None:
    for bad in ("", ".hidden", "a/b", "x.tmp", "sp ace"):
        with pytest.raises(images.ImageError, match="not a usable image name"):
            images.push_image(tmp_path, LocalHost(), str(tmp_path / "i"), bad)


def test_cli_pack_push_list_prune(tmp_path: Path) -> None:
    runner = CliRunner()
    root = make_tree(tmp_path / "root")
    packed = runner.invoke(main, ["images", "pack", str(root), str(tmp_path / "i.tar.xz")])
    assert packed.exit_code == 0, packed.output
    image_dir = tmp_path / "images"
    pushed = runner.invoke(main, ["images", "push", str(root), "--name", "app.1",
                                  "--image-dir", str(image_dir), "--local"])
    assert pushed.exit_code == 0, pushed.output
    assert "local: pushed app.1" in pushed.output
    runner.invoke(main, ["images", "push", str(root), "--name", "app.2",
                         "--image-dir", str(image_dir), "--local"])
    os.utime(image_dir / "app.1", (1, 1))
    listed = runner.invoke(main, ["images", "list", "--image-dir", str(image_dir), "--local",
                                  "--json"])
    assert [i["name"] for i in json.loads(listed.output)["local"]] == ["app.2", "app.1"]
    pruned = runner.invoke(main, ["images", "prune", "--image-dir", str(image_dir), "--local",
                                  "--keep", "0", "--in-use", "app.1", "--json"])
    assert pruned.exit_code == 0, pruned.output
    assert json.loads(pruned.output)["local"]["removed"] == ["app.2"]
    missing = runner.invoke(main, ["images", "push", str(tmp_path / "nope"), "--name", "x",
                                   "--image-dir", str(image_dir), "--local"])
    assert missing.exit_code == 2


def test_cli_push_goes_to_every_node_at_once_and_reports_in_node_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each push waits at a barrier that only opens when all three have started."""
    from tools.commands import images as images_command

    root = make_tree(tmp_path / "root")
    targets = [LocalHost(f"node{index}") for index in (1, 2, 3)]
    monkeypatch.setattr(images_command, "_targets", lambda *_args: targets)
    barrier = threading.Barrier(3, timeout=60)  # sequential pushes break it after 60 s

    def push(source, target, image_dir, name):
        barrier.wait()
        if target.name == "node2":
            raise images.ImageError("node2: rsync exited 12: connection lost")
        return images.PushResult(target.name, name, "pushed", 0.1)

    monkeypatch.setattr(images, "push_image", push)
    result = CliRunner().invoke(main, ["images", "push", str(root), "--name", "app.1",
                                       "--image-dir", str(tmp_path / "images"),
                                       "--backend", "docker"])
    assert result.exit_code == 1, result.output
    assert [line for line in result.output.splitlines() if line.startswith("node")] == [
        "node1: pushed app.1", "node2: FAILED node2: rsync exited 12: connection lost",
        "node3: pushed app.1"]


@pytest.mark.slow
def test_image_build_stand_in_makes_a_runnable_deploy_root(tmp_path: Path) -> None:
    """The real build: debootstrap (cached), pip install of the app's pins, vagga's layout.

    The stand-in installs the app's requirements with this machine's pip into the image's
    Python (bookworm's 3.11), so under another Python it must refuse, saying why."""
    recipe = images.recipe_from_app(REPO / "tutorial/app", "hello-deploy")
    if sys.version_info[:2] != (3, 11):
        with pytest.raises(images.ImageError, match=r"the image has python3\.11, this machine"):
            images.build_image(recipe, tmp_path / "out")
        assert not (tmp_path / "out" / "hello-deploy").exists()
        return
    built = images.build_image(recipe, tmp_path / "out")
    root = built.root
    assert built.name == recipe.image_name()
    assert (tmp_path / "out/hello-deploy").resolve() == root.resolve()
    assert root.parent.name == built.name and root.parent.parent.name == ".roots"
    for directory in ("app", "config", "state", "tmp", "dev", "proc", "sys"):
        assert (root / directory).is_dir(), directory
    assert (root / "config/hello.yaml").read_text() == (
        REPO / "tutorial/app/config/hello.yaml").read_text()
    assert (root / "app/hello/settings.py").is_file()
    assert (root / "usr/bin/python3").exists()
    gunicorn = (root / "usr/local/bin/gunicorn").read_text()
    assert gunicorn.startswith("#!/usr/bin/python3\n")
    assert (root / "app/hello").stat().st_uid == 0
    # The image's own python imports the app's dependencies (run inside the root).
    import subprocess

    check = subprocess.run(
        ["chroot", str(root), "/usr/bin/python3", "-c",
         "import django, gunicorn, cantal; print(django.get_version())"],
        capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "5.2.19"
    again = images.build_image(recipe, tmp_path / "out")
    assert again.cached and again.root == root


def test_the_tutorial_image_is_named_by_vagga_s_own_version_hash() -> None:
    from tools import vagga_hash

    recipe = images.recipe_from_app(REPO / "tutorial/app", "hello-deploy")
    assert recipe.project_dir == REPO / "tutorial/app"
    assert recipe.image_name() == vagga_hash.image_name(REPO / "tutorial/app", "hello-deploy")


def test_cli_prune_dry_run_lists_what_would_go_and_removes_nothing(tmp_path: Path) -> None:
    image_dir = tmp_path / "images"
    make_images(image_dir, ["app.4", "app.3", "app.2", "app.1"])
    processes = tmp_path / "processes.yaml"
    processes.write_text("web:\n  image: app.1\n  config: /config/web.yaml\n")
    args = ["images", "prune", "--image-dir", str(image_dir), "--local", "--keep", "1",
            "--processes", str(processes)]
    runner = CliRunner()
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output == "local: kept app.4, app.1; would remove app.3, app.2\n"
    as_json = runner.invoke(main, [*args, "--dry-run", "--json"])
    assert json.loads(as_json.output) == {"local": {"kept": ["app.4", "app.1"],
                                                    "would_remove": ["app.3", "app.2"]}}
    assert sorted(p.name for p in image_dir.iterdir()) == ["app.1", "app.2", "app.3", "app.4"]
    real = runner.invoke(main, args)
    assert real.output == "local: kept app.4, app.1; removed app.3, app.2\n"
    assert sorted(p.name for p in image_dir.iterdir()) == ["app.1", "app.4"]
    again = runner.invoke(main, args)
    assert again.output == "local: kept app.4, app.1; removed nothing\n"
