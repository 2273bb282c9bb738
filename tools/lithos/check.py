"""Run the real ``lithos_check`` and read what it says.

This is a wrapper, not a substitute: when ``lithos_check`` is not
installed, :func:`run_lithos_check` raises :class:`LithosCheckNotFound` and
the command line exits 3. Our own validators (:mod:`tools.lithos.config`)
are a separate, offline check.

``lithos_check`` logs each problem as an ``ERROR`` line on stderr and exits
1 when there was at least one. It needs ``lithos_tree`` and ``lithos_knot``
next to it, a devfs directory and a resolvable host name, unless it is
only asked to check container configs (``--check-container``).

:func:`check_layout` builds a throw-away config tree (master, sandboxes,
processes, images, devfs dir, all under one temp dir) from generated files so
the real checker can run without root or ``/etc/lithos``.

>>> parse_messages("ERROR 2026-11-25T20:05:08Z: lithos_check: undefined variable \\"x\\"")
[CheckMessage(level='ERROR', text='undefined variable "x"')]
>>> parse_messages("[2026-01-01T00:00:00Z ERROR lithos_check] No allowed users range")
[CheckMessage(level='ERROR', text='No allowed users range')]
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from ..quire import dump

BINARY = "lithos_check"
_LEVEL_RE = re.compile(
    r"^\[?(?:\S+\s+)?(?P<level>ERROR|WARN|INFO|DEBUG|TRACE)\s+(?P<rest>.*)$")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\S*?:?\s+")
_TARGET_RE = re.compile(r"^lithos_\w+\]?:?\s*")


@dataclass(frozen=True)
class CheckMessage:
    """One log line of ``lithos_check``: its level and text."""

    level: str
    text: str


@dataclass
class LithosCheckResult:
    """The outcome of one ``lithos_check`` run."""

    command: list[str]
    exit_status: int
    stdout: str
    stderr: str
    messages: list[CheckMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when lithos_check exited 0."""
        return self.exit_status == 0

    @property
    def errors(self) -> list[str]:
        """The texts of the ERROR messages."""
        return [m.text for m in self.messages if m.level == "ERROR"]

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {"command": self.command, "exit_status": self.exit_status,
                "errors": self.errors, "messages": [m.__dict__ for m in self.messages],
                "stdout": self.stdout}


def parse_messages(stderr: str) -> list[CheckMessage]:
    """Split ``lithos_check``'s log output into messages (continuation lines joined)."""
    messages: list[CheckMessage] = []
    for line in stderr.splitlines():
        match = _LEVEL_RE.match(line.strip())
        if match:
            text = _TARGET_RE.sub("", _TIMESTAMP_RE.sub("", match["rest"]))
            messages.append(CheckMessage(match["level"], text.strip()))
        elif messages and line.strip():
            last = messages[-1]
            messages[-1] = CheckMessage(last.level, f"{last.text} {line.strip()}")
    return messages


def find_lithos_check(bin_dir: Path | None = None) -> Path | None:
    """The ``lithos_check`` binary in ``bin_dir``, else on ``PATH``; None when absent."""
    if bin_dir is not None:
        candidate = bin_dir / BINARY
        return candidate if os.access(candidate, os.X_OK) else None
    found = shutil.which(BINARY)
    return Path(found) if found else None


class LithosCheckNotFound(FileNotFoundError):
    """``lithos_check`` is not installed where we looked."""


def run_lithos_check(*, config: Path | None = None, sandbox: str | None = None,
                     alternate_config: Path | None = None,
                     check_containers: list[Path] | tuple[Path, ...] = (),
                     bin_dir: Path | None = None, verbose: bool = False,
                     timeout: float = 60) -> LithosCheckResult:
    """Run the real ``lithos_check`` with the given options and parse its output."""
    binary = find_lithos_check(bin_dir)
    if binary is None:
        where = str(bin_dir) if bin_dir is not None else "PATH"
        raise LithosCheckNotFound(f"lithos_check not found (looked in {where})")
    command = [str(binary)]
    if config is not None:
        command += ["--config", str(config)]
    if verbose:
        command.append("--verbose")
    if sandbox is not None:
        command += ["--sandbox", sandbox]
    if alternate_config is not None:
        command += ["--alternate-config", str(alternate_config)]
    for container in check_containers:
        command += ["--check-container", str(container)]
    env = {**os.environ, "RUST_LOG": "warn"}
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                               env=env, check=False)
    return LithosCheckResult(command, completed.returncode, completed.stdout,
                             completed.stderr, parse_messages(completed.stderr))


def check_layout(files: dict[str, str], root: Path, image: str, sandbox: str = "django"
                 ) -> Path:
    """Lay generated ``files`` out under ``root`` so lithos_check can read them; return
    the master config path.

    The master's directories point inside ``root``; the sandbox's
    ``image-dir`` becomes ``root/images`` and the container configs under
    ``config/`` are placed in ``root/images/<image>/config/``.
    """
    (root / "dev").mkdir(parents=True, exist_ok=True)
    for name in ("sandboxes", "processes"):
        (root / name).mkdir(exist_ok=True)
    master = {"sandboxes-dir": str(root / "sandboxes"), "processes-dir": str(root / "processes"),
              "runtime-dir": str(root / "run"), "devfs-dir": str(root / "dev"),
              "default-log-dir": str(root / "log"), "config-log-dir": None,
              "stdio-log-dir": str(root / "log" / "stderr")}
    (root / "master.yaml").write_text(dump(master))
    for relative, text in files.items():
        if relative.startswith("sandboxes/"):
            data = YAML(typ="rt").load(text) or {}
            data["image-dir"] = str(root / "images")
            stream = io.StringIO()
            YAML(typ="rt").dump(data, stream)
            (root / relative).write_text(stream.getvalue())
        elif relative.startswith("processes/"):
            (root / relative).write_text(text)
        elif relative.startswith("config/"):
            target = root / "images" / image / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return root / "master.yaml"


def check_generated(files: dict[str, str], image: str, bin_dir: Path | None = None
                    ) -> LithosCheckResult:
    """Run the real lithos_check over generated files in a temporary layout."""
    with tempfile.TemporaryDirectory(prefix="deploydocs-lithos-check-") as temp:
        master = check_layout(files, Path(temp), image)
        return run_lithos_check(config=master, bin_dir=bin_dir)
