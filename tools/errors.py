"""The exit codes of every ``python -m tools`` command, and the errors that carry them.

======  ===============  ================================================================
code    name             meaning
======  ===============  ================================================================
0       ``OK``           done: the check passed, the operation succeeded
1       ``FAILED``       the thing checked is wrong (an invalid file, an unhealthy
                         cluster, a failed check), or an operation on it did not succeed
2       ``BAD_INPUT``    bad input: a usage error, a bad option, an unreadable or invalid
                         input file, no machines to act on
3       ``ENVIRONMENT``  the environment is not there: an unreachable host or agent, a
                         missing binary, no Docker daemon, the ``docker`` library missing
======  ===============  ================================================================

A command stops with one of the :class:`ToolsError` subclasses below. The command
line prints it as one ``error: <message>`` line on stderr (and a ``hint:`` line
saying what to pass, when there is one); real usage errors keep click's usage
banner. A command given ``--json`` prints :meth:`ToolsError.as_document` on stdout
instead, and nothing else there.

>>> err = Unreachable("cannot reach node1", hint="is sshd running there?")
>>> int(err.exit_code), err.kind
(3, 'unreachable')
>>> err.as_document()["error"]["exit_code"]
3
"""

from __future__ import annotations

from enum import IntEnum
from typing import IO, Any, ClassVar

import click


class ExitCode(IntEnum):
    """The exit codes shared by every command (see the table above)."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    ENVIRONMENT = 3


NO_TARGET = ("no machines to act on: pass --inventory FILE, set DEPLOYDOCS_INVENTORY, "
             "put a hosts.toml here, or run inside a lab's workstation "
             "(the lab command `lab shell workstation` opens a shell there)")
"""What a machine command says when nothing names its machines."""

DOCKER_MISSING = "the docker library is missing: pip install 'deploydocs-tools[lab]'"
"""What a command needing the docker library says when it is not installed."""

OWN_MACHINES_HINT = "to use machines of your own, pass --backend ssh --inventory FILE"
"""The hint for the environment errors of the lab's docker backend."""


class ToolsError(click.ClickException):
    """A command cannot go on; the subclass says why, and so which exit code it ends with.

    It is a :class:`click.ClickException`, so a command group run on its own (as the
    tests do) prints and exits the same way as through ``python -m tools``.
    """

    code: ClassVar[ExitCode] = ExitCode.FAILED
    """The exit code of this kind of error."""
    kind: ClassVar[str] = "failed"
    """A short name for scripts: the ``kind`` of the ``--json`` error document."""

    exit_code: ClassVar[int] = int(code)
    """What click exits with: :attr:`code`, set for each subclass from its own."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.exit_code = int(cls.code)

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        """What to pass or do instead, printed on a line of its own (or ``None``)."""

    def as_document(self) -> dict[str, Any]:
        """The ``--json`` form: ``{"ok": false, "error": {kind, message, exit_code}}``
        (and ``hint`` when there is one)."""
        error: dict[str, Any] = {"kind": self.kind, "message": self.message,
                                 "exit_code": self.exit_code}
        if self.hint:
            error["hint"] = self.hint
        return {"ok": False, "error": error}

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``error: <message>`` (and ``hint: <hint>``) on stderr, without a banner."""
        click.echo(f"error: {self.message}", file=file, err=file is None)
        if self.hint:
            click.echo(f"hint: {self.hint}", file=file, err=file is None)


class CheckFailed(ToolsError):
    """The thing checked is wrong, or an operation on it did not succeed (exit 1)."""

    code = ExitCode.FAILED
    kind = "failed"


class BadInput(ToolsError):
    """Bad input: an unreadable or invalid input file, a bad value (exit 2)."""

    code = ExitCode.BAD_INPUT
    kind = "bad_input"


class NoTarget(BadInput):
    """A command that acts on machines was not told which (exit 2)."""

    kind = "no_target"

    def __init__(self, message: str = NO_TARGET, hint: str | None = None) -> None:
        super().__init__(message, hint)


class EnvironmentProblem(ToolsError):
    """Something the command needs from its environment is not there (exit 3)."""

    code = ExitCode.ENVIRONMENT
    kind = "environment"


class Unreachable(EnvironmentProblem):
    """A host, an agent or a lab does not answer (exit 3)."""

    kind = "unreachable"


class DaemonUnreachable(Unreachable):
    """The Docker daemon does not answer (exit 3)."""

    kind = "docker_unreachable"


class MissingBinary(EnvironmentProblem):
    """A program the command runs is not installed (exit 3)."""

    kind = "missing_binary"


class MissingDependency(EnvironmentProblem):
    """An optional Python library the command needs is not installed (exit 3)."""

    kind = "missing_dependency"


def usage_document(err: click.UsageError) -> dict[str, Any]:
    """The ``--json`` form of a click usage error (kind ``usage``, exit 2).

    >>> usage_document(click.UsageError("give --file"))["error"]["kind"]
    'usage'
    """
    return {"ok": False, "error": {"kind": "usage", "message": err.format_message(),
                                   "exit_code": int(ExitCode.BAD_INPUT)}}
