"""Old home of the ssh backend, now :mod:`tools.lab.backends.ssh` (names kept for the
Sphinx extension's tests)."""

from .backends.ssh import SshHost, docker_lab_inventory, ssh_hosts

__all__ = ["SshHost", "docker_lab_inventory", "ssh_hosts"]
