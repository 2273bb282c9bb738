"""Parse a directive's text into a :class:`~deploydocs.blocks.Block` (no Sphinx here).

The page syntax is described in ``reference/verification.rst``. Errors are
:class:`BlockSyntaxError` naming the option (``key``) and the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from deploydocs.blocks import Block, Command, Kind, Options

PROMPT = "$ "
CONTINUATION = " \\"
CAPTURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FAULT_ACTION = re.compile(r"^(stop|isolate|kill:.+)$")

OPTION_NAMES: dict[Kind, tuple[str, ...]] = {
    Kind.RUN: ("session", "timeout", "exit", "wait-until", "capture", "requires", "hide",
               "normalize", "unordered", "stand-in", "instead-of", "needs-internet"),
    Kind.FILE: ("hosts", "owner", "mode", "validate", "language", "requires", "hide",
                "stand-in", "instead-of"),
    Kind.CHECK: ("session", "timeout", "wait-until", "requires", "stand-in", "instead-of"),
    Kind.FAULT: ("action", "requires"),
    Kind.HEAL: ("action",),
}
"""Which options each directive accepts."""


class BlockSyntaxError(ValueError):
    """A lab block is written wrongly.

    :param message: what is wrong.
    :param key: the option or part concerned (``timeout``, ``content``...).
    :param lineno: the 1-based source line, when known.
    """

    def __init__(self, message: str, key: str = "", lineno: int | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.lineno = lineno


def parse_hosts(argument: str) -> tuple[str, ...]:
    """Split a host argument (``node1``, ``"node1 node2"``, ``all``) into names.

    >>> parse_hosts("node1 node2")
    ('node1', 'node2')
    """
    names = tuple(argument.replace(",", " ").split())
    if not names:
        raise BlockSyntaxError("a host is required (node1, 'node1 node2', all, workstation)",
                               key="host")
    return names


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""C0 controls (but tab) and DEL: never meant for a shell, often a binary blob pasted in."""


def parse_commands(lines: Sequence[str], line_numbers: Sequence[int]) -> tuple[Command, ...]:
    """Split ``lab-run`` body lines into commands and their expected output.

    A line starting with ``$ `` starts a command; a command line ending in
    `` \\`` continues on the next line; the lines after a command, until the
    next ``$ ``, are its expected output.

    >>> cmds = parse_commands(["$ echo a \\\\", "  b", "a b", "$ true"], [10, 11, 12, 13])
    >>> [(c.text, c.expected, c.lineno) for c in cmds]
    [('echo a \\\\\\n  b', ('a b',), 10), ('true', (), 13)]
    """
    commands: list[Command] = []
    text: list[str] = []
    expected: list[str] = []
    out_lines: list[int] = []
    start = 0
    continuing = False

    def flush() -> None:
        if text:
            while expected and not expected[-1].strip():
                expected.pop()
                out_lines.pop()
            commands.append(Command("\n".join(text), tuple(expected), start, tuple(out_lines)))

    for line, number in zip(lines, line_numbers, strict=True):
        bad = _CONTROL_CHARACTER.search(line)
        if bad:
            raise BlockSyntaxError(
                f"control character {bad.group()!r} in the block: refused, nothing is sent "
                "to a host", key="content", lineno=number)
        if continuing:
            text.append(line)
            continuing = line.endswith(CONTINUATION)
            continue
        if line.startswith(PROMPT) or line == "$":
            flush()
            text, expected, out_lines = [line[len(PROMPT):]], [], []
            start = number
            continuing = line.endswith(CONTINUATION)
        elif not text:
            if line.strip():
                raise BlockSyntaxError(
                    f"expected a command starting with '$ ', found {line!r}",
                    key="content", lineno=number)
        else:
            expected.append(line)
            out_lines.append(number)
    if continuing:
        raise BlockSyntaxError("the last command ends with a continuation ' \\'",
                               key="content", lineno=start)
    flush()
    return tuple(commands)


def _number(key: str, value: str) -> float:
    try:
        result = float(value)
    except ValueError:
        raise BlockSyntaxError(f"{key} must be a number of seconds, not {value!r}",
                               key=key) from None
    if result <= 0:
        raise BlockSyntaxError(f"{key} must be positive, not {value!r}", key=key)
    return result


