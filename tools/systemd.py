"""systemd unit files for the services the tutorial installs (cantal, lithos).

Every such service is kept running by systemd (``Restart=always``, restarted a second
after it stops) and started at boot (``WantedBy=multi-user.target``); only the
``[Unit]`` lines and the ``[Service]`` lines before those differ.

>>> print(service_unit(["Description=x"], ["ExecStart=/bin/x"]), end="")
[Unit]
Description=x
<BLANKLINE>
[Service]
ExecStart=/bin/x
Restart=always
RestartSec=1
<BLANKLINE>
[Install]
WantedBy=multi-user.target
"""

from __future__ import annotations

from collections.abc import Sequence

KEEP_RUNNING = ("Restart=always", "RestartSec=1")
"""The ``[Service]`` lines that end every unit: systemd restarts the service, always."""
AT_BOOT = ("[Install]", "WantedBy=multi-user.target")
"""The ``[Install]`` section of every unit: started at boot."""


def service_unit(unit: Sequence[str], service: Sequence[str]) -> str:
    """The unit file with the ``[Unit]`` lines *unit* and the ``[Service]`` lines
    *service* (then :data:`KEEP_RUNNING`), installed :data:`AT_BOOT`."""
    return "\n".join(["[Unit]", *unit, "", "[Service]", *service, *KEEP_RUNNING, "",
                      *AT_BOOT, ""])
