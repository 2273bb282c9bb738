"""tools.walk: a directory walk that stays in the tree, never loops and never hangs."""

from __future__ import annotations

import os
from pathlib import Path

from tools.walk import Passed, exclude_spec, walk


def _listing(root: Path, **options: object) -> dict[str, str]:
    found = {}
    for item in walk(root, **options):  # type: ignore[arg-type]
        if isinstance(item, Passed):
            found[item.path.relative_to(root).as_posix()] = item.reason
        else:
            found[item.relative_to(root).as_posix()] = "yielded"
    return found


def test_links_out_loops_and_fifos_are_passed_over_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "config").mkdir(parents=True)
    (root / "config/web.yaml").write_text("kind: Daemon\n")
    (tmp_path / "secret.yaml").write_text("x: 1\n")
    os.symlink("..", root / "loop")
    os.symlink(".", root / "config/self")
    os.symlink("../secret.yaml", root / "out.yaml")
    os.symlink("config/web.yaml", root / "in.yaml")
    os.symlink("missing", root / "broken.yaml")
    os.mkfifo(root / "config/pipe.yaml")
    found = _listing(root)
    assert found["config/web.yaml"] == "yielded"
    assert found["in.yaml"] == "yielded"  # a link to a file inside the tree is fine
    assert "out of the tree" in found["loop"]
    assert "out of the tree" in found["out.yaml"]
    assert "not followed" in found["config/self"]
    assert "leads nowhere" in found["broken.yaml"]
    assert "FIFO" in found["config/pipe.yaml"]
    assert len(found) == 7


def test_gitignore_deploydocs_ignore_and_excludes_leave_paths_out(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n")
    root = tmp_path / "deploy"
    for name in ("build/a.yaml", "keep/b.yaml", "keep/c.tmp.yaml", "gen/d.yaml", "e.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x: 1\n")
    (root / "keep/.deploydocs-ignore").write_text("*.tmp.yaml\n")
    found = _listing(root, exclude=exclude_spec(["gen/"]))
    assert found == {"e.yaml": "yielded", "keep/b.yaml": "yielded"}


def test_a_tree_is_yielded_whole(tmp_path: Path) -> None:
    (tmp_path / "verwalter/templates").mkdir(parents=True)
    (tmp_path / "verwalter/templates/x.hbs").write_text("")
    found = _listing(tmp_path, is_tree=lambda path: path.name == "verwalter")
    assert found == {"verwalter": "yielded"}
