"""What the planner produces: :class:`Step` objects, and the per-page bookkeeping kinds use.

A kind's ``plan`` hook turns one block into steps. Kinds whose effect lasts
(a fault) *open* it on the page's :class:`PagePlan`; kinds that undo it (a
heal) *close* it; whatever is still open at the end of the page is closed by
an implicit step that the opening kind's ``closed_by`` kind makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deploydocs.blocks import Block


@dataclass(frozen=True)
class Step:
    """One block to run, on concrete hosts.

    :param effects: (host, action) pairs the step applies or undoes (faults, heals).
    :param implicit: added by the planner, not written on the page (no record is kept).
    """

    block: Block
    hosts: tuple[str, ...]
    effects: tuple[tuple[str, str], ...] = ()
    implicit: bool = False


@dataclass(frozen=True)
class Effect:
    """Something a step did that lasts until a later step undoes it."""

    block: Block
    host: str
    action: str


class PlanProblem(ValueError):
    """A block cannot be planned; the message says why (collected by the planner)."""


@dataclass
class PagePlan:
    """The effects opened on one page and not yet closed, oldest first."""

    docname: str
    open: list[Effect] = field(default_factory=list)

    def opened(self, block: Block, host: str, action: str) -> None:
        """Remember that *block* did *action* on *host*."""
        self.open.append(Effect(block, host, action))

    def close(self, hosts: tuple[str, ...], action: str = "") -> list[tuple[str, str]]:
        """Close the open effects on *hosts* (only *action*, when given).

        Returns the (host, action) pairs closed, oldest first.
        """
        closed = [(e.host, e.action) for e in self.open
                  if e.host in hosts and (not action or e.action == action)]
        self.open = [e for e in self.open if (e.host, e.action) not in closed]
        return closed
