"""The files the tutorial pages show are the files this repository tests.

The app (``tutorial/app``) and the verwalter tree (``tutorial/verwalter``)
have their own tests; the pages show the same files in ``lab-file`` blocks.
These tests keep the two from drifting apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "tutorial"
DIRECTIVE = re.compile(r"^\.\. lab-file:: (\S+)\s*$")


def lab_files(page: Path) -> dict[str, str]:
    """Path → content of the *last* lab-file block for that path on *page*."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: dict[str, str] = {}
    index = 0
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        index += 1
        if not match:
            continue
        while index < len(lines) and lines[index].startswith("   :"):
            index += 1
        body: list[str] = []
        while index < len(lines) and (not lines[index].strip() or lines[index].startswith("   ")):
            body.append(lines[index][3:])
            index += 1
        found[match.group(1)] = "\n".join(body).strip("\n") + "\n"
    return found


def app_files() -> list[Path]:
    app = TUTORIAL / "app"
    return sorted(p for p in app.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("source", app_files(), ids=lambda p: str(p.relative_to(TUTORIAL)))
def test_container_page_shows_each_app_file_as_it_is(source: Path) -> None:
    shown = lab_files(TUTORIAL / "container.rst")
    key = "hello/" + str(source.relative_to(TUTORIAL / "app"))
    assert key in shown, f"{key} is not shown on tutorial/container.rst"
    assert shown[key] == source.read_text(encoding="utf-8")


VERWALTER_FILES = sorted(p for p in (TUTORIAL / "verwalter").rglob("*") if p.is_file())


@pytest.mark.parametrize("source", VERWALTER_FILES, ids=lambda p: p.name)
def test_verwalter_page_shows_each_tree_file_as_it_is(source: Path) -> None:
    shown = lab_files(TUTORIAL / "verwalter.rst")
    key = "/etc/verwalter/" + str(source.relative_to(TUTORIAL / "verwalter"))
    assert key in shown, f"{key} is not shown on tutorial/verwalter.rst"
    assert shown[key] == source.read_text(encoding="utf-8")


def test_parser_reads_the_last_block_for_a_path(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(".. lab-file:: /a\n   :hosts: all\n\n   one\n\nText.\n\n"
                    ".. lab-file:: /a\n\n   two\n     indented\n\nEnd.\n")
    assert lab_files(page) == {"/a": "two\n  indented\n"}
