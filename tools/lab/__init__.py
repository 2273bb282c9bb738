"""The lab: machines to follow (and verify) the tutorial on.

Backends (one module each) provide hosts of :class:`tools.hosts.Host`;
:mod:`tools.lab.base` holds the lab's label and errors. ``python -m tools lab up``
starts the default one (:mod:`tools.lab.cli`). Nothing outside the lab imports it:
the command line reaches it by name (the ``lab`` group, and the lab's nodes through
:mod:`tools.lab.targets`), so ``tools/`` without ``lab/`` works on machines of an
inventory.
"""
