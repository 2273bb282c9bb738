"""Block identity: one id per block, given once, when its document is read.

The id is the block's source hash plus its occurrence number among identical
blocks of the same document (``1a2b…#1``). Record files are keyed by it,
so this computation must not change: the committed records in
``tutorial/_verified/`` are only found through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from deploydocs.blocks import Block


def block_ids(blocks: Sequence[Block]) -> list[str]:
    """Stable ids of one document's blocks, in source order.

    >>> a = Block("lab-run", "d", "d.rst", 1, ("node1",), content=("$ ls",))
    >>> [bid.split("#")[1] for bid in block_ids([a, a])]
    ['1', '2']
    """
    seen: dict[str, int] = {}
    ids = []
    for block in blocks:
        digest = block.source_hash
        seen[digest] = seen.get(digest, 0) + 1
        ids.append(f"{digest}#{seen[digest]}")
    return ids


def freeze(blocks: Sequence[Block]) -> list[Block]:
    """One document's blocks with their ids set (the document is complete).

    >>> block = Block("lab-run", "d", "d.rst", 1, ("node1",))
    >>> freeze([block])[0].id == block.source_hash + "#1"
    True
    """
    return [replace(block, id=bid) for block, bid in zip(blocks, block_ids(blocks), strict=True)]
