"""Captured values: ``${NAME}`` in a block's text is replaced by what an earlier block captured."""

from __future__ import annotations

import re
from collections.abc import Mapping

CAPTURE_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(text: str, captures: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``${NAME}`` by captured values; return the text and the missing names.

    >>> substitute("ping ${LEADER}", {"LEADER": "node2"})
    ('ping node2', [])
    >>> substitute("kept $HOME ${X}", {})
    ('kept $HOME ${X}', ['X'])
    """
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in captures:
            return captures[name]
        missing.append(name)
        return match.group(0)

    return CAPTURE_REF.sub(repl, text), missing
