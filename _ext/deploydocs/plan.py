"""Plan: put blocks in reading order, expand hosts, refuse hosts outside the lab.

Nothing here runs anything. :func:`make_plan` is called before the lab is
touched; a host that is not in the lab is refused for the whole build. Each
block becomes steps through its kind's ``plan`` hook; effects a kind leaves
open on a page (a fault) are closed at the end of the page by the kind named
in its ``closed_by``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from deploydocs.blocks import Block
from deploydocs.kinds import spec_for
from deploydocs.parallel import parallel_hosts
from deploydocs.steps import PagePlan, PlanProblem, Step

ALL = "all"

__all__ = ["ALL", "Plan", "PlanError", "Step", "describe", "expand_hosts", "make_plan",
           "reading_order"]


@dataclass(frozen=True)
class Plan:
    """The ordered steps of a build, and the documents in reading order."""

    steps: tuple[Step, ...]
    documents: tuple[str, ...]


class PlanError(ValueError):
    """The blocks cannot be planned (e.g. a host outside the lab). Lists every problem."""

    def __init__(self, problems: Sequence[tuple[Block, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{b.location}: {msg}" for b, msg in self.problems))


def reading_order(root: str, includes: Mapping[str, Sequence[str]],
                  documents: Iterable[str]) -> list[str]:
    """Documents in toctree reading order from *root*; the rest follow, sorted.

    >>> reading_order("index", {"index": ["b", "a"], "b": ["c"]}, ["a", "b", "c", "index", "z"])
    ['index', 'b', 'c', 'a', 'z']
    """
    order: list[str] = []
    seen: set[str] = set()
    stack = [root]
    while stack:
        doc = stack.pop()
        if doc in seen:
            continue
        seen.add(doc)
        order.append(doc)
        stack.extend(reversed(list(includes.get(doc, ()))))
    known = set(documents)
    return [d for d in order if d in known] + sorted(known - seen)


def expand_hosts(block: Block, nodes: Sequence[str]) -> tuple[str, ...]:
    """Replace ``all`` by every node, keep order, drop duplicates."""
    hosts: list[str] = []
    for name in block.hosts:
        for host in (nodes if name == ALL else [name]):
            if host not in hosts:
                hosts.append(host)
    return tuple(hosts)


def make_plan(
    blocks_by_doc: Mapping[str, Sequence[Block]],
    order: Sequence[str],
    *,
    lab_hosts: Iterable[str],
    nodes: Sequence[str],
) -> Plan:
    """Order the blocks and check every host against the lab's; raise :class:`PlanError`."""
    allowed = set(lab_hosts)
    problems: list[tuple[Block, str]] = []
    steps: list[Step] = []
    docs = [d for d in order if blocks_by_doc.get(d)]
    for doc in docs:
        page = PagePlan(doc)
        for block in sorted(blocks_by_doc[doc], key=lambda b: b.lineno):
            hosts = expand_hosts(block, nodes)
            bad = [h for h in hosts if h not in allowed]
            if bad:
                problems.append((block, f"host {', '.join(bad)} is not in the lab "
                                        f"(lab hosts: {', '.join(sorted(allowed))})"))
                continue
            try:
                steps.extend(spec_for(block.kind).plan(block, hosts, page))
            except PlanProblem as problem:
                problems.append((block, str(problem)))
        for effect in reversed(page.open):
            closer = spec_for(spec_for(effect.block.kind).closed_by)
            steps.append(closer.close(effect))
    if problems:
        raise PlanError(problems)
    return Plan(tuple(steps), tuple(order))


def describe(plan: Plan, relpath: Mapping[str, str] | None = None, *,
             serial: bool = False) -> list[str]:
    """The plan as lines: where each command goes, in order (what ``plan`` mode prints).

    A step whose hosts run at once says so: ``[parallel: node1 node2 node3]``
    (never with *serial*, ``deploydocs_serial``).
    """
    lines: list[str] = []
    for number, step in enumerate(plan.steps, 1):
        block = step.block
        spec = spec_for(block.kind)
        where = f"{(relpath or {}).get(block.docname, block.source)}:{block.lineno}"
        head = f"{number:3}. {where}  {block.kind} → {' '.join(step.hosts)}"
        if spec.shows_session:
            head += f" [session {block.session}]"
        if spec.parallel and parallel_hosts(step.hosts, serial):
            head += f" [parallel: {' '.join(step.hosts)}]"
        if block.options.requires:
            head += f" (requires {' '.join(block.options.requires)})"
        if block.options.stand_in:
            head += f" (stand-in {block.options.stand_in})"
        if block.options.instead_of:
            head += f" (skipped where real {' '.join(block.options.instead_of)} ran)"
        if block.options.needs_internet:
            head += f" (needs the internet: {block.options.needs_internet})"
        lines.append(head)
        lines.extend(spec.describe(step))
    return lines
