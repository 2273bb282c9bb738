"""The lab as one object: hosts, persistent sessions, tools, faults.

>>> from tools.lab.lab import open_lab            # doctest: +SKIP
>>> lab = open_lab()                               # doctest: +SKIP
>>> lab.session("node1").run("hostname").stdout    # doctest: +SKIP
'node1\\n'

Backends (:mod:`tools.lab.backends`, by name in its registry): ``docker``
(default), ``qemu`` and ``ssh`` (from an inventory file). Every lab also has the
``workstation`` host (:mod:`tools.lab.workstation`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from ..hosts import Host
from ..probe import REAL_TOOLS
from .backends import BACKENDS, DEFAULT_BACKEND, Backend, LabOptions, open_backend
from .base import LAB_LABEL
from .fault_actions import POWER_AND_CABLE, FaultAction, parse_fault
from .session import Session
from .workstation import Workstation, scratch_dir

__all__ = ["BACKENDS", "WORKSTATION_INVENTORY", "Lab", "open_lab"]

WORKSTATION_INVENTORY = "hello/hosts.toml"
"""Where, below the workstation's home, the docker lab writes the inventory of its nodes:
the project directory every machine-touching workstation step of the tutorial runs in."""


class Lab:
    """Hosts of one lab and the sessions opened on them."""

    def __init__(self, backend: str, hosts: dict[str, Host], nodes: list[str],
                 provider: Backend | None = None) -> None:
        self.backend = backend
        """The backend's name (:data:`~tools.lab.backends.BACKENDS`)."""
        self.hosts = hosts
        self.nodes = nodes
        self.provider = provider
        """The backend that runs the nodes (None: hosts given as they are, with no faults)."""
        self.name = provider.name if provider is not None else LAB_LABEL
        """The lab's name."""
        self._sessions: dict[tuple[str, str], Session] = {}

    def _host(self, host: str) -> Host:
        try:
            return self.hosts[host]
        except KeyError:
            known = ", ".join(self.hosts)
            raise KeyError(f"no host {host!r} in the lab (hosts: {known})") from None

    def session(self, host: str, name: str = "default") -> Session:
        """The persistent session *name* on *host* (started on first use, then reused)."""
        key = (host, name)
        if key not in self._sessions:
            self._sessions[key] = Session(self._host(host), name)
        return self._sessions[key]

    def tools(self, host: str) -> dict[str, str]:
        """Real tools present on *host* now → version (absent tools are not listed).

        Asked afresh at every call: the tutorial's own blocks install the tools, so what a
        host has changes during a run (callers keep what they asked as long as it holds).
        """
        return dict(self._host(host).info().tools)

    def absent_tools(self, host: str) -> list[str]:
        """Real tools the tutorial uses that *host* lacks."""
        present = self.tools(host)
        return [tool for tool in REAL_TOOLS if tool not in present]

    def is_running(self, node: str) -> bool:
        """Whether *node* is powered on (False after a ``stop`` fault or ``lab stop``).

        The ssh backend cannot tell: its machines count as running.
        """
        self._host(node)
        if node not in self.nodes:
            raise ValueError(f"{node!r} is not a node of the lab (nodes: {', '.join(self.nodes)})")
        return self.provider is None or self.provider.node_running(node)

    def fingerprint(self) -> dict[str, object]:
        """What a verification starts from: backend, each node's OS and machine id, the
        workstation's real tools (version and SHA-256 of each binary: what the pages copy
        to the nodes), and the images.

        The nodes' own tools are left out: the pages install them, so they tell where a
        run got to, not what it ran against (:meth:`observed` records them at the end).
        The machine id is made when a node first boots: it tells a recreated lab from the
        one a cached result came from, although OS and image are alike.
        """
        nodes: dict[str, object] = {}
        for name in self.nodes:
            if not self.is_running(name):
                nodes[name] = {"state": "down"}
                continue
            info = self._host(name).info()
            nodes[name] = {"os": info.os, "machine_id": info.machine_id}
        result: dict[str, object] = {"backend": self.backend, "nodes": nodes}
        if "workstation" in self.hosts:
            station = self.hosts["workstation"].info()
            result["workstation"] = {"os": station.os, "tools": dict(station.tools),
                                     "sha256": dict(station.sha256)}
        if self.provider is not None:
            result.update(self.provider.fingerprint())
        return result

    def observed(self) -> dict[str, object]:
        """The real tools each running node has now, with the SHA-256 of each binary: what
        a run's blocks installed and ran, recorded when the run ends."""
        seen: dict[str, object] = {}
        for name in self.nodes:
            if not self.is_running(name):
                continue
            try:
                info = self._host(name).info()
            except Exception:  # a node cut off answers nothing; the others still count
                continue
            seen[name] = {"tools": dict(info.tools), "sha256": dict(info.sha256)}
        return seen

    def fault(self, host: str, action: str) -> None:
        """Break *host*: ``stop``, ``isolate`` or ``kill:<pgrep -f pattern>``."""
        self._fault_or_heal(host, action, heal=False)

    def heal(self, host: str, action: str) -> None:
        """Undo :meth:`fault` for the same action (idempotent; waits for the host to answer)."""
        self._fault_or_heal(host, action, heal=True)

    def _fault_or_heal(self, host: str, action: str, *, heal: bool) -> None:
        self._host(host)
        if host not in self.nodes:
            raise ValueError(f"faults apply to nodes only, not {host!r}")
        fault = parse_fault(action)
        # A session on a host that is stopped or cut off is dead: drop it, start afresh later.
        if fault.action in POWER_AND_CABLE:
            for key in [k for k in self._sessions if k[0] == host]:
                self._sessions.pop(key).close()
        if fault.action is FaultAction.KILL:
            if not heal:
                # The pattern travels base64-encoded, so that the shells running pkill do
                # not carry it in their own command lines (pkill -f would match them).
                encoded = base64.b64encode(fault.pattern.encode()).decode()
                result = self._host(host).run(
                    f'pkill -f -- "$(echo {encoded} | base64 -d)"; [ $? -le 1 ]', timeout=30)
                if not result.ok:
                    raise RuntimeError(f"{host}: {action} failed: {result.stderr.strip()}")
            return
        if self.provider is None:
            raise ValueError(f"fault {action!r} needs the docker or qemu backend, "
                             f"not {self.backend}")
        (self.provider.heal if heal else self.provider.fault)(host, fault.action)

    def close(self, force: bool = False) -> None:
        """Close every session (the lab itself stays up); with *force*, without asking the
        hosts to end the sessions' commands (:meth:`tools.lab.session.Session.close`)."""
        for session in self._sessions.values():
            session.close(force=force)
        self._sessions.clear()
        for host in self.hosts.values():
            closer = getattr(host, "close", None)
            if callable(closer):
                closer()


