"""The ssh backend: real machines (or any sshd) listed in an inventory file.

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
from collections.abc import Callable
from pathlib import Path

from ...fs import write_atomically
from ...hosts import CommandResult, HostInfo, atomic_write_script
from ..base import LAB_LABEL
from ..inventory import InventoryHost, load_inventory
from ..probe import probe_info, probe_script

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
        hosts = ssh_hosts(load_inventory(self.inventory))
        if "workstation" in hosts:
            raise ValueError(f"{self.inventory}: 'workstation' is reserved for the build machine")
        return hosts

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


def docker_lab_inventory(lab_name: str) -> Path:
    """Write an inventory reaching the docker lab's nodes over their real sshd; return its path.

    The nodes' network is internal and has no address on the build machine, so ssh reaches
    each node's TCP port 22 through ``nc`` run inside the node with ``docker exec`` (a
    ProxyCommand): the build machine gains no route into the lab and the nodes none out.
    """
    from .. import state
    from .docker import NODE_NAMES

    recorded = state.read_record(lab_name).get("nodes") or {}
    names = list(recorded) or list(NODE_NAMES)
    directory = state.lab_dir(lab_name)
    key = state.client_key(lab_name)
    tables = []
    for node in names:
        tables.append(
            "[[host]]\n"
            f'name = "{node}"\naddress = "{node}"\nport = 22\nuser = "root"\n'
            f'key = "{key.name}"\nknown_hosts = "known_hosts"\nroles = ["node"]\n'
            f'proxy_command = "docker exec -i {lab_name}-{node} nc %h %p"\n'
        )
    path = directory / "inventory.toml"
    write_atomically(path, "\n".join(tables).encode())
    return path
