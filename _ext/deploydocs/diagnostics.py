"""What a host says about itself when one of its blocks failed (shown in the warning).

The commands are configuration (``deploydocs_diagnostics``, binary → command):
each runs when the host has that binary. Diagnostics are best effort: an
error becomes one line of text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deploydocs.gates import ToolCache

TIMEOUT = 20.0


class Diagnostics:
    """Run the configured diagnostics commands on a host.

    :param commands: binary → shell command, in the order their outputs are shown.
    """

    def __init__(self, lab: Any, tools: ToolCache, commands: Mapping[str, str]) -> None:
        self.lab = lab
        self.tools = tools
        self.commands = dict(commands)

    def __call__(self, host: str) -> str:
        """The diagnostics output of *host* ("" when none applies)."""
        if not host or host not in self.lab.hosts or not self.commands:
            return ""
        try:
            present = self.tools.peek(host)
            return "".join(self.lab.hosts[host].run(command, timeout=TIMEOUT).stdout
                           for binary, command in self.commands.items() if binary in present)
        except Exception as error:  # diagnostics are best effort
            return f"(diagnostics unavailable: {error})"
