"""Machines that do not answer, for the tests of what commands do then.

:func:`write_unreachable_inventory` writes an ssh inventory (the format of
:mod:`tools.inventory`) whose hosts refuse or cannot be found: ``node1`` at
127.0.0.1 on a port nothing listens on, ``node2`` at a name under ``.invalid``,
which never resolves. ssh fails on both at once, without a timeout.
"""

from __future__ import annotations

import socket
from pathlib import Path

UNRESOLVABLE = "node2.deploydocs.invalid"
"""A host name that cannot resolve (RFC 2606 reserves ``.invalid``)."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (one that was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_unreachable_inventory(directory: Path, name: str = "inventory.toml") -> Path:
    """Write the inventory (and the key file it names) into *directory*; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "key").write_text("not a key: no connection gets far enough to read it\n")
    host_key = 'host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUnusedTestKey"\n'
    path = directory / name
    path.write_text(
        "[[host]]\n"
        f'name = "node1"\naddress = "127.0.0.1"\nport = {free_port()}\nuser = "root"\n'
        f'key = "key"\n{host_key}\n'
        "[[host]]\n"
        f'name = "node2"\naddress = "{UNRESOLVABLE}"\nuser = "root"\nkey = "key"\n{host_key}')
    return path
