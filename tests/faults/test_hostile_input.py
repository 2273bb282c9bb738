"""Hostile input to the extension: secrets, broken directives, binary text.

Builds run as subprocesses on the local transport double (``tests.ext.local_lab``), so these
need no docker. A host outside the lab and a bad option value are covered by
tests/ext/test_verify_builds.py and tests/ext/test_parse.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.faults.conftest import LOCAL_SPEC, REPO, build_env, copy_root

TOKEN = "0f1e2d3c4b5a6978"
PASSWORD = "hunter2-correct-horse"
INDEX = "=====\nIndex\n=====\n\n.. toctree::\n\n   page\n"


def _build(src: Path, tmp_path: Path, mode: str = "verify") -> subprocess.CompletedProcess[str]:
    root = tmp_path / "local-lab"
    root.mkdir(exist_ok=True)
    env = build_env(mode, LOCAL_SPEC, DEPLOYDOCS_LOCAL_LAB_ROOT=str(root),
                    DEPLOYDOCS_FAULT_SECRET=PASSWORD)
    out = src.parent / "out"
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", str(src), str(out / "html"),
         "-d", str(out / "doctrees")], env=env, cwd=REPO, capture_output=True, text=True,
        timeout=300)


def _page(tmp_path: Path, name: str, text: str | bytes) -> Path:
    src = copy_root("hostile", tmp_path)
    (src / "secrets.rst").unlink()
    (src / "index.rst").write_text(INDEX)
    target = src / name
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text)
    return src


def test_masked_secrets_never_reach_html_records_transcripts_or_junit(tmp_path: Path) -> None:
    src = copy_root("hostile", tmp_path)
    result = _build(src, tmp_path)
    out = src.parent / "out" / "html"
    assert (out / "deploydocs" / "summary.txt").read_text().startswith("2 passed"), (
        result.stdout + result.stderr)
    written = [p for p in [*out.rglob("*"), *(src / "_verified").rglob("*")] if p.is_file()]
    kinds = {p.suffix for p in written}
    assert {".html", ".json", ".xml", ".txt"} <= kinds, kinds
    assert list((out / "deploydocs" / "transcripts").glob("*.txt"))
    for path in written:
        data = path.read_bytes()
        assert TOKEN.encode() not in data, path
        assert PASSWORD.encode() not in data, path
    assert TOKEN not in result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_an_unknown_option_warns_at_its_file_and_line(tmp_path: Path) -> None:
    src = _page(tmp_path, "page.rst", "Page\n====\n\n.. lab-run:: node1\n   :colour: blue\n\n"
                "   $ echo x\n   x\n")
    result = _build(src, tmp_path)
    assert re.search(r"page\.rst:4: (WARNING|ERROR): .*colour", result.stderr, re.DOTALL), (
        result.stderr)


def test_control_characters_in_a_command_are_refused_at_file_and_line(tmp_path: Path) -> None:
    src = _page(tmp_path, "page.rst", "Page\n====\n\n.. lab-run:: node1\n\n"
                "   $ echo \x00\x01\x1b[31m binary\n   x\n")
    result = _build(src, tmp_path)
    assert re.search(r"page\.rst:6: (WARNING|ERROR): .*control character", result.stderr), (
        result.stderr)
    assert "output differs" not in result.stderr  # refused, not run


def test_a_page_that_is_not_utf8_warns_and_the_build_goes_on(tmp_path: Path) -> None:
    src = _page(tmp_path, "page.rst", b"Page\n====\n\n\xff\xfe\x00binary\n")
    result = _build(src, tmp_path)
    assert "Traceback" not in result.stderr + result.stdout
    assert re.search(r"page\.rst:\d*:? ?(WARNING|ERROR)", result.stderr), result.stderr


def test_an_unterminated_myst_fence_warns_at_its_line(tmp_path: Path) -> None:
    src = _page(tmp_path, "page.md", "# Page\n\n```{lab-run} node1\n$ echo hi\nhi\n\n"
                "Prose meant to follow the block.\n")
    result = _build(src, tmp_path)
    assert re.search(r"page\.md:3: WARNING: .*(unterminated|not closed|closing)",
                     result.stderr), result.stderr


def test_an_unterminated_myst_fence_fails_its_block_at_file_and_line_with_a_diff(
        tmp_path: Path) -> None:
    src = _page(tmp_path, "page.md", "# Page\n\n```{lab-run} node1\n$ echo hi\nhi\n\n"
                "Prose meant to follow the block.\n")
    result = _build(src, tmp_path)
    assert re.search(r"page\.md:\d+: WARNING: lab-run failed on node1.*\n(.*\n)*.*"
                     r"-Prose meant to follow the block\.", result.stderr), result.stderr


def test_a_directive_without_content_warns_at_its_line(tmp_path: Path) -> None:
    src = _page(tmp_path, "page.rst", "Page\n====\n\n.. lab-run:: node1\n\nAfter.\n")
    result = _build(src, tmp_path)
    assert re.search(r"page\.rst:4: (WARNING|ERROR): ", result.stderr), result.stderr
