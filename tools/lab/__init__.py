"""The lab: machines to follow (and verify) the tutorial on.

Backends (one module each) provide hosts; :mod:`tools.lab.base` is the
protocol they share. ``python -m tools lab up`` starts the default one.
"""
