"""Run a build step (debootstrap, tar, mkfs, pip…) so that nothing of it outlives us."""

from __future__ import annotations

from ..hosts import run_in_own_group as _run_group


def run_in_own_group(command: list[str], what: str, error: type[Exception]) -> str:
    """Run *command* in its own process group and return its output (stdout and stderr).

    On Ctrl-C, SIGTERM turned into an exception, or any other exit path, the
    whole group is killed before the exception goes on
    (:func:`tools.hosts.run_in_own_group`). A non-zero exit raises *error* naming
    *what* with the last 20 lines of output.
    """
    status, output, _ = _run_group(command, merge_stderr=True)
    text = output.decode("utf-8", "replace")
    if status != 0:
        tail = "\n".join(text.strip().splitlines()[-20:])
        raise error(f"{what} failed (exit {status}):\n{tail}")
    return text
