"""``lab-check``: hidden state checks on hosts after the previous step.

One check a line (``#`` starts a comment), as :mod:`deploydocs.checks`
reads them; they run through the host's one-shot ``run`` (never the reader's
session). ``:wait-until: N`` retries until every check holds or N seconds
have gone by. On the page only the badge shows, under the step the checks
belong to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docutils import nodes

from deploydocs import options as opt
from deploydocs.blocks import Block
from deploydocs.checks import parse_check, run_check, testinfra_host
from deploydocs.context import Context
from deploydocs.display import View, badge
from deploydocs.kinds.base import KindSpec, at_least_one, plan_details
from deploydocs.outcome import Outcome
from deploydocs.parallel import each_host
from deploydocs.retry import poll
from deploydocs.steps import Step
from deploydocs.syntax import BlockSyntaxError, parse_hosts


@dataclass(frozen=True)
class CheckOptions(opt.CommonOptions):
    """The options of a ``lab-check`` block."""

    timeout: float = 60.0
    wait_until: float | None = None


class CheckKind(KindSpec):
    """``.. lab-check:: HOSTS``: hidden state assertions after the previous step."""

    name = "lab-check"
    summary = "``.. lab-check:: HOSTS``: hidden state assertions after the previous step."
    options = (opt.SESSION, opt.TIMEOUT, opt.WAIT_UNTIL, opt.REQUIRES, opt.STAND_IN,
               opt.INSTEAD_OF)
    options_type = CheckOptions
    shows_session = True
    parallel = True

    def parse_body(self, argument: str, raw_options: Mapping[str, str | None],
                   content: Sequence[str], content_lines: Sequence[int]
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Hosts from the argument; the check lines (each one must read as a check)."""
        hosts = parse_hosts(argument)
        checks = tuple(line.strip() for line in content if line.strip()
                       and not line.lstrip().startswith("#"))
        for line, number in zip(content, content_lines, strict=True):
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                try:
                    parse_check(stripped)
                except ValueError as error:
                    raise BlockSyntaxError(str(error), key="check", lineno=number) from None
        return hosts, at_least_one(self.name, "check line", checks)

    def describe(self, step: Step) -> list[str]:
        """One line per check."""
        return plan_details(f"check {c}" for c in step.block.body)

    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Every check on every host, the hosts at once (again until the deadline, with
        ``:wait-until:``: each attempt polls all the hosts at once)."""
        block = step.block
        opts: CheckOptions = block.options

        def on(host: str) -> tuple[list[str], list[str]]:
            """Every check on one host: what each said, and the problems."""
            lab_host = ctx.lab.hosts[host]

            def run(cmd: str) -> Any:
                return lab_host.run(cmd, timeout=opts.timeout)

            infra = testinfra_host(run, host)
            seen, problems = [], []
            for line in block.body:
                ok, message = run_check(parse_check(line), infra)
                seen.append(("ok   " if ok else "FAIL ") + ctx.masker.mask(message))
                if not ok:
                    problems.append(f"{host}: {message}")
            return seen, problems

        def attempt() -> tuple[list[str], str]:
            """Every check on every host, the hosts at once: the problems, and the first
            host (in host order) that had one."""
            problems: list[str] = []
            bad_host = ""
            found = each_host(step.hosts, on, serial=ctx.config.serial)
            for host, (seen, on_host) in zip(step.hosts, found, strict=True):
                ctx.outputs[host] = seen
                problems.extend(on_host)
                bad_host = bad_host or (host if on_host else "")
            return problems, bad_host

        (problems, bad_host), _ = poll(attempt, lambda found: not found[0], opts.wait_until)
        for host in step.hosts:
            ctx.transcripts.of(host, "checks").extend(ctx.outputs[host])
        if problems:
            return Outcome(False, "state check failed:\n" + "\n".join(problems),
                           host=bad_host, outputs=ctx.outputs)
        return Outcome(outputs=ctx.outputs)

    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """No body: the badge, saying how many checks it made."""
        count = len(block.body)
        return [badge(view, f"{count} state check{'s' * (count != 1)}")]


SPEC = CheckKind()
