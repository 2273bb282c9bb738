"""The build modes of deploydocs.

``render``
    The default, and the only mode on Read the Docs: no command is executed
    and no lab is contacted. Blocks show their recorded output and badge.
``verify``
    Run every block on the lab, compare, record, report.
``plan``
    Print which command goes to which host and session; run nothing.
``accept``
    Like verify, but record what was observed as the new expected output,
    and write it into the page where the output is written inline.

Two settings refine the executing modes: ``deploydocs_strict`` makes blocks
that were not run (a real tool missing) fail the build, and
``deploydocs_cache`` (on by default) skips blocks whose text, session
history and lab fingerprint are unchanged since they last passed.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """One way of building the docs."""

    RENDER = "render"
    VERIFY = "verify"
    PLAN = "plan"
    ACCEPT = "accept"

    @property
    def executes(self) -> bool:
        """Whether this mode runs commands on lab hosts."""
        return self in (Mode.VERIFY, Mode.ACCEPT)


MODES: tuple[str, ...] = tuple(m.value for m in Mode)
