"""``lab-show-file``: a file as it is on a host, shown to the reader and checked.

The other direction from ``lab-file``: the page shows what a file on the lab
looks like (a config the tools generated, a file verwalter rendered), and
the verify run reads it on each host and compares it with the page, with the
same rules as command output (``...`` wildcards, ``:normalize:``).
``${NAME}`` in the expected text is replaced by captured values.
``:wait-until: N`` reads again until the file matches or N seconds have gone
by, for files that appear a little later. Once verified, the page shows the
file as the first host had it. Accept mode does not rewrite this block: a
difference fails it.

.. code-block:: rst

   .. lab-show-file:: /etc/lithos/processes/hello.yaml
      :hosts: node1
      :language: yaml

      hello:
        kind: Daemon
        ...
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from docutils import nodes

from deploydocs import options as opt
from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.compare import compare_output
from deploydocs.context import Context
from deploydocs.display import View, badge, host_label
from deploydocs.kinds.base import PathKind, plan_details
from deploydocs.normalize import NORMALIZERS
from deploydocs.outcome import Outcome
from deploydocs.records import Status
from deploydocs.retry import until_passes
from deploydocs.steps import Step
from deploydocs.syntax import BlockSyntaxError


@dataclass(frozen=True)
class ShowFileOptions(opt.CommonOptions):
    """The options of a ``lab-show-file`` block."""

    timeout: float = 60.0
    wait_until: float | None = None
    normalize: tuple[str, ...] = ()
    language: str = ""


def normalizers(key: str, value: str) -> tuple[str, ...]:
    """Names of :mod:`deploydocs.normalize` normalizers, each of which must exist.

    >>> normalizers("normalize", "pids, timestamps")
    ('pids', 'timestamps')
    """
    names = opt.words(key, value)
    unknown = [name for name in names if name not in NORMALIZERS]
    if unknown:
        raise BlockSyntaxError(f"unknown normalizer {', '.join(unknown)} "
                               f"(known: {', '.join(NORMALIZERS)})", key=key)
    return names


class ShowFileKind(PathKind):
    """``.. lab-show-file:: PATH``: the file as the hosts have it, checked against the page."""

    name = "lab-show-file"
    summary = ("``.. lab-show-file:: PATH``: the file as the hosts have it, checked against "
               "the page.")
    options = (opt.HOSTS, opt.TIMEOUT, opt.WAIT_UNTIL,
               opt.Option("normalize", "normalize", normalizers), opt.LANGUAGE, opt.REQUIRES,
               opt.HIDE)
    options_type = ShowFileOptions

    def describe(self, step: Step) -> list[str]:
        """Which file is read, and how much of it the page expects."""
        count = len(step.block.content)
        return plan_details([f"show {step.block.argument} ({count} line{'s' * (count != 1)} "
                             "expected)"])

    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Read the file on each host and compare it with the page (again until the
        deadline, with ``:wait-until:``)."""
        opts: ShowFileOptions = step.block.options
        return until_passes(lambda: self._read(step, ctx), opts.wait_until)

    def _read(self, step: Step, ctx: Context) -> Outcome:
        """One pass over the hosts, stopping at the first that has the file otherwise."""
        block = step.block
        opts: ShowFileOptions = block.options
        expected, _ = substitute("\n".join(block.content), ctx.captures)
        first = block.content_lines[0] if block.content_lines else 0
        for host in step.hosts:
            result = ctx.lab.hosts[host].run(f"cat -- {shlex.quote(block.argument)}",
                                             timeout=opts.timeout)
            observed = ctx.masker.mask(result.stdout)
            ctx.outputs[host] = [observed]
            ctx.transcripts.note(host, "files", f"# read {block.argument} "
                                                f"({len(result.stdout)} bytes, exit "
                                                f"{result.exit_status})")
            if result.timed_out or result.exit_status != 0:
                why = "timed out" if result.timed_out else (
                    ctx.masker.mask(result.stderr.strip().splitlines()[-1])
                    if result.stderr.strip() else f"exit status {result.exit_status}")
                return Outcome(False, f"cannot read {block.argument} on {host}: {why}",
                               host=host, line=first, outputs=ctx.outputs)
            comparison = compare_output(
                expected.split("\n") if block.content else [], observed,
                normalizers=opts.normalize,
                label_expected=f"expected ({block.source}:{first or block.lineno})",
                label_observed=f"{block.argument} on {host}")
            if not comparison.matched:
                return Outcome(False, f"{block.argument} on {host} differs from the page\n"
                                      f"{comparison.diff}", host=host, line=first,
                               outputs=ctx.outputs)
        return Outcome(outputs=ctx.outputs)

    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """Machine label, the path, the file (as the first host had it once verified),
        the badge."""
        opts: ShowFileOptions = block.options
        record = view.record
        text = "\n".join(block.content)
        if record is not None and record.status == Status.PASSED and record.outputs:
            first = block.hosts[0] if block.hosts[0] in record.outputs else next(
                iter(record.outputs))
            text = "".join(record.outputs[first]).rstrip("\n")
        literal = nodes.literal_block(text, text)
        literal["language"] = opts.language or "text"
        return [host_label(block, record, lab_nodes),
                nodes.paragraph(block.argument, "", nodes.literal(block.argument,
                                                                  block.argument),
                                classes=["deploydocs-file"]),
                literal, badge(view)]


SPEC = ShowFileKind()
