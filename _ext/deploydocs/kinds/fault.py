"""``lab-fault``: break something on a host on purpose; it is always healed.

``:action:`` is ``stop`` (power the node off), ``isolate`` (cut its network)
or ``kill:<pattern>`` (kill matching processes). The fault lasts until a
``lab-heal`` on the same host, else the end of its page, and is undone in any
case when the run ends (:class:`deploydocs.faults.FaultLedger`). With the
cache on it is applied only once a later block really runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from docutils import nodes

from deploydocs import cache, gates
from deploydocs import options as opt
from deploydocs.blocks import Block
from deploydocs.context import Context
from deploydocs.display import View, badge
from deploydocs.kinds.base import KindSpec, plan_details
from deploydocs.outcome import Outcome
from deploydocs.steps import PagePlan, Step
from deploydocs.syntax import BlockSyntaxError
from tools.lab.fault_actions import USAGE, parse_fault


@dataclass(frozen=True)
class FaultOptions(opt.CommonOptions):
    """The options of a ``lab-fault`` (and ``lab-heal``) block."""

    action: str = ""


def action(key: str, value: str) -> str:
    """``stop``, ``isolate`` or ``kill:<pattern>``.

    >>> action("action", "kill:gunicorn")
    'kill:gunicorn'
    """
    try:
        parse_fault(value)
    except ValueError:
        raise BlockSyntaxError(f"action must be {USAGE}, not {value!r}", key=key) from None
    return value


ACTION = opt.Option("action", "action", action)


class FaultKind(KindSpec):
    """``.. lab-fault:: HOST``: break something on purpose (healed later, always)."""

    name = "lab-fault"
    summary = "``.. lab-fault:: HOST``: break something on purpose (healed later, always)."
    options = (ACTION, opt.REQUIRES)
    options_type = FaultOptions
    has_content = False
    gates = (gates.TOOLS,)
    cache = cache.DEFER
    closed_by = "lab-heal"

    def check_options(self, options: FaultOptions) -> None:
        """The action is required."""
        if not options.action:
            raise BlockSyntaxError(f"lab-fault needs :action: ({USAGE})",
                                   key="action")

    def plan(self, block: Block, hosts: tuple[str, ...], page: PagePlan) -> list[Step]:
        """One step; the fault stays open on each host until healed."""
        for host in hosts:
            page.opened(block, host, block.options.action)
        return [Step(block, hosts, effects=tuple((h, block.options.action) for h in hosts))]

    def describe(self, step: Step) -> list[str]:
        """The action."""
        return plan_details([f"fault {step.block.options.action}"])

    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Apply the fault on every host; a lab error fails this block only."""
        action = step.block.options.action
        try:
            for host in step.hosts:
                ctx.faults.apply(host, action, step.block.location)
        except Exception as error:  # any lab error fails this block only
            message = f"fault {action} failed: {error}"
            return Outcome(False, message, reason=message, duration=0.0)
        return Outcome()

    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """A line saying what was broken where, and the badge."""
        text = f"Fault injected on {' '.join(block.hosts)}: {block.options.action}"
        return [nodes.paragraph(text, text, classes=["deploydocs-fault"]), badge(view)]


SPEC = FaultKind()
