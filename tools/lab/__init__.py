"""The lab: machines to follow (and verify) the tutorial on.

Backends (one module each) provide hosts of :class:`tools.hosts.Host`;
:mod:`tools.lab.base` holds the lab's label and errors. ``python -m tools lab up``
starts the default one. Only :mod:`tools.commands` imports the lab from outside it.
"""