def parse_options(kind: Kind, raw: Mapping[str, str | None]) -> Options:
    """Check and convert the options of one directive.

    >>> parse_options(Kind.RUN, {"timeout": "5", "exit": "any", "hide": None}).exit is None
    True
    """
    allowed = OPTION_NAMES[kind]
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise BlockSyntaxError(
                f"unknown option {key!r} for {kind.value} (allowed: {', '.join(allowed)})",
                key=key)
        text = (value or "").strip()
        if key == "session":
            if not text or any(c.isspace() for c in text):
                raise BlockSyntaxError("session must be one word", key=key)
            values["session"] = text
        elif key == "timeout":
            values["timeout"] = _number(key, text)
        elif key == "wait-until":
            values["wait_until"] = _number(key, text)
        elif key == "exit":
            if text == "any":
                values["exit"] = None
            elif text.isdigit():
                values["exit"] = int(text)
            else:
                raise BlockSyntaxError(f"exit must be a number or 'any', not {text!r}", key=key)
        elif key == "capture":
            values["captures"] = _captures(text)
        elif key in ("requires", "normalize"):
            values[key] = tuple(text.replace(",", " ").split())
        elif key == "instead-of":
            tools = tuple(text.replace(",", " ").split())
            if not tools:
                raise BlockSyntaxError("instead-of needs the real tool(s) the block stands in "
                                       "for, e.g. verwalter", key=key)
            values["instead_of"] = tools
        elif key == "needs-internet":
            if not text:
                raise BlockSyntaxError("needs-internet needs to say what the block downloads",
                                       key=key)
            values["needs_internet"] = text
        elif key in ("hide", "unordered"):
            values[key] = True
        elif key == "stand-in":
            if not text:
                raise BlockSyntaxError("stand-in needs the name of a tools/ stand-in", key=key)
            values["stand_in"] = text
        elif key == "mode":
            try:
                values["mode"] = int(text, 8)
            except ValueError:
                raise BlockSyntaxError(f"mode must be octal like 0644, not {text!r}",
                                       key=key) from None
        elif key == "action":
            if not FAULT_ACTION.match(text):
                raise BlockSyntaxError(
                    f"action must be stop, isolate or kill:<pattern>, not {text!r}", key=key)
            values["action"] = text
        elif key in ("owner", "validate", "language"):
            values[key] = text
    if "instead_of" in values and "stand_in" not in values:
        raise BlockSyntaxError("instead-of goes with stand-in: only a stand-in block runs "
                               "instead of a real tool", key="instead-of")
    if kind is Kind.FAULT and "action" not in values:
        raise BlockSyntaxError("lab-fault needs :action: (stop, isolate, kill:<pattern>)",
                               key="action")
    if "normalize" in values:
        from deploydocs.normalize import NORMALIZERS

        unknown = [n for n in values["normalize"] if n not in NORMALIZERS]  # type: ignore[union-attr]
        if unknown:
            raise BlockSyntaxError(
                f"unknown normalizer {', '.join(unknown)} (known: {', '.join(NORMALIZERS)})",
                key="normalize")
    return Options(**values)  # type: ignore[arg-type]


def _captures(text: str) -> tuple[tuple[str, str], ...]:
    captures = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, pattern = line.strip().partition("=")
        if not sep or not CAPTURE_NAME.match(name):
            raise BlockSyntaxError(f"capture must be NAME=regex, not {line!r}", key="capture")
        try:
            groups = re.compile(pattern).groups
        except re.error as error:
            raise BlockSyntaxError(f"capture {name}: bad regex: {error}", key="capture") from None
        if groups != 1:
            raise BlockSyntaxError(f"capture {name}: the regex needs exactly one group",
                                   key="capture")
        captures.append((name, pattern))
    return tuple(captures)


def parse_block(
    kind: Kind,
    *,
    docname: str,
    source: str,
    lineno: int,
    argument: str,
    raw_options: Mapping[str, str | None],
    content: Sequence[str],
    content_lines: Sequence[int],
) -> Block:
    """Build a :class:`Block` from what a directive saw; raise :class:`BlockSyntaxError`."""
    options = parse_options(kind, raw_options)
    content = [line.rstrip() for line in content]
    commands: tuple[Command, ...] = ()
    checks: tuple[str, ...] = ()
    if kind is Kind.FILE:
        hosts = parse_hosts(raw_options.get("hosts") or "all")
        # A relative path is relative to the host's working directory (the
        # workstation's scratch directory); ".." could leave it.
        if not argument or ".." in argument.split("/"):
            raise BlockSyntaxError(f"lab-file needs a path without '..', not {argument!r}",
                                   key="path")
    else:
        hosts = parse_hosts(argument)
    if kind is Kind.RUN:
        commands = parse_commands(content, content_lines)
        if not commands:
            raise BlockSyntaxError("lab-run needs at least one '$ command'", key="content")
    elif kind is Kind.CHECK:
        from deploydocs.checks import parse_check

        checks = tuple(line.strip() for line in content if line.strip()
                       and not line.lstrip().startswith("#"))
        for line, number in zip(content, content_lines, strict=True):
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                try:
                    parse_check(stripped)
                except ValueError as error:
                    raise BlockSyntaxError(str(error), key="check", lineno=number) from None
        if not checks:
            raise BlockSyntaxError("lab-check needs at least one check line", key="content")
    elif kind in (Kind.FAULT, Kind.HEAL) and any(line.strip() for line in content):
        raise BlockSyntaxError(f"{kind.value} takes no content", key="content")
    return Block(
        kind=kind, docname=docname, source=source, lineno=lineno, hosts=hosts,
        argument=argument, content=tuple(content), content_lines=tuple(content_lines),
        commands=commands, checks=checks, options=options,
        raw_options=tuple(sorted((k, v or "") for k, v in raw_options.items())),
    )
