"""The lab: machines to follow (and verify) the tutorial on.

Backends (:mod:`tools.lab.backends`: a package each for docker and qemu, with their
images and reaping, and a module for ssh) provide hosts of :class:`tools.hosts.Host`;
:mod:`tools.lab.base` holds the lab's label and errors, :mod:`tools.lab.provision` what
the docker and qemu images share. ``python -m tools lab up`` starts the default
backend (:mod:`tools.lab.cli`). Nothing outside the lab imports the lab:
the command line reaches it by name (the ``lab`` group, and the lab's nodes through
:mod:`tools.lab.targets`), so ``tools/`` without ``lab/`` works on machines of an
inventory.
"""
