"""Machines reached with OpenSSH: :class:`SshHost`, one host of an ssh inventory
(:mod:`tools.inventory`).

Transport is the OpenSSH client with connection sharing (``ControlMaster``
/ ``ControlPersist``), so after the first command each one costs a round
trip over an open connection. Host keys are checked strictly
(``StrictHostKeyChecking=yes``) against the inventory's ``known_hosts`` or
``host_key``, and nothing from the user's own ssh setup is used: no
``~/.ssh/config``, no agent, no user known_hosts, only the inventory's key.

The control socket's directory is derived from everything that decides
trust (address, port, user, key, known hosts, proxy): a changed inventory
never reuses a connection that was verified against other keys.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

from .fs import write_atomically
from .hosts import CommandResult, HostInfo, atomic_write_script
from .inventory import InventoryHost, load_inventory
from .probe import probe_info, probe_script

RESERVED_NAME = "workstation"
"""The name no inventory host may have: it means the machine the commands run from."""

CONTROL_PERSIST = "120s"


def _control_root() -> Path:
    """A short per-user directory for control sockets (socket paths are limited to ~100 bytes)."""
    root = Path(tempfile.gettempdir()) / f"deploydocs.lab-ssh-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


class SshHost:
    """One inventory machine, reached with OpenSSH."""

    def __init__(self, entry: InventoryHost) -> None:
        self.entry = entry
        self.name = entry.name
        self._known_hosts = self._known_hosts_file()
        trust = "\0".join([
            entry.address, str(entry.port), entry.user, str(entry.key),
            self._known_hosts.read_text(), entry.proxy_command or "",
        ])
        self._control_dir = _control_root() / hashlib.sha256(trust.encode()).hexdigest()[:16]
        self._control_dir.mkdir(mode=0o700, exist_ok=True)

    def _known_hosts_file(self) -> Path:
        """The inventory's known_hosts, or one written from its ``host_key``."""
        if self.entry.known_hosts is not None:
            return self.entry.known_hosts
        assert self.entry.host_key is not None
        host = (self.entry.address if self.entry.port == 22
                else f"[{self.entry.address}]:{self.entry.port}")
        digest = hashlib.sha256(f"{host} {self.entry.host_key}".encode()).hexdigest()[:16]
        path = _control_root() / f"known_hosts-{digest}"
        write_atomically(path, f"{host} {self.entry.host_key}\n".encode(), 0o600)
        return path

    def ssh_options(self) -> list[str]:
        """The ssh client options (without the destination)."""
        options = {
            "BatchMode": "yes",
            "IdentitiesOnly": "yes",
            "IdentityAgent": "none",
            "StrictHostKeyChecking": "yes",
            "UserKnownHostsFile": str(self._known_hosts),
            "GlobalKnownHostsFile": "/dev/null",
            "UpdateHostKeys": "no",
            "ControlMaster": "auto",
            "ControlPath": str(self._control_dir / "%C"),
            "ControlPersist": CONTROL_PERSIST,
            "ConnectTimeout": "15",
            "ServerAliveInterval": "15",
            "LogLevel": "ERROR",
        }
        if self.entry.proxy_command:
            options["ProxyCommand"] = self.entry.proxy_command
        argv = ["-F", "/dev/null", "-i", str(self.entry.key), "-p", str(self.entry.port)]
        for key, value in options.items():
            argv += ["-o", f"{key}={value}"]
        return argv

    @property
    def destination(self) -> str:
        """``user@address``."""
        return f"{self.entry.user}@{self.entry.address}"

    def _ssh(self, remote: str) -> list[str]:
        return ["ssh", *self.ssh_options(), "-T", self.destination, remote]

    def run(self, command: str, timeout: float | None = None, stdin: bytes | None = None
            ) -> CommandResult:
        """Run *command* with ``bash -c`` on the machine (exit 255: ssh itself failed)."""
        remote = f"bash -c {shlex.quote(command)}"
        if timeout is not None:
            remote = f"timeout -k 5 {timeout:g} {remote}"
        started = time.monotonic()
        try:
            proc = subprocess.run(
                self._ssh(remote), input=stdin if stdin is not None else b"",
                capture_output=True, timeout=None if timeout is None else timeout + 30,
            )
        except subprocess.TimeoutExpired as err:
            return CommandResult(command, 124, (err.stdout or b"").decode("utf-8", "replace"),
                                 (err.stderr or b"").decode("utf-8", "replace"),
                                 time.monotonic() - started, True)
        code = proc.returncode
        return CommandResult(
            command, code, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"), time.monotonic() - started,
            timeout is not None and code == 124,
        )

    def shell_argv(self) -> list[str]:
        """ssh running a bash that leads its own process group on the machine."""
        return self._ssh("setsid -w bash --noprofile --norc")

    def login_argv(self) -> list[str]:
        """An interactive login shell on the machine, on this terminal."""
        return ["ssh", *self.ssh_options(), "-t", self.destination]

    def rsync_target(self, path: str) -> tuple[str, str]:
        """``(rsh, destination)`` for rsync over the same ssh options."""
        return shlex.join(["ssh", *self.ssh_options()]), f"{self.destination}:{path}"

    def put_file(self, path: str, data: bytes, owner: str = "root:root", mode: int = 0o644) -> None:
        """Write *data* to *path*: a temp file in the same directory, then rename."""
        script = atomic_write_script(path, owner, mode)
        result = self.run(script, stdin=data)
        if not result.ok:
            raise OSError(f"{self.name}: writing {path} failed: {result.stderr.strip()}")

    def info(self) -> HostInfo:
        """Address, machine id, OS and real tools of the machine."""
        return probe_info(self.name, self.entry.address,
                          self.run(probe_script(), timeout=60).stdout)

    def close(self) -> None:
        """Stop the shared connection (if one is open)."""
        subprocess.run(["ssh", *self.ssh_options(), "-O", "exit", self.destination],
                       capture_output=True)


def ssh_hosts(entries: list[InventoryHost]) -> dict[str, SshHost]:
    """Hosts for the inventory's entries, by name."""
    return {entry.name: SshHost(entry) for entry in entries}


def inventory_hosts(inventory: Path) -> dict[str, SshHost]:
    """The machines of the inventory file *inventory*, by name, in its order.

    Raises :class:`~tools.inventory.InventoryError` for an invalid inventory and
    :class:`ValueError` for a host named :data:`RESERVED_NAME`.
    """
    hosts = ssh_hosts(load_inventory(inventory))
    if RESERVED_NAME in hosts:
        raise ValueError(f"{inventory}: {RESERVED_NAME!r} is reserved for the build machine")
    return hosts
