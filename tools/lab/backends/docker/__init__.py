"""The docker backend: the lab's nodes as containers, and everything they are made of.

* :mod:`.lab`: the backend itself (:class:`~.lab.DockerLab`, each node a
  :class:`~.lab.DockerHost`): the containers on the lab's internal network, their
  lifecycle and faults;
* :mod:`.image`: the bare Debian image every node boots, built locally and cached;
* :mod:`.mirror`: the package mirror container beside the nodes, and the files it serves;
* :mod:`.reap`: finding and removing labelled leftovers of a failed or killed run.

Only this package imports the ``docker`` library, and the rest of the lab imports this
package only inside the functions that deal with a docker lab (the registry,
:mod:`tools.lab.backends`, when one is opened or reaped), so ``tools/`` works without it.
"""

from __future__ import annotations

from .lab import (
    NODE_NAMES,
    NODE_SECURITY,
    DockerHost,
    DockerLab,
    connect,
    network_name,
    node_names,
)

__all__ = [
    "NODE_NAMES",
    "NODE_SECURITY",
    "DockerHost",
    "DockerLab",
    "connect",
    "network_name",
    "node_names",
]
