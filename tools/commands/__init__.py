"""One module of click commands per tool or concern; :mod:`tools.cli` assembles them.

Each module exposes ``cli``: a click command or group. Commands only parse
arguments, call functions of :mod:`tools`, and print
(:mod:`tools.commands.report` prints problems the same way for all).
"""
