"""The block kinds, one module each, and the registry that drives the pipeline.

Every kind module exports ``SPEC``, a :class:`~deploydocs.kinds.base.KindSpec`.
The directives, the parser, the planner, the runner and the renderer look a
block's kind up here (:func:`spec_for`) and call its hooks; none of them
knows a kind by name. Adding a kind is a new module in this package, its
name on one line of :data:`MODULES`, and its tests.
"""

from __future__ import annotations

from importlib import import_module

from deploydocs.kinds.base import KindSpec

MODULES = (
    "run",
    "file",
    "check",
    "fault",
    "heal",
    "show_file",
)
"""The kind modules of this package, one a line, in the order the reference lists them."""

KINDS: dict[str, KindSpec] = {
    spec.name: spec for spec in (import_module(f"{__name__}.{m}").SPEC for m in MODULES)}
"""Directive name → kind."""


def spec_for(name: str) -> KindSpec:
    """The kind called *name*.

    >>> spec_for("lab-run").has_content
    True
    """
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown block kind {name!r} (known: {', '.join(KINDS)})") from None


def option_names() -> list[str]:
    """Every option any kind accepts, sorted (the directives accept them all, so that an
    option of the wrong kind gets a message naming the ones allowed)."""
    return sorted({option.name for spec in KINDS.values() for option in spec.options})


__all__ = ["KINDS", "KindSpec", "option_names", "spec_for"]
