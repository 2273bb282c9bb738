"""Old home of the qemu backend, now :mod:`tools.lab.backends.qemu` (names kept for the
tutorial's tests)."""

from .backends.qemu import NODE_NAMES, QemuLab, reap
from .backends.qemu_vm import MEMORY_MB, QemuLabError

__all__ = ["MEMORY_MB", "NODE_NAMES", "QemuLab", "QemuLabError", "reap"]
