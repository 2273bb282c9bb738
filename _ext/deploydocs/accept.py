"""Accept mode: write observed output back into the page, like ``cram -i``.

Accept mode is post-processing of a run: kinds that can (``lab-run``) report
the outputs that differed from the page as :attr:`Outcome.differences
<deploydocs.outcome.Outcome.differences>` instead of failing, the runner keeps
them in :attr:`RunResult.differences <deploydocs.results.RunResult.differences>`,
and this module turns them into source edits. Only commands whose output did
not match are rewritten; their expected lines are replaced by the raw
observed output (what the reader will see), indented like the ``$`` line.
Each file is rewritten atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from deploydocs.blocks import Block
from deploydocs.edits import AcceptError, Edit, apply_edits
from deploydocs.kinds import spec_for
from deploydocs.records import write_atomic

Change = tuple[Block, Mapping[int, str]]
"""A block and its observed outputs by command index."""


def changes(blocks: Mapping[str, Sequence[Block]],
            differences: Mapping[tuple[str, str], Mapping[int, str]]) -> list[Change]:
    """The blocks to rewrite, in document and source order, with what was observed."""
    return [(block, differences[(doc, block.id)]) for doc, doc_blocks in blocks.items()
            for block in doc_blocks if differences.get((doc, block.id))]


def block_edits(block: Block, observed: Mapping[int, str], source_lines: list[str]) -> list[Edit]:
    """Edits that write *observed* into *block*'s lines (its kind decides which)."""
    return spec_for(block.kind).accept_edits(block, observed, source_lines)


def accepted_block(block: Block, observed: Mapping[int, str]) -> Block:
    """The block as it reads after rewriting (to compute its new source hash)."""
    return spec_for(block.kind).accepted(block, observed)


def rewrite_sources(changes: Iterable[Change]) -> dict[str, int]:
    """Rewrite every affected file once; return file → number of outputs rewritten."""
    by_file: dict[str, list[Change]] = {}
    for block, observed in changes:
        by_file.setdefault(block.source, []).append((block, observed))
    done: dict[str, int] = {}
    for source, items in by_file.items():
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        edits = [e for block, observed in items for e in block_edits(block, observed, lines)]
        write_atomic(path, "\n".join(apply_edits(lines, edits)))
        done[source] = sum(len(observed) for _, observed in items)
    return done


__all__ = ["AcceptError", "Change", "Edit", "accepted_block", "apply_edits", "block_edits",
           "changes", "rewrite_sources"]
