"""deploydocs tools: every step of the tutorial as a function and a command.

Operators copy this package into their own projects. It has no Sphinx
imports; its command line is ``python -m tools`` (see :mod:`tools.cli`).
"""

__version__ = "0.1.0"
