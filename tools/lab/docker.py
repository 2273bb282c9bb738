"""Old home of the docker backend, now :mod:`tools.lab.backends.docker` (names kept for
the Sphinx extension's tests)."""

from .backends.docker import NODE_NAMES, DockerHost, DockerLab, connect, node_names

__all__ = ["NODE_NAMES", "DockerHost", "DockerLab", "connect", "node_names"]
