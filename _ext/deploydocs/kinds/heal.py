"""``lab-heal``: undo the page's fault(s) on a host (``:action:`` picks one).

A heal without an earlier fault on its host and page is refused when
planning. The faults left open at the end of a page are healed there by an
implicit heal step (:meth:`HealKind.close`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from docutils import nodes

from deploydocs import cache
from deploydocs.blocks import Block
from deploydocs.context import Context
from deploydocs.display import View, badge
from deploydocs.kinds.base import KindSpec, plan_details
from deploydocs.kinds.fault import ACTION, FaultOptions
from deploydocs.outcome import Outcome
from deploydocs.steps import Effect, PagePlan, PlanProblem, Step


class HealKind(KindSpec):
    """``.. lab-heal:: HOST``: undo the page's fault on HOST."""

    name = "lab-heal"
    summary = "``.. lab-heal:: HOST``: undo the page's fault on HOST."
    options = (ACTION,)
    options_type = FaultOptions
    has_content = False
    gates = ()
    cache = cache.ALWAYS

    def plan(self, block: Block, hosts: tuple[str, ...], page: PagePlan) -> list[Step]:
        """Close the page's open faults on the block's hosts (newest healed first)."""
        heals = page.close(hosts, block.options.action)
        if not heals:
            raise PlanProblem(f"lab-heal without an earlier lab-fault on {', '.join(hosts)} "
                              "on this page")
        return [Step(block, hosts, effects=tuple(reversed(heals)))]

    def close(self, effect: Effect) -> Step:
        """The implicit heal of a fault still open at the end of its page."""
        heal = replace(effect.block, kind=self.name, hosts=(effect.host,), content=(),
                       body=None)
        return Step(heal, (effect.host,), effects=((effect.host, effect.action),),
                    implicit=True)

    def describe(self, step: Step) -> list[str]:
        """The heals, one a line."""
        note = " (end of page)" if step.implicit else ""
        return plan_details(f"heal {h} {a}{note}" for h, a in step.effects)

    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Undo each fault; *cached* when none had been applied (all were deferred)."""
        why = "end of page" if step.implicit else f"{self.name} at {step.block.location}"
        applied = [ctx.faults.heal(host, action, why) for host, action in step.effects]
        return Outcome(cached=not any(applied), duration=0.0)

    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """A line saying where the fault was healed, and the badge."""
        text = f"Fault healed on {' '.join(block.hosts)}"
        return [nodes.paragraph(text, text, classes=["deploydocs-fault"]), badge(view)]


SPEC = HealKind()
