"""The qemu backend: three Debian VMs with their own kernel, init and cgroups.

``lab up --backend qemu`` boots node1..node3 from the cached base image
(:mod:`tools.lab.backends.qemu.image`), each from its own copy-on-write qcow2
overlay plus a seed disk, as background ``qemu-system-x86_64`` processes,
each leading its own process group. Everything of a lab lives in
``<state dir of the lab>/qemu/`` (e.g. ``/var/lib/deploydocs.lab/state/deploydocs.lab/qemu``):
overlays, seed disks, pid files, logs, QMP sockets, the VMs' host keys, the
``known_hosts`` and an ssh inventory, and ``qemu.json``, the record of the
last *complete* ``up``.

Networks (nothing leaves the build machine's loopback):

* the **lab network**: a qemu ``socket`` netdev on a multicast group bound
  to 127.0.0.1, shared by the three VMs only; static addresses
  ``10.213.1.11``-``13``, and every VM's ``/etc/hosts`` names node1..3;
* the **control network**: one user-mode netdev per VM with
  ``restrict=on`` (the VM reaches nothing outside) and one ``hostfwd`` from
  ``127.0.0.1:<port>`` to the VM's sshd. An ssh host
  (:mod:`tools.ssh`) reaches the VMs through it with the lab's own
  client key and strict checking against the host keys generated here and
  installed before the first boot.

KVM is used when ``qemu`` can start a KVM guest on this machine, else TCG
software emulation; the record and ``lab status`` say which.

Every VM's ``-name`` is ``<lab name>-qemu-<node>`` (so it carries
``deploydocs.lab``): :func:`reap` finds the VMs of a killed run from the
pid files and by scanning ``/proc`` for qemu processes with that marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from ....fs import lock_holder, pid_alive, pid_lock, write_atomically
from ....inventory import InventoryHost
from ....ssh import SshHost
from ... import state
from ...base import LAB_LABEL
from ...fault_actions import FaultAction
from ...provision import find_lithos
from ...record import QemuRecord
from .image import (
    CACHE_ROOT,
    BaseImage,
    QemuImageError,
    ensure_base_image,
    make_seed_disk,
)
from .vm import (
    MEMORY_MB,
    QemuLabError,
    VmSpec,
    detect_accel,
    free_port,
    kill_vm,
    lab_vms,
    qemu_argv,
    vm_marker,
    vm_name,
)

Progress = Callable[[str], None]

NODE_NAMES = ("node1", "node2", "node3")
BOOT_TIMEOUT = {"kvm": 180.0, "tcg": 900.0}
"""Seconds from starting the VMs until all three answer over ssh."""
POWERDOWN_SECONDS = 90.0
"""How long a stopped VM may take to shut down cleanly before qemu is ended."""
CONTROL_ADDRESS = "10.0.2.15"
"""The VM's address on its user-mode network (qemu's default guest address)."""
TOOLS_PACKAGE = Path(__file__).resolve().parents[3]
"""The ``tools/`` package installed on every VM."""


# -- the lab --------------------------------------------------------------------------------


class QemuLab:
    """The VMs of one lab: files in ``<lab state dir>/qemu``, processes named by the lab
    (the ``qemu`` backend)."""

    kind = "qemu"
    inventory: Path | None = None

    def __init__(self, name: str = LAB_LABEL, cache_root: Path = CACHE_ROOT) -> None:
        self.name = state.validate_lab_name(name)
        self.cache_root = cache_root

    @property
    def directory(self) -> Path:
        """The lab's qemu state directory (created on use)."""
        path = state.lab_dir(self.name) / "qemu"
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    @property
    def record_path(self) -> Path:
        """``qemu.json``: the record of the last complete ``up``."""
        return self.directory / "qemu.json"

    def record(self) -> QemuRecord:
        """The record of the last complete ``up`` (empty when there is none)."""
        try:
            data = json.loads(self.record_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return cast(QemuRecord, data) if isinstance(data, dict) else {}

    # -- up -------------------------------------------------------------------------------

    def is_up(self) -> bool:
        """Whether the lab is there: its record lists its VMs and at least one of them runs.

        A VM that is stopped (the ``stop`` fault, ``lab stop``) leaves the lab up: the
        others still work, and ``lab start`` boots it again from its overlay.
        """
        nodes = self.record().get("nodes") or {}
        if set(nodes) != set(NODE_NAMES):
            return False
        return bool(self._running_nodes())

    def check_up(self) -> None:
        """Raise :class:`tools.lab.backends.qemu.vm.QemuLabError` saying how to bring the
        lab up, unless it is up."""
        if not self.is_up():
            raise QemuLabError(f"lab {self.name!r} (qemu) is not up: run "
                               "`python -m tools lab up --backend qemu`")

    def recorded_tools_dir(self) -> Path | None:
        """The ``--tools-dir`` of the lab's last complete ``up``."""
        return state.recorded_tools_dir(self.record())

    def node_running(self, node: str) -> bool:
        """Whether *node*'s VM (the qemu process the record names) runs."""
        return node in self._running_nodes()

    def _running_nodes(self) -> set[str]:
        nodes = self.record().get("nodes") or {}
        running = lab_vms()
        return {node for node, info in nodes.items()
                if running.get(int(info["pid"])) == (self.name, node)}

    def _check_node(self, node: str) -> None:
        if node not in NODE_NAMES:
            raise QemuLabError(f"lab {self.name!r} (qemu) has no node {node!r} "
                               f"(nodes: {', '.join(NODE_NAMES)})")
        if set(self.record().get("nodes") or {}) != set(NODE_NAMES):
            raise QemuLabError(f"lab {self.name!r} (qemu) is not up: run "
                               "`python -m tools lab up --backend qemu`")

    def up(self, *, tools_dir: Path | None = None, with_lithos: bool = True,
           progress: Progress = print, boot_timeout: float | None = None) -> QemuRecord:
        """Build what is missing and boot node1..node3; return the record (idempotent).

        On any failure or interrupt, the VMs and files of this run are removed.
        """
        tools = state.tools_dir_entry(tools_dir)
        with _up_lock(self.directory):
            if self.is_up():
                for node in NODE_NAMES:
                    if not self.node_running(node):
                        progress(f"{node} is stopped: booting it again")
                        self.heal(node, FaultAction.STOP)
                progress(f"lab {self.name} (qemu) is already up")
                return self.record()
            for item in self._remove_everything():
                progress(f"removed leftover {item}")
            started = time.monotonic()
            image, built = ensure_base_image(self.cache_root, progress)
            timings = {"image": round(time.monotonic() - started, 1)}
            accel, accel_why = detect_accel(image.kernel, self.cache_root)
            progress(f"acceleration: {accel} ({accel_why})")
            lithos = find_lithos(progress)[1] if with_lithos else {"absent": "not requested"}
            payload, extra = self._payload(lithos.get("bin_dir"), tools_dir)
            key = state.client_key(self.name)
            procs: list[subprocess.Popen[bytes]] = []
            try:
                specs = self._prepare_vms(image, payload, key, progress)
                boot_started = time.monotonic()
                progress(f"starting {len(specs)} VMs ({accel}, {MEMORY_MB} MiB, 1 vCPU each)")
                for spec in specs:
                    procs.append(self._start_vm(spec, image, accel))
                hosts = self.hosts(specs)
                deadline = boot_started + (boot_timeout or BOOT_TIMEOUT[accel])
                self._wait_for_ssh(hosts, procs, specs, deadline, progress)
                timings["boot_to_ssh"] = round(time.monotonic() - boot_started, 1)
                record: QemuRecord = {
                    "backend": "qemu",
                    "name": self.name,
                    "accel": accel,
                    "accel_reason": accel_why,
                    "image": {"directory": str(image.directory), "hash": image.recipe_hash,
                              "tag": f"qemu base {image.recipe_hash}", "built": built,
                              "kernel": (image.directory / "kernel-version").read_text().strip()},
                    "lithos": lithos,
                    "extra_tools": extra,
                    "tools_dir": tools,
                    "memory_mb": MEMORY_MB,
                    "timings": timings,
                    "nodes": {
                        spec.node: {"pid": proc.pid, "ssh_port": spec.ssh_port,
                                    "address": spec.address}
                        for spec, proc in zip(specs, procs, strict=True)
                    },
                }
                text = json.dumps(record, indent=2, sort_keys=True) + "\n"
                write_atomically(self.record_path, text.encode())
                return record
            except BaseException:
                for proc in procs:
                    with contextlib.suppress(QemuLabError):
                        kill_vm(proc.pid)
                    proc.wait()
                self._remove_everything()
                raise
            finally:
                shutil.rmtree(payload, ignore_errors=True)

    def _payload(self, lithos_bin: str | None, tools_dir: Path | None
                 ) -> tuple[Path, list[str]]:
        """A tree with what every VM gets: ``tools/``, lithos, ``--tools-dir`` executables.

        lithos and the ``--tools-dir`` executables go to ``/usr/bin``, where the tutorial
        tells its reader to copy them and where its systemd units look for them
        (``ExecStart=/usr/bin/lithos_tree``, ``/usr/bin/cantal-agent``,
        ``/usr/bin/verwalter``); a ``--tools-dir`` executable replaces a lithos one of the
        same name.
        """
        payload = Path(tempfile.mkdtemp(prefix="deploydocs.lab-payload-"))
        payload.chmod(0o755)
        extra: list[str] = []
        sources = [(Path(lithos_bin), payload / "usr" / "bin", False)] if lithos_bin else []
        if tools_dir is not None:
            sources.append((Path(tools_dir), payload / "usr" / "bin", True))
        for directory, bins, is_extra in sources:
            bins.mkdir(parents=True, exist_ok=True)
            for item in sorted(directory.iterdir()):
                if item.is_file() and os.access(item, os.X_OK):
                    shutil.copy2(item, bins / item.name)
                    if is_extra:
                        extra.append(item.name)
        shutil.copytree(TOOLS_PACKAGE, payload / "opt" / "deploydocs" / "tools",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        pth = payload / "usr" / "lib" / "python3" / "dist-packages" / "deploydocs.pth"
        pth.parent.mkdir(parents=True)
        pth.write_text("/opt/deploydocs\n")
        for directory in payload.rglob("*"):
            if directory.is_dir():
                directory.chmod(0o755)
        return payload, extra

    def _prepare_vms(self, image: BaseImage, payload: Path, client_key: Path,
                     progress: Progress) -> list[VmSpec]:
        """Host keys, seed disks, overlays, known_hosts and inventory for every VM."""
        vm_dir = self.directory
        specs = [VmSpec(node, index, free_port()) for index, node in enumerate(NODE_NAMES, 1)]
        hosts_file = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + "".join(
            f"{spec.address}\t{spec.node}\n" for spec in specs)
        known_hosts = []
        authorized = Path(f"{client_key}.pub").read_bytes()
        progress("seed disks and copy-on-write overlays")
        for spec in specs:
            host_key = vm_dir / f"{spec.node}.host_key"
            host_key.unlink(missing_ok=True)
            Path(f"{host_key}.pub").unlink(missing_ok=True)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            f"{vm_name(self.name, spec.node)}", "-f", str(host_key)],
                           check=True, capture_output=True)
            public = Path(f"{host_key}.pub").read_text().split()
            known_hosts.append(f"[127.0.0.1]:{spec.ssh_port} {public[0]} {public[1]}\n")
            seed_id = f"{self.name}/{spec.node}/{time.time_ns()}"
            with tempfile.TemporaryDirectory(prefix="deploydocs.lab-seedtree-") as tree_dir:
                tree = Path(tree_dir) / "root"
                shutil.copytree(payload, tree, symlinks=True)
                _write(tree / "etc" / "ssh" / "ssh_host_ed25519_key", host_key.read_bytes(), 0o600)
                _write(tree / "etc" / "ssh" / "ssh_host_ed25519_key.pub",
                       Path(f"{host_key}.pub").read_bytes(), 0o644)
                (tree / "root").mkdir(mode=0o700)
                (tree / "root").chmod(0o700)
                (tree / "root" / ".ssh").mkdir(mode=0o700)
                _write(tree / "root" / ".ssh" / "authorized_keys", authorized, 0o600)
                _write(tree / "etc" / "hostname", f"{spec.node}\n".encode(), 0o644)
                _write(tree / "etc" / "hosts", hosts_file.encode(), 0o644)
                network = tree / "etc" / "systemd" / "network"
                _write(network / "10-lab.network", _network_file(
                    spec.lab_mac, f"{spec.address}/24").encode(), 0o644)
                _write(network / "20-control.network", _network_file(
                    spec.control_mac, f"{CONTROL_ADDRESS}/24").encode(), 0o644)
                for directory in (tree / "etc", tree / "etc" / "ssh", network.parent, network):
                    directory.chmod(0o755)
                make_seed_disk(tree, seed_id, vm_dir / f"{spec.node}-seed.img")
            overlay = vm_dir / f"{spec.node}.qcow2"
            overlay.unlink(missing_ok=True)
            _run_checked(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                          "-b", str(image.disk), str(overlay)], "qemu-img create")
        write_atomically(vm_dir / "known_hosts", "".join(known_hosts).encode(), 0o600)
        write_atomically(vm_dir / "inventory.toml", _inventory(specs, client_key).encode(), 0o600)
        return specs

    def _start_vm(self, spec: VmSpec, image: BaseImage, accel: str) -> subprocess.Popen[bytes]:
        """Start one VM in the background, leading its own process group; write its pid file."""
        vm_dir = self.directory
        (vm_dir / f"{spec.node}.console.log").unlink(missing_ok=True)
        with open(vm_dir / f"{spec.node}.qemu.log", "wb") as log:
            proc = subprocess.Popen(
                qemu_argv(self.name, spec, image, vm_dir, accel), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        write_atomically(vm_dir / f"{spec.node}.pid", f"{proc.pid}\n".encode())
        return proc

    def _wait_for_ssh(self, hosts: dict[str, SshHost], procs: list[subprocess.Popen[bytes]],
                      specs: list[VmSpec], deadline: float, progress: Progress) -> None:
        """Poll every VM's sshd until it runs a command, a qemu exits, or *deadline* passes."""
        waiting = {spec.node: proc for spec, proc in zip(specs, procs, strict=True)}
        last_error: dict[str, str] = {}
        pause = threading.Event()
        while waiting:
            for node, proc in list(waiting.items()):
                if proc.poll() is not None:
                    raise QemuLabError(f"{node}: qemu exited with status {proc.returncode}:\n"
                                       + self._log_tail(node))
                result = hosts[node].run("true", timeout=20)
                if result.ok:
                    progress(f"{node} answers over ssh")
                    del waiting[node]
                else:
                    last_error[node] = result.stderr.strip()[-300:]
            if not waiting:
                return
            if time.monotonic() > deadline:
                details = "\n".join(f"{node}: {last_error.get(node, '')}\n{self._log_tail(node)}"
                                    for node in waiting)
                raise QemuLabError(f"no ssh from {', '.join(waiting)} before the deadline:\n"
                                   + details)
            pause.wait(1.0)

    def _log_tail(self, node: str, lines: int = 15) -> str:
        parts = []
        for suffix in ("qemu.log", "console.log"):
            path = self.directory / f"{node}.{suffix}"
            with contextlib.suppress(OSError):
                tail = path.read_text(errors="replace").strip().splitlines()[-lines:]
                parts.append(f"  {path.name}: " + "\n    ".join(tail))
        return "\n".join(parts)

    # -- hosts ------------------------------------------------------------------------------

    def hosts(self, specs: list[VmSpec] | None = None) -> dict[str, SshHost]:
        """The VMs as ssh hosts (strict host key checking against the generated keys)."""
        if specs is None:
            nodes = self.record().get("nodes") or {}
            if set(nodes) != set(NODE_NAMES):
                raise QemuLabError(f"lab {self.name!r} (qemu) is not up: run "
                                   "`python -m tools lab up --backend qemu`")
            specs = [VmSpec(node, index, int(nodes[node]["ssh_port"]))
                     for index, node in enumerate(NODE_NAMES, 1)]
        key = state.client_key(self.name)
        known = self.directory / "known_hosts"
        return {spec.node: SshHost(InventoryHost(
            name=spec.node, address="127.0.0.1", user="root", key=key, port=spec.ssh_port,
            known_hosts=known, roles=("node",))) for spec in specs}

    def fingerprint(self) -> dict[str, object]:
        """What the VMs are: acceleration, base image, kernel, lithos (for verification records)."""
        record = self.record()
        return {"qemu": {key: record.get(key) for key in ("accel", "image", "memory_mb")},
                "lithos": record.get("lithos", {}), "extra_tools": record.get("extra_tools", [])}

    def status_lines(self) -> list[str]:
        """Lines for ``lab status``: acceleration, image, lithos, timings."""
        record = self.record()
        image = record.get("image") or {}
        lithos = record.get("lithos") or {}
        extra = record.get("extra_tools") or []
        timings = record.get("timings") or {}
        nodes = record.get("nodes") or {}
        return [
            f"acceleration: {record.get('accel')} ({record.get('accel_reason')})",
            f"base image: {image.get('directory')} (kernel {image.get('kernel')})",
            "ssh: " + ", ".join(f"{node} 127.0.0.1:{info['ssh_port']}"
                                for node, info in nodes.items()),
            (f"lithos: absent on every node: {lithos['absent']}" if "absent" in lithos
             else f"lithos: from {lithos.get('bin_dir')}"),
            f"--tools-dir executables: {', '.join(extra) if extra else 'none given'}",
            "last up: " + ", ".join(f"{k} {v} s" for k, v in timings.items()),
        ]

    # -- faults -----------------------------------------------------------------------------

    def fault(self, node: str, action: str) -> None:
        """``stop``: shut the VM down; ``isolate``: unplug its lab network link.

        ``stop`` presses the ACPI power button and, if systemd has not powered the VM
        off within :data:`POWERDOWN_SECONDS`, ends qemu (a power cut). Stopping a stopped
        VM does nothing.
        """
        self._check_node(node)
        if action == FaultAction.STOP:
            pid = self._pid(node)
            if pid is not None:
                with contextlib.suppress(OSError, QemuLabError, ValueError):
                    self._qmp(node, {"execute": "system_powerdown"})
                deadline = time.monotonic() + POWERDOWN_SECONDS
                pause = threading.Event()
                while pid_alive(pid) and time.monotonic() < deadline:
                    pause.wait(0.2)
                kill_vm(pid)
        elif action == FaultAction.ISOLATE:
            self._require_running(node)
            self._qmp(node, {"execute": "set_link", "arguments": {"name": "labnic", "up": False}})
        else:
            raise ValueError(f"unknown fault {action!r} for a qemu VM: use stop or isolate")

    def heal(self, node: str, action: str) -> None:
        """Undo :meth:`fault` (idempotent): boot the VM again from its overlay and wait,
        up to :data:`BOOT_TIMEOUT`, until it answers over ssh; or replug its lab link."""
        self._check_node(node)
        if action == FaultAction.STOP:
            if self._pid(node) is None:
                record = self.record()
                nodes = record["nodes"]
                index = NODE_NAMES.index(node) + 1
                spec = VmSpec(node, index, int(nodes[node]["ssh_port"]))
                image = BaseImage(Path(record["image"]["directory"]),
                                  str(record["image"]["hash"]))
                proc = self._start_vm(spec, image, str(record["accel"]))
                nodes[node]["pid"] = proc.pid
                text = json.dumps(record, indent=2, sort_keys=True) + "\n"
                write_atomically(self.record_path, text.encode())
                deadline = time.monotonic() + BOOT_TIMEOUT[str(record["accel"])]
                self._wait_for_ssh(self.hosts([spec]), [proc], [spec], deadline, lambda _: None)
        elif action == FaultAction.ISOLATE:
            self._require_running(node)
            self._qmp(node, {"execute": "set_link", "arguments": {"name": "labnic", "up": True}})
        else:
            raise ValueError(f"unknown fault {action!r} for a qemu VM: use stop or isolate")

    def _require_running(self, node: str) -> None:
        if self._pid(node) is None:
            raise QemuLabError(f"{node} is stopped: start it first with "
                               f"`python -m tools lab start {node} --backend qemu "
                               f"--name {self.name}`")

    def _pid(self, node: str) -> int | None:
        for pid, owner in lab_vms().items():
            if owner == (self.name, node):
                return pid
        return None

    def _qmp(self, node: str, command: dict[str, object]) -> dict[str, object]:
        """Send one QMP command to *node*'s qemu and return its answer."""
        path = str(self.directory / f"{node}.qmp")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(path)
            stream = sock.makefile("rw")
            stream.readline()
            for message in ({"execute": "qmp_capabilities"}, command):
                stream.write(json.dumps(message) + "\n")
                stream.flush()
                while True:
                    answer: dict[str, object] = json.loads(stream.readline())
                    if "event" not in answer:
                        break
                if "error" in answer:
                    raise QemuLabError(f"{node}: QMP {message['execute']}: {answer['error']}")
        return answer

    # -- down -------------------------------------------------------------------------------

    def down(self) -> list[str]:
        """Stop every VM of the lab, remove overlays, seed disks and pid files, and the
        workstation's scratch directory (kept while a docker lab of the same name, which
        shares it, has a record). Return what went."""
        from ...workstation import remove_scratch

        with _up_lock(self.directory):
            removed = self._remove_everything()
        if state.read_record(self.name).get("nodes"):
            return removed
        return removed + remove_scratch(self.name)

    def _remove_everything(self) -> list[str]:
        removed: list[str] = []
        pids = set()
        for pid_file in self.directory.glob("node*.pid"):
            with contextlib.suppress(ValueError, OSError):
                pid = int(pid_file.read_text().strip())
                if vm_marker(pid) == vm_name(self.name, pid_file.stem):
                    pids.add(pid)
        pids.update(pid for pid, (lab, _node) in lab_vms().items() if lab == self.name)
        for pid in sorted(pids):
            name = vm_marker(pid) or str(pid)
            kill_vm(pid)
            removed.append(f"qemu process {pid} ({name})")
        for pattern in ("node*.qcow2", "node*-seed.img", ".node*-seed.img.partial",
                        "node*.pid", "node*.qmp", "node*.host_key*", "known_hosts",
                        "inventory.toml", "qemu.json"):
            for path in self.directory.glob(pattern):
                path.unlink(missing_ok=True)
                if path.suffix in (".qcow2", ".img"):
                    removed.append(f"file {path}")
        return removed


# -- reap -----------------------------------------------------------------------------------


def reap(*, everything: bool = False) -> list[str]:
    """Stop the VMs (and remove the files) of killed or interrupted runs of every lab.

    A VM is a leftover when the record of its lab's last complete ``up`` does
    not list its pid and no live ``up`` of that lab is running; with
    *everything*, every lab VM goes (unless its lab is being brought up).
    """
    labs = {lab for lab, _node in lab_vms().values()}
    root = state.state_root()
    if root.is_dir():
        labs.update(p.parent.name for p in root.glob("*/qemu") if p.is_dir())
    removed: list[str] = []
    for name in sorted(labs):
        try:
            lab = QemuLab(name)
        except ValueError:
            continue
        holder = _lock_holder(lab.directory)
        if holder is not None and holder != os.getpid():
            continue
        if not everything and lab.is_up():
            continue
        removed += lab._remove_everything()
    return removed


def _lock_holder(directory: Path) -> int | None:
    return lock_holder(directory / "up.lock")


def _up_lock(directory: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the lab's qemu ``up`` lock (a pid file; a dead holder's lock is taken over)."""
    def busy(holder: int) -> state.LabBusyError:
        return state.LabBusyError(f"the qemu lab in {directory} is busy (pid {holder})")

    return pid_lock(directory / "up.lock", busy=busy)


# -- helpers --------------------------------------------------------------------------------


def _network_file(mac: str, address: str) -> str:
    return (f"[Match]\nMACAddress={mac}\n\n[Network]\nAddress={address}\n"
            "LinkLocalAddressing=no\nIPv6AcceptRA=no\n")


def _inventory(specs: list[VmSpec], client_key: Path) -> str:
    """An ssh inventory of the VMs (for ``lab status --inventory`` and other tools)."""
    return "\n".join(
        f'[[host]]\nname = "{spec.node}"\naddress = "127.0.0.1"\nport = {spec.ssh_port}\n'
        f'user = "root"\nkey = "{client_key}"\nknown_hosts = "known_hosts"\nroles = ["node"]\n'
        for spec in specs)


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def _run_checked(command: list[str], what: str) -> None:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise QemuLabError(f"{what} failed: {proc.stderr.strip()}")


__all__ = ["NODE_NAMES", "QemuImageError", "QemuLab", "QemuLabError", "detect_accel", "reap"]
