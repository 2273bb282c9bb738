"""What a block kind is: :class:`KindSpec`, the one object each kind module exports.

A kind says, in one place, everything the pipeline needs to know about it:

* its directive name, whether it has content, and its options
  (:class:`~deploydocs.options.Option` objects with their converters);
* how to read its body (:meth:`KindSpec.parse_body`);
* how it is planned (:meth:`KindSpec.plan`) and described in the plan
  (:meth:`KindSpec.describe`);
* which gates hold it back (:attr:`KindSpec.gates`), how it is cached
  (:attr:`KindSpec.cache`), and how it executes, returning an
  :class:`~deploydocs.outcome.Outcome` (:meth:`KindSpec.execute`);
* how it is shown on the page (:meth:`KindSpec.render`) and, if it can, how accept
  mode rewrites it (:meth:`KindSpec.accept_edits`, :meth:`KindSpec.accepted`).

The registry (:mod:`deploydocs.kinds`) hands these to the directives, the
parser, the planner, the runner and the renderer, none of which knows a
kind by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from docutils import nodes

from deploydocs import cache, gates
from deploydocs.blocks import Block
from deploydocs.context import Context
from deploydocs.display import View, badge
from deploydocs.edits import AcceptError, Edit
from deploydocs.options import CommonOptions, Option, convert_options
from deploydocs.outcome import Outcome
from deploydocs.steps import PagePlan, Step
from deploydocs.syntax import BlockSyntaxError, parse_hosts

PLAN_INDENT = " " * 7
"""Where the plan's detail lines of a step start, under the step's numbered head line."""

T = TypeVar("T")


class KindSpec:
    """The base of every kind: the defaults, overridden by each kind's subclass."""

    name: str = ""
    """The directive (``lab-run``); also the block's :attr:`~deploydocs.blocks.Block.kind`."""
    summary: str = ""
    """One line saying what the directive does (its docstring)."""
    options: tuple[Option, ...] = ()
    """The options it accepts, in the order messages list them."""
    options_type: type[CommonOptions] = CommonOptions
    """The frozen dataclass the converted options go into."""
    has_content: bool = True
    gates: tuple[str, ...] = gates.ALL
    """The :mod:`deploydocs.gates` checked, in order, before the step executes."""
    cache: str = cache.CHAIN
    """How the replay cache treats it (:data:`~deploydocs.cache.CHAIN`, ``DEFER``, ``ALWAYS``)."""
    keeps_session_state: bool = False
    """It runs in a shell session whose cwd and variables later blocks rely on."""
    shows_session: bool = False
    """Its session is worth naming (plan lines, the report's table)."""
    parallel: bool = False
    """Its hosts run at once, one worker thread each (:mod:`deploydocs.parallel`)."""
    closed_by: str = ""
    """The kind that undoes what this one opens on its page (see :class:`PagePlan`)."""

    # -- parsing ---------------------------------------------------------------
    def convert_options(self, raw: Mapping[str, str | None]) -> CommonOptions:
        """The options as written → the kind's options object."""
        options = convert_options(self.name, self.options, self.options_type, raw)
        self.check_options(options)
        return options

    def check_options(self, options: Any) -> None:
        """Checks that need all the options at once; raise :class:`BlockSyntaxError`."""

    def parse_body(self, argument: str, raw_options: Mapping[str, str | None],
                   content: Sequence[str], content_lines: Sequence[int]
                   ) -> tuple[tuple[str, ...], Any]:
        """The block's hosts and what its body means (default: hosts from the argument,
        and no body allowed when the kind has no content)."""
        hosts = parse_hosts(argument)
        if not self.has_content and any(line.strip() for line in content):
            raise BlockSyntaxError(f"{self.name} takes no content", key="content")
        return hosts, None

    # -- planning ----------------------------------------------------------------
    def plan(self, block: Block, hosts: tuple[str, ...], page: PagePlan) -> list[Step]:
        """The steps of one block on its expanded hosts (raise ``PlanProblem`` to refuse)."""
        return [Step(block, hosts)]

    def close(self, effect: Any) -> Step:
        """The implicit step that undoes *effect* at the end of its page (kinds named in
        another kind's :attr:`closed_by`)."""
        raise NotImplementedError(f"{self.name} closes nothing")

    def describe(self, step: Step) -> list[str]:
        """What the plan prints under the step's head line."""
        return []

    # -- running -------------------------------------------------------------------
    def execute(self, step: Step, ctx: Context) -> Outcome:
        """Do the step on the lab."""
        raise NotImplementedError(f"{self.name} cannot execute")

    # -- showing -----------------------------------------------------------------
    def render(self, block: Block, view: View, lab_nodes: Sequence[str]) -> list[nodes.Node]:
        """The nodes that replace the block's placeholder (default: its badge)."""
        return [badge(view)]

    def accept_edits(self, block: Block, observed: Mapping[int, str],
                     source_lines: list[str]) -> list[Edit]:
        """Source edits writing *observed* outputs into the page (accept mode)."""
        raise AcceptError(f"{block.location}: {self.name} blocks cannot be rewritten")

    def accepted(self, block: Block, observed: Mapping[int, str]) -> Block:
        """The block as it reads once :meth:`accept_edits` are applied."""
        return block


def path_and_hosts(kind: str, argument: str, raw_options: Mapping[str, str | None]
                   ) -> tuple[str, ...]:
    """For kinds whose argument is a path: check it, and read ``:hosts:`` (default all).

    A relative path is relative to the host's working directory (the
    workstation's scratch directory); ``..`` could leave it.
    """
    hosts = parse_hosts(raw_options.get("hosts") or "all")
    if not argument or ".." in argument.split("/"):
        raise BlockSyntaxError(f"{kind} needs a path without '..', not {argument!r}",
                               key="path")
    return hosts


class PathKind(KindSpec):
    """The base of the kinds whose argument is a path on the hosts that ``:hosts:`` names."""

    def parse_body(self, argument: str, raw_options: Mapping[str, str | None],
                   content: Sequence[str], content_lines: Sequence[int]
                   ) -> tuple[tuple[str, ...], None]:
        """Hosts from ``:hosts:`` (default: every node); the argument is the path, which
        must not hold ``..``."""
        return path_and_hosts(self.name, argument, raw_options), None


def at_least_one(kind: str, what: str, items: tuple[T, ...]) -> tuple[T, ...]:
    """*items*, the parsed body of a *kind* block, which an empty body fails.

    >>> at_least_one("lab-x", "line", ("a",))
    ('a',)
    """
    if not items:
        raise BlockSyntaxError(f"{kind} needs at least one {what}", key="content")
    return items


def plan_details(lines: Iterable[str]) -> list[str]:
    """*lines* indented as the plan shows them under their step.

    >>> plan_details(["$ true"])
    ['       $ true']
    """
    return [PLAN_INDENT + line for line in lines]
