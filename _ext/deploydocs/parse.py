"""Parse a directive's text into a :class:`~deploydocs.blocks.Block` (no Sphinx here).

The page syntax is described in ``reference/verification.rst``; each kind's
own part (options, body) is its module in :mod:`deploydocs.kinds`. Errors
are :class:`~deploydocs.syntax.BlockSyntaxError` naming the option (``key``)
and the line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deploydocs.blocks import Block
from deploydocs.kinds import spec_for
from deploydocs.syntax import BlockSyntaxError, parse_hosts

__all__ = ["BlockSyntaxError", "parse_block", "parse_hosts", "parse_options"]


def parse_options(kind: str, raw: Mapping[str, str | None]) -> Any:
    """Check and convert the options of one directive of *kind*.

    >>> parse_options("lab-run", {"timeout": "5", "exit": "any", "hide": None}).exit is None
    True
    """
    return spec_for(kind).convert_options(raw)


def parse_block(
    kind: str,
    *,
    docname: str,
    source: str,
    lineno: int,
    argument: str,
    raw_options: Mapping[str, str | None],
    content: Sequence[str],
    content_lines: Sequence[int],
) -> Block:
    """Build a :class:`Block` from what a directive saw; raise :class:`BlockSyntaxError`."""
    spec = spec_for(kind)
    options = spec.convert_options(raw_options)
    content = [line.rstrip() for line in content]
    hosts, body = spec.parse_body(argument, raw_options, content, content_lines)
    return Block(
        kind=kind, docname=docname, source=source, lineno=lineno, hosts=hosts,
        argument=argument, content=tuple(content), content_lines=tuple(content_lines),
        body=body, options=options,
        raw_options=tuple(sorted((k, v or "") for k, v in raw_options.items())),
    )
