"""The ssh backend: real machines (or any sshd) listed in an inventory file, as a lab.

The machines are reached with :class:`tools.ssh.SshHost` (OpenSSH, strict about host
keys; their inventory is :mod:`tools.inventory`), which code outside the lab uses as
well; its names stay importable from here. :func:`docker_lab_inventory` writes an
inventory for the docker lab's own nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...fs import write_atomically
from ...ssh import CONTROL_PERSIST, SshHost, inventory_hosts, ssh_hosts
from ..base import LAB_LABEL

__all__ = ["CONTROL_PERSIST", "SshHost", "SshLab", "docker_lab_inventory", "ssh_hosts"]


class SshLab:
    """The machines of an inventory as a lab (the ``ssh`` backend).

    They are the user's: nothing is brought up or removed, they count as running,
    and they take no faults but ``kill:`` (which the lab sends as a command).
    """

    kind = "ssh"

    def __init__(self, inventory: Path, name: str = LAB_LABEL) -> None:
        self.inventory: Path | None = inventory
        self.name = name

    def up(self, *, tools_dir: Path | None = None, with_lithos: bool = True,
           progress: Callable[[str], None] = print) -> dict[str, object]:
        """Nothing to bring up: the machines run already."""
        return {}

    def down(self) -> list[str]:
        """Nothing to remove."""
        return []

    def is_up(self) -> bool:
        """The machines count as up (whether they answer is for the caller to find out)."""
        return True

    def check_up(self) -> None:
        """Nothing to check before connecting."""

    def hosts(self) -> dict[str, SshHost]:
        """The inventory's machines, by name (``workstation`` is reserved for this one)."""
        assert self.inventory is not None
        return inventory_hosts(self.inventory)

    def node_running(self, node: str) -> bool:
        """Whether *node* is powered on: the ssh backend cannot tell, so it is."""
        return True

    def fault(self, node: str, action: str) -> None:
        """Refused: only the lab's own machines can be stopped or cut off."""
        raise ValueError(f"fault {action!r} needs the docker or qemu backend, not ssh")

    def heal(self, node: str, action: str) -> None:
        """Refused, as :meth:`fault`."""
        raise ValueError(f"fault {action!r} needs the docker or qemu backend, not ssh")

    def fingerprint(self) -> dict[str, object]:
        """Nothing beyond the probes of the machines."""
        return {}

    def status_lines(self) -> list[str]:
        """Nothing beyond the table of machines."""
        return []

    def recorded_tools_dir(self) -> Path | None:
        """No lab records a ``--tools-dir`` for these machines."""
        return None


def _docker_lab_inventory_text(lab_name: str, key: str, known_hosts: str) -> str:
    """The ``[[host]]`` tables reaching the docker lab's nodes, naming the client key and
    the known-hosts file as *key* and *known_hosts*."""
    from .. import state
    from .docker import NODE_NAMES

    recorded = state.read_record(lab_name).get("nodes") or {}
    names = list(recorded) or list(NODE_NAMES)
    return "\n".join(
        "[[host]]\n"
        f'name = "{node}"\naddress = "{node}"\nport = 22\nuser = "root"\n'
        f'key = "{key}"\nknown_hosts = "{known_hosts}"\nroles = ["node"]\n'
        f'proxy_command = "docker exec -i {lab_name}-{node} nc %h %p"\n'
        for node in names
    )


def docker_lab_inventory(lab_name: str) -> Path:
    """Write an inventory reaching the docker lab's nodes over their real sshd; return its path.

    The nodes' network is internal and has no address on the build machine, so ssh reaches
    each node's TCP port 22 through ``nc`` run inside the node with ``docker exec`` (a
    ProxyCommand): the build machine gains no route into the lab and the nodes none out.
    """
    from .. import state

    directory = state.lab_dir(lab_name)
    text = _docker_lab_inventory_text(lab_name, state.client_key(lab_name).name, "known_hosts")
    path = directory / "inventory.toml"
    write_atomically(path, text.encode())
    return path


def write_workstation_inventory(lab_name: str, path: Path) -> Path:
    """Write, at *path*, the ``hosts.toml`` of the docker lab's workstation: the inventory
    of :func:`docker_lab_inventory`, naming the key and known-hosts file by absolute path,
    so it works from the directory the tutorial's workstation steps run in.

    It is the lab's answer to the page that has the reader list their machines in
    ``~/hello/hosts.toml``: the same keys, with a ``proxy_command`` as the one part no
    reader's file has (the lab's network has no address on the machine running it).
    """
    from .. import state

    text = _docker_lab_inventory_text(lab_name, str(state.client_key(lab_name)),
                                      str(state.lab_dir(lab_name) / "known_hosts"))
    header = ("# The lab's machines, reached with ssh as yours are; the lab wrote this file\n"
              "# (the tutorial's chapter 3 shows what to put in yours).\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, (header + text).encode())
    return path
