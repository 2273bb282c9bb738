"""The error every block parser raises, and the host argument all kinds share.

No kind is named here: the kinds (:mod:`deploydocs.kinds`) raise
:class:`BlockSyntaxError` from their own parsers, and the directive turns it
into a warning at the block's file and line.
"""

from __future__ import annotations


class BlockSyntaxError(ValueError):
    """A lab block is written wrongly.

    :param message: what is wrong.
    :param key: the option or part concerned (``timeout``, ``content``...).
    :param lineno: the 1-based source line, when known.
    """

    def __init__(self, message: str, key: str = "", lineno: int | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.lineno = lineno


def parse_hosts(argument: str) -> tuple[str, ...]:
    """Split a host argument (``node1``, ``"node1 node2"``, ``all``) into names.

    >>> parse_hosts("node1 node2")
    ('node1', 'node2')
    >>> parse_hosts("node1,node3")
    ('node1', 'node3')
    """
    names = tuple(argument.replace(",", " ").split())
    if not names:
        raise BlockSyntaxError("a host is required (node1, 'node1 node2', all, workstation)",
                               key="host")
    return names
