"""Accept mode's source rewriting, in reST and MyST, without a lab."""

from __future__ import annotations

from pathlib import Path

from deploydocs.accept import Edit, accepted_block, apply_edits, rewrite_sources
from deploydocs.parse import parse_block


def block_from(path: Path, first: int, last: int, indent: int) -> object:
    """Parse lines first..last (1-based) of *path* as a lab-run body."""
    lines = path.read_text().split("\n")[first - 1:last]
    return parse_block("lab-run", docname="d", source=str(path), lineno=first - 2,
                       argument="node1", raw_options={},
                       content=[line[indent:] for line in lines],
                       content_lines=list(range(first, last + 1)))


def test_edits_apply_bottom_up() -> None:
    assert apply_edits(["a", "b", "c", "d"], [Edit(2, 3, ("x",)), Edit(4, 4, ()),
                                               Edit(1, 0, ("top",))]) == ["top", "a", "x"]


def test_rest_output_is_replaced_with_the_observed_text_and_indentation(tmp_path: Path) -> None:
    page = tmp_path / "p.rst"
    page.write_text(".. lab-run:: node1\n\n   $ ls\n   old\n   older\n   $ true\n\nAfter.\n")
    block = block_from(page, 3, 6, 3)
    rewrite_sources([(block, {0: "new\n\nlines\n", 1: "now says something\n"})])
    assert page.read_text() == (".. lab-run:: node1\n\n   $ ls\n   new\n\n   lines\n   $ true\n"
                                "   now says something\n\nAfter.\n")


def test_myst_output_is_replaced_inside_the_fence(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("```{lab-run} node1\n$ echo a \\\n  b\nstale\n```\n")
    block = block_from(page, 2, 4, 0)
    rewrite_sources([(block, {0: "a b\n"})])
    assert page.read_text() == "```{lab-run} node1\n$ echo a \\\n  b\na b\n```\n"


def test_the_accepted_block_hashes_like_the_rewritten_source(tmp_path: Path) -> None:
    page = tmp_path / "p.rst"
    page.write_text(".. lab-run:: node1\n\n   $ ls\n   old\n   $ pwd\n")
    block = block_from(page, 3, 5, 3)
    predicted = accepted_block(block, {0: "one\ntwo\n", 1: "/root\n"})
    rewrite_sources([(block, {0: "one\ntwo\n", 1: "/root\n"})])
    assert block_from(page, 3, 7, 3).source_hash == predicted.source_hash
