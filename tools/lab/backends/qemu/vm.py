"""The qemu VMs as processes: their command line, finding them in ``/proc``, ending them.

Every VM's ``-name`` is ``<lab name>-qemu-<node>`` (so it carries
``deploydocs.lab``): :func:`lab_vms` finds the VMs of every lab by scanning
``/proc`` for qemu processes with that marker, and :func:`kill_vm` ends one
with its process group. :func:`detect_accel` decides between KVM and TCG.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ....fs import pid_alive, write_atomically
from ...base import LAB_LABEL, LabError
from .image import CACHE_ROOT, BaseImage

QEMU = "qemu-system-x86_64"
MEMORY_MB = 1024
"""Memory per VM: three of them share the build machine with everything else. The
tutorial's app (about 70 MiB under lithos) runs while ``images push`` rsyncs the next
270 MB image, whose receiving rsync alone was seen at 250 MiB."""
LAB_SUBNET = "10.213.1"

NAME_RE = re.compile(rf"^({re.escape(LAB_LABEL)}[A-Za-z0-9_.-]*)-qemu-(node[0-9]+)$")
"""``-name`` of a lab VM: ``<lab name>-qemu-<node>``."""


class QemuLabError(LabError):
    """The qemu lab could not be brought up, reached or taken down."""


@dataclass(frozen=True)
class VmSpec:
    """How one VM of the lab is started."""

    node: str
    index: int
    ssh_port: int

    @property
    def address(self) -> str:
        """The VM's address on the lab network."""
        return f"{LAB_SUBNET}.{10 + self.index}"

    @property
    def lab_mac(self) -> str:
        """MAC address of the VM's lab network card."""
        return f"52:54:00:dd:01:{self.index:02x}"

    @property
    def control_mac(self) -> str:
        """MAC address of the VM's control (ssh) network card."""
        return f"52:54:00:dd:02:{self.index:02x}"


def vm_name(lab_name: str, node: str) -> str:
    """The qemu ``-name`` of *node* of lab *lab_name* (the marker
    :func:`tools.lab.backends.qemu.lab.reap` looks for).

    >>> vm_name("deploydocs.lab", "node1")
    'deploydocs.lab-qemu-node1'
    """
    return f"{lab_name}-qemu-{node}"


def multicast_group(lab_name: str) -> tuple[str, int]:
    """The lab network's multicast group and port, derived from the lab name."""
    digest = hashlib.sha256(lab_name.encode()).digest()
    return f"230.213.{digest[0]}.{1 + digest[1] % 254}", 20000 + int.from_bytes(digest[2:4]) % 20000


def qemu_argv(lab_name: str, spec: VmSpec, image: BaseImage, vm_dir: Path, accel: str) -> list[str]:
    """The command line of one VM."""
    group, port = multicast_group(lab_name)
    name = vm_name(lab_name, spec.node)
    append = " ".join([
        "root=/dev/vda", "rw", "console=ttyS0", "panic=-1", "net.ifnames=0",
        f"systemd.hostname={spec.node}", "systemd.show_status=false",
        # cgroup v1, as lithos 0.18 expects (its "name" controller is a v1 named hierarchy)
        "systemd.unified_cgroup_hierarchy=0",
    ])
    return [
        QEMU, "-name", f"{name},process={name}",
        "-machine", "q35", "-accel", accel, "-cpu", "qemu64" if accel == "kvm" else "max",
        "-smp", "1", "-m", str(MEMORY_MB),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", append,
        "-drive", f"file={vm_dir / f'{spec.node}.qcow2'},if=virtio,format=qcow2,cache=unsafe",
        "-drive", f"file={vm_dir / f'{spec.node}-seed.img'},if=virtio,format=raw,readonly=on",
        "-netdev", (f"user,id=control,restrict=on,net=10.0.2.0/24,"
                    f"hostfwd=tcp:127.0.0.1:{spec.ssh_port}-:22"),
        "-device", f"virtio-net-pci,netdev=control,mac={spec.control_mac}",
        "-netdev", f"socket,id=lab,mcast={group}:{port},localaddr=127.0.0.1",
        "-device", f"virtio-net-pci,netdev=lab,id=labnic,mac={spec.lab_mac}",
        "-device", "virtio-rng-pci",
        "-serial", f"file:{vm_dir / f'{spec.node}.console.log'}",
        "-qmp", f"unix:{vm_dir / f'{spec.node}.qmp'},server=on,wait=off",
    ]


