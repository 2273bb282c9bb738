"""Why a step is not run at all: the preconditions a kind chooses to be checked first.

Each gate looks at a step and what the run has seen so far, and either lets
it through or gives the status and reason its record gets. A kind lists the
gates that apply to it (:attr:`deploydocs.kinds.base.KindSpec.gates`), in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from deploydocs.blocks import Block
from deploydocs.captures import substitute
from deploydocs.records import BlockRecord, Status
from deploydocs.steps import Step

STOPPED = "stopped"
"""An earlier block of the page's session on one of the step's hosts failed."""
REAL_TOOL = "real-tool"
"""A stand-in whose real tools all passed the page's latest block requiring them."""
TOOLS = "tools"
"""A ``:requires:`` tool is absent from a host."""
INTERNET = "internet"
"""The block downloads something and the lab has no internet."""
CAPTURES = "captures"
"""The block's text uses a value no earlier block captured."""
ALL = (STOPPED, REAL_TOOL, TOOLS, INTERNET, CAPTURES)

Verdict = tuple[str, str]
"""(status, reason) of a step that is not run."""


class ToolCache:
    """The real tools of each host, asked when first needed and again after a block ran
    there (the tutorial's blocks install the tools)."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.known: dict[str, dict[str, str]] = {}

    def of(self, host: str) -> dict[str, str]:
        """The host's tools (asked now, and remembered)."""
        if host not in self.known:
            self.known[host] = dict(self.lab.tools(host))
        return self.known[host]

    def forget(self, host: str) -> None:
        """Ask *host* again next time (a block is about to run there)."""
        self.known.pop(host, None)

    def peek(self, host: str) -> dict[str, str]:
        """The host's tools, without remembering them when they were not known yet."""
        return self.known.get(host) or dict(self.lab.tools(host))


class Gates:
    """The gates of one run, and what they need to remember between steps.

    :param aliases: ``:requires:`` name → binary.
    :param internet: whether the lab reaches the internet.
    :param captures: the run's captured values (read, never written, here).
    """

    def __init__(self, lab: Any, *, aliases: Mapping[str, str], internet: bool,
                 captures: Mapping[str, str]) -> None:
        self.tools = ToolCache(lab)
        self.aliases = aliases
        self.internet = internet
        self.captures = captures
        self.stopped: dict[tuple[str, str, str], Block] = {}
        """(docname, host, session) → the failed block that stops the rest of that page's
        session on that host; the other hosts' sessions of the same name go on."""
        self.real_runs: dict[tuple[str, str], BlockRecord] = {}
        """(docname, tool) → the record of the page's latest block that requires *tool*."""
        self._gates: dict[str, Callable[[Step], Verdict | None]] = {
            STOPPED: self._stopped, REAL_TOOL: self._done_by_real_tool, TOOLS: self._absent,
            INTERNET: self._offline, CAPTURES: self._missing_captures,
        }

    def check(self, step: Step, names: tuple[str, ...]) -> Verdict | None:
        """The first of the gates *names* that holds *step* back, or None."""
        for name in names:
            verdict = self._gates[name](step)
            if verdict is not None:
                return verdict
        return None

    def recorded(self, step: Step, record: BlockRecord) -> None:
        """Note a step's record (for the stand-ins after it)."""
        for tool in step.block.options.requires:
            self.real_runs[(step.block.docname, tool)] = record

    def stop(self, block: Block, host: str) -> None:
        """Stop the rest of *block*'s page session on *host*."""
        self.stopped[(block.docname, host, block.session)] = block

    # -- the gates -------------------------------------------------------------
    def _stopped(self, step: Step) -> Verdict | None:
        block = step.block
        stopper = next((self.stopped[(block.docname, host, block.session)]
                        for host in step.hosts
                        if (block.docname, host, block.session) in self.stopped), None)
        if stopper is None:
            return None
        return Status.NOT_RUN, f"earlier block failed ({stopper.location})"

    def _done_by_real_tool(self, step: Step) -> Verdict | None:
        tools = step.block.options.instead_of
        if not tools:
            return None
        where = []
        for tool in tools:
            latest = self.real_runs.get((step.block.docname, tool))
            if latest is None or latest.status != Status.PASSED:
                return None
            where.append(f"{tool} at line {latest.lineno}")
        return Status.SKIPPED, f"real {', '.join(tools)} ran instead ({'; '.join(where)})"

    def _absent(self, step: Step) -> Verdict | None:
        if not step.block.options.requires:
            return None
        absent: list[str] = []
        for host in step.hosts:
            present = self.tools.of(host)
            for tool in step.block.options.requires:
                if self.aliases.get(tool, tool) not in present and tool not in absent:
                    absent.append(tool)
        return (Status.NOT_RUN, ", ".join(absent) + " absent") if absent else None

    def _offline(self, step: Step) -> Verdict | None:
        what = step.block.options.needs_internet
        if not what or self.internet:
            return None
        return Status.NOT_RUN, f"needs the internet: {what}"

    def _missing_captures(self, step: Step) -> Verdict | None:
        _, unknown = substitute("\n".join(step.block.content), self.captures)
        if not unknown:
            return None
        return Status.NOT_RUN, f"capture {', '.join(sorted(set(unknown)))} unavailable"
