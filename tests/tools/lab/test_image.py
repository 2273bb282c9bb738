"""The node image's recipe: lithos and --tools-dir executables land in /usr/bin."""

from __future__ import annotations

import stat
from pathlib import Path

from tools.lab.image import TOOLS_BIN_DIR, _fill_context, _tree_hash


def _executable(directory: Path, name: str, body: str = "exit 0") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _context(tmp_path: Path, lithos: Path | None, tools: Path | None) -> tuple[Path, list[str]]:
    context = tmp_path / f"context-{len(list(tmp_path.glob('context-*')))}"
    context.mkdir()
    return context, _fill_context(context, "deploydocs.lab/base:test", lithos, tools)


def test_lithos_and_tools_dir_executables_go_to_usr_bin(tmp_path: Path) -> None:
    lithos, tools = tmp_path / "lithos", tmp_path / "tools"
    _executable(lithos, "lithos_tree")
    _executable(tools, "deploydocs-lab-extra")
    (tools / "README").write_text("not executable\n")
    context, extra = _context(tmp_path, lithos, tools)
    assert extra == ["deploydocs-lab-extra"]
    assert TOOLS_BIN_DIR == "/usr/bin"  # where the tutorial's units start the tools
    dockerfile = (context / "Dockerfile").read_text().splitlines()
    assert "COPY bin/ /usr/bin/" in dockerfile
    assert not [line for line in dockerfile if "/usr/local/bin" in line]
    assert sorted(p.name for p in (context / "bin").iterdir()) == [
        "deploydocs-lab-extra", "lithos_tree"]
    assert stat.S_IMODE((context / "bin").stat().st_mode) == 0o755


def test_the_node_image_tag_follows_the_content(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    _executable(tools, "deploydocs-lab-extra")
    bare, _ = _context(tmp_path, None, None)
    with_tools, _ = _context(tmp_path, None, tools)
    again, _ = _context(tmp_path, None, tools)
    assert _tree_hash(with_tools) == _tree_hash(again)
    assert _tree_hash(with_tools) != _tree_hash(bare)
    # The destination is part of the hashed Dockerfile: moving it makes a new image.
    dockerfile = again / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("/usr/bin/", "/usr/local/bin/"))
    assert _tree_hash(again) != _tree_hash(with_tools)
