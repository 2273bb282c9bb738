"""deploydocs tools: every step of the tutorial as a function and a command.

Operators install it as the ``deploydocs-tools`` distribution (import name
``deploydocs_tools``, command ``deploydocs-tools``); in this checkout it is ``tools`` and
``python -m tools``. It has no Sphinx imports; the command line is :mod:`tools.cli`.
"""

__version__ = "0.1.0"
