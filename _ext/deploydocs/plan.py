"""Plan: put blocks in reading order, expand hosts, refuse hosts outside the lab.

Nothing here runs anything. :func:`make_plan` is called before the lab is
touched; a host that is not in the lab is refused for the whole build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from deploydocs.blocks import Block, Kind

ALL = "all"


@dataclass(frozen=True)
class Step:
    """One block to run, on concrete hosts.

    :param heals: for heal steps, the (host, action) pairs to undo.
    :param implicit: a heal the planner added at the end of a page.
    """

    block: Block
    hosts: tuple[str, ...]
    heals: tuple[tuple[str, str], ...] = ()
    implicit: bool = False


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
    """Order the blocks and check every host against the lab's; raise :class:`PlanError`.

    A ``lab-fault`` stays in force until the matching ``lab-heal`` on the
    same host or, failing that, an implicit heal at the end of its page.
    """
    allowed = set(lab_hosts)
    problems: list[tuple[Block, str]] = []
    steps: list[Step] = []
    docs = [d for d in order if blocks_by_doc.get(d)]
    for doc in docs:
        pending: list[tuple[Block, str, str]] = []  # (fault block, host, action)
        for block in sorted(blocks_by_doc[doc], key=lambda b: b.lineno):
            hosts = expand_hosts(block, nodes)
            bad = [h for h in hosts if h not in allowed]
            if bad:
                problems.append((block, f"host {', '.join(bad)} is not in the lab "
                                        f"(lab hosts: {', '.join(sorted(allowed))})"))
                continue
            if block.kind is Kind.FAULT:
                pending.extend((block, h, block.options.action) for h in hosts)
                steps.append(Step(block, hosts))
            elif block.kind is Kind.HEAL:
                heals = [(h, a) for (_, h, a) in pending if h in hosts
                         and (not block.options.action or a == block.options.action)]
                if not heals:
                    problems.append((block, "lab-heal without an earlier lab-fault on "
                                            f"{', '.join(hosts)} on this page"))
                    continue
                pending = [p for p in pending if (p[1], p[2]) not in heals]
                steps.append(Step(block, hosts, heals=tuple(reversed(heals))))
            else:
                steps.append(Step(block, hosts))
        for fault, host, action in reversed(pending):
            heal = replace(fault, kind=Kind.HEAL, hosts=(host,), content=(), commands=())
            steps.append(Step(heal, (host,), heals=((host, action),), implicit=True))
    if problems:
        raise PlanError(problems)
    return Plan(tuple(steps), tuple(order))


def describe(plan: Plan, relpath: Mapping[str, str] | None = None) -> list[str]:
    """The plan as lines: where each command goes, in order (what ``plan`` mode prints)."""
    lines: list[str] = []
    for number, step in enumerate(plan.steps, 1):
        block = step.block
        where = f"{(relpath or {}).get(block.docname, block.source)}:{block.lineno}"
        hosts = " ".join(step.hosts)
        head = f"{number:3}. {where}  {block.kind.value} → {hosts}"
        if block.kind in (Kind.RUN, Kind.CHECK):
            head += f" [session {block.session}]"
        if block.options.requires:
            head += f" (requires {' '.join(block.options.requires)})"
        if block.options.stand_in:
            head += f" (stand-in {block.options.stand_in})"
        if block.options.instead_of:
            head += f" (skipped where real {' '.join(block.options.instead_of)} ran)"
        if block.options.needs_internet:
            head += f" (needs the internet: {block.options.needs_internet})"
        lines.append(head)
        if block.kind is Kind.RUN:
            lines.extend(f"       $ {c.text}" for c in block.commands)
        elif block.kind is Kind.CHECK:
            lines.extend(f"       check {c}" for c in block.checks)
        elif block.kind is Kind.FILE:
            count = len(block.content)
            lines.append(f"       write {block.argument} ({count} line{'s' * (count != 1)}, "
                         f"{block.options.owner} {block.options.mode:04o})")
        elif block.kind is Kind.FAULT:
            lines.append(f"       fault {block.options.action}")
        elif block.kind is Kind.HEAL:
            note = " (end of page)" if step.implicit else ""
            lines.extend(f"       heal {h} {a}{note}" for h, a in step.heals)
    return lines
