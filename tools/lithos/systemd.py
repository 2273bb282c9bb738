"""The systemd unit that keeps ``lithos_tree`` running.

Choices, and why:

* ``Restart=always`` (every unit of :mod:`tools.systemd` has it): lithos_tree is the
  supervisor; nothing else restarts it.
* ``KillMode=process``: on stop systemd signals only lithos_tree, which
  passes SIGTERM on to its containers and waits for them; if it ever dies
  unexpectedly, its containers keep running and the restarted lithos_tree
  adopts them instead of systemd killing them all.
* ``ExecReload`` sends SIGQUIT: lithos_tree re-executes itself in place and
  re-reads every config, keeping the children that are still valid.
* ``RUST_LOG=warn``: the log level lithos' own examples use.

>>> print(lithos_tree_unit().splitlines()[0])
[Unit]
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ..systemd import service_unit

UNIT_NAME = "lithos.service"


def lithos_tree_unit(bin_dir: str = "/usr/bin",
                     config: str = "/etc/lithos/master.yaml") -> str:
    """The unit file text for ``lithos_tree`` installed in ``bin_dir``."""
    binary = PurePosixPath(bin_dir) / "lithos_tree"
    return service_unit(
        ["Description=lithos container supervisor (lithos_tree)",
         "Documentation=https://lithos.readthedocs.io/", "After=network.target"],
        ["Type=simple", "Environment=RUST_LOG=warn", f"ExecStart={binary} --config {config}",
         "ExecReload=/bin/kill -QUIT $MAINPID", "KillMode=process"])