KVM_PROBE_SECONDS = 30.0
"""How long a KVM guest may take to print the kernel's banner before KVM counts as unusable."""


def detect_accel(kernel: Path, cache_root: Path = CACHE_ROOT) -> tuple[str, str]:
    """``("kvm", why)`` when a KVM guest runs *kernel* on this machine, else ``("tcg", why)``.

    A ``/dev/kvm`` that opens is not enough: on some nested hosts a KVM
    guest starts but never leaves real mode. The probe boots *kernel* (no
    disk, so it panics and qemu exits) with ``-accel kvm`` and waits, with a
    deadline, for the kernel's ``Linux version`` banner on the serial port.
    The verdict is cached per host kernel, qemu binary and guest kernel.
    """
    if not os.path.exists("/dev/kvm"):
        return "tcg", "/dev/kvm does not exist"
    qemu = shutil.which(QEMU)
    if qemu is None:
        raise QemuLabError(f"{QEMU} is missing: apt-get install qemu-system-x86")
    qemu_stat = os.stat(qemu)
    key = hashlib.sha256(json.dumps([
        os.uname().release, qemu, qemu_stat.st_size, qemu_stat.st_mtime_ns,
        str(kernel), os.stat(kernel).st_size,
    ]).encode()).hexdigest()[:16]
    cache = cache_root / f"accel-{key}.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        verdict = json.loads(cache.read_text())
        return str(verdict["accel"]), str(verdict["reason"]) + " (cached probe)"
    accel, reason = _probe_kvm(kernel)
    with contextlib.suppress(OSError):
        write_atomically(cache, json.dumps({"accel": accel, "reason": reason}).encode())
    return accel, reason


def _probe_kvm(kernel: Path) -> tuple[str, str]:
    import selectors

    argv = [QEMU, "-accel", "kvm", "-machine", "q35", "-cpu", "qemu64", "-m", "256",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1", "-serial", "stdio"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None
    output = b""
    deadline = time.monotonic() + KVM_PROBE_SECONDS
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while b"Linux version" not in output and time.monotonic() < deadline:
                if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    output += chunk
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    if b"Linux version" in output:
        return "kvm", "a KVM guest booted the kernel"
    text = output.decode("utf-8", "replace").strip().splitlines()
    last = next((line for line in reversed(text) if "warning" not in line), "no output")
    return "tcg", (f"KVM unusable: the guest printed no kernel banner within "
                   f"{KVM_PROBE_SECONDS:g} s (last output: {last.strip()[:100]})")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- processes ------------------------------------------------------------------------------


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0")[:-1]]


def vm_marker(pid: int) -> str | None:
    """The ``-name`` of *pid* if it is a qemu VM of some lab, else None."""
    argv = _cmdline(pid)
    if not argv or not os.path.basename(argv[0]).startswith("qemu-system"):
        return None
    for flag, value in itertools.pairwise(argv):
        if flag == "-name":
            name = value.split(",", 1)[0]
            return name if NAME_RE.match(name) else None
    return None


def lab_vms() -> dict[int, tuple[str, str]]:
    """Every live lab VM on the machine: pid → ``(lab name, node)`` (from ``/proc``)."""
    found: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        name = vm_marker(int(entry.name))
        if name is not None and pid_alive(int(entry.name)):
            match = NAME_RE.match(name)
            assert match is not None
            found[int(entry.name)] = (match.group(1), match.group(2))
    return found


def kill_vm(pid: int, grace: float = 5.0) -> None:
    """Stop the VM *pid*: SIGTERM to its process group, SIGKILL after *grace* seconds.

    Only a process that leads its own group has the group signalled; the
    function polls until the process is gone (or a zombie of ours, which is reaped).
    """
    def signal_it(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)

    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 30.0)):
        if not pid_alive(pid):
            break
        signal_it(signum)
        deadline = time.monotonic() + wait
        while pid_alive(pid) and time.monotonic() < deadline:
            threading.Event().wait(0.05)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    if pid_alive(pid):
        raise QemuLabError(f"qemu process {pid} did not stop after SIGKILL")

