"""Run a build step (debootstrap, tar, mkfs, pip…) so that nothing of it outlives us."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def run_in_own_group(command: list[str], what: str, error: type[Exception]) -> str:
    """Run *command* in its own process group and return its output (stdout and stderr).

    On Ctrl-C, SIGTERM turned into an exception, or any other exit path, the
    whole group is killed before the exception goes on. A non-zero exit raises
    *error* naming *what* with the last 20 lines of output.
    """
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        output, _ = proc.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    text = output.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = "\n".join(text.strip().splitlines()[-20:])
        raise error(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return text
