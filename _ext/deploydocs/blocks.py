"""The noun of the pipeline: a :class:`Block` as written on a page.

A directive turns its text into one :class:`Block`, a plain, picklable data
object that knows nothing about Sphinx or the lab. Everything downstream
(planning, running, comparing, reporting, rewriting) works on these. What a
block's kind makes of its body is in :attr:`Block.body`; which kinds exist
is :mod:`deploydocs.kinds`' business, not this module's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from deploydocs.options import CommonOptions


@dataclass(frozen=True)
class Block:
    """One lab directive as written: where it is, where it runs, what it expects.

    :param kind: the directive's name (``lab-run``); :func:`deploydocs.kinds.spec_for`
        gives what it does.
    :param docname: the Sphinx document name (``tutorial/first``).
    :param source: the path of the file the block is written in.
    :param lineno: 1-based line of the directive.
    :param hosts: host names as written (``all`` is expanded by the planner).
    :param argument: the directive's argument (host list, or the path of a file).
    :param content: the block's body lines, as written (indentation removed).
    :param content_lines: the 1-based source line of each body line.
    :param body: what the kind parsed the content into (a ``lab-run``'s commands...).
    :param options: the converted options, of the kind's own options type.
    :param raw_options: the options as written, for hashing and display.
    :param id: the block's identity in its document, given once the document is read
        (:func:`deploydocs.identity.freeze`); records and results are keyed by it.
    """

    kind: str
    docname: str
    source: str
    lineno: int
    hosts: tuple[str, ...]
    argument: str = ""
    content: tuple[str, ...] = ()
    content_lines: tuple[int, ...] = ()
    body: Any = None
    options: Any = field(default_factory=CommonOptions)
    raw_options: tuple[tuple[str, str], ...] = ()
    id: str = ""

    @property
    def source_hash(self) -> str:
        """A short hash of what the author wrote; a record is valid only for this hash.

        The committed records depend on this exact computation: changing it makes
        every recorded block *never verified*.
        """
        payload = json.dumps(
            [self.kind, self.argument, sorted(self.raw_options), list(self.content)]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def location(self) -> str:
        """``source:line`` for messages."""
        return f"{self.source}:{self.lineno}"

    @property
    def session(self) -> str:
        """The session name the block runs in."""
        return str(self.options.session)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (for the plan output and debugging)."""
        return asdict(self)