def open_lab(backend: str = DEFAULT_BACKEND, *, inventory: Path | None = None,
             tools_dir: Path | None = None, start: bool = True, name: str = LAB_LABEL,
             with_lithos: bool = True, progress: Callable[[str], None] = print,
             nodes: int | None = None) -> Lab:
    """Open the lab: bring it up (*start*) or attach to it, or read an inventory.

    :param backend: a name of :data:`~tools.lab.backends.BACKENDS` (``docker``, ``qemu``,
        ``ssh``).
    :param inventory: the ssh backend's TOML inventory.
    :param tools_dir: a directory of real tool binaries, installed on every docker or qemu
        node, and put on the workstation's PATH (for vagga). When attaching to a lab
        (*start* false) without it, the lab's record gives the one its ``up`` had.
    :param start: run the backend's ``up`` (idempotent); otherwise the lab must already
        be up (a lab with some of its nodes stopped is still up).
    :param name: the lab's name (prefix of its resources), default ``deploydocs.lab``.
    :param nodes: for docker, how many nodes ``up`` makes (default: as many as the lab has,
        else three).
    """
    provider = open_backend(backend, LabOptions(name=name, inventory=inventory, nodes=nodes))
    if start:
        provider.up(tools_dir=tools_dir, with_lithos=with_lithos, progress=progress)
    else:
        provider.check_up()
    hosts: dict[str, Host] = dict(provider.hosts())
    node_names = list(hosts)
    # Each lab has a scratch directory of its own, so two labs' builds never share
    # files; its name and backend are exported to the commands there.
    # The docker lab's workstation reaches the nodes as a reader's does, through the
    # hosts.toml in ~/hello (the directory its steps run in); the others get the lab's name.
    by_inventory = backend == "docker"
    station = Workstation(
        scratch_dir(name), lab_name=name, backend=backend,
        tools_dir=tools_dir or provider.recorded_tools_dir(), inventory=provider.inventory,
        exports_lab=not by_inventory)
    if start:
        station.prepare()
    if by_inventory:
        from .backends.ssh import write_workstation_inventory

        write_workstation_inventory(name, station.scratch / WORKSTATION_INVENTORY)
    hosts["workstation"] = station
    return Lab(backend, hosts, node_names, provider)
