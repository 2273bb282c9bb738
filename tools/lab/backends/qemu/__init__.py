"""The qemu backend: the lab's nodes as Debian VMs with their own kernel, and their disks.

* :mod:`.lab`: the backend itself (:class:`~.lab.QemuLab`): booting, stopping and
  cutting off the VMs, their state directory, and :func:`~.lab.reap` for the VMs and
  files of killed runs;
* :mod:`.vm`: a VM as a process: its ``qemu-system-x86_64`` command line, finding it in
  ``/proc``, ending it, KVM or TCG;
* :mod:`.image`: the cached base disk image every VM boots, and each VM's seed disk.

Nothing here needs the ``docker`` library.
"""

from __future__ import annotations

from .lab import NODE_NAMES, QemuLab, reap
from .vm import MEMORY_MB, QemuLabError, lab_vms

__all__ = [
    "MEMORY_MB",
    "NODE_NAMES",
    "QemuLab",
    "QemuLabError",
    "lab_vms",
    "reap",
]
