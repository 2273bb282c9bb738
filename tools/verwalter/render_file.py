"""Read a verwalter ``*.render.yaml``: the one parser of the validator and render preview/apply.

A render file names its templates (``templates: {name: file}``, files
relative to the render file) and lists the commands ``verwalter_render`` runs
afterwards, each a tagged value: ``!RootCommand [argv]``, ``!Cmd [argv]``,
``!Sh text``, ``!Copy {src, dest, mode}``, ``!SplitText {section, validate,
src, dest, mode}``, ``!CleanFiles {pattern, keep-list}``, ``!PeekLog path``
and ``!Condition {dirs-changed, commands}`` (whose commands cannot hold
another ``!Condition``). :func:`read_render_file` checks the file against
that shape (verwalter 0.13.4) and returns the commands with their lines;
every problem names file, line and key. What each caller does about
variables and log directories stays with the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..problems import Problem
from ..quire import (
    INVALID,
    Enum,
    Int,
    Items,
    Mapping,
    Record,
    Seq,
    Str,
    Struct,
    TagValue,
    read_checked,
)

TEMPLATE_ENGINES = {
    ".hbs": "handlebars", ".handlebars": "handlebars", ".tera": "tera",
    ".trm": "trimmer", ".trimmer": "trimmer",
}
"""Template file extensions verwalter_render knows, and their engines."""
COMMAND_VAR_RE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
"""A ``{{ name }}`` in a command string."""


def _regex(text: str) -> str | None:
    try:
        re.compile(text)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


def _render_commands(nested: bool) -> Enum:
    options: dict[str, Any] = {
        "RootCommand": Seq(Str(), min_length=1),
        "Cmd": Seq(Str(), min_length=1),
        "Sh": Str(),
        "Copy": Struct({"src": Str(default="{{ tmp_file }}"), "dest": Str(),
                        "mode": Int(optional=True)}),
        "SplitText": Struct({"section": Str(validate=_regex), "validate": Str(validate=_regex),
                             "src": Str(default="{{ tmp_file }}"), "dest": Str(),
                             "mode": Int(optional=True)}),
        "CleanFiles": Struct({"pattern": Str(), "keep-list": Str()}),
        "PeekLog": Str(),
    }
    if nested:
        options["Condition"] = Struct({"dirs-changed": Seq(Str()),
                                       "commands": Seq(_render_commands(False))})
    return Enum(options)


RENDER_SCHEMA = Struct({
    "templates": Mapping(Str()),
    "commands": Seq(_render_commands(True)),
})
"""The shape of a render file, as verwalter_render reads it."""


@dataclass(frozen=True)
class RenderCommand:
    """One checked command: its tag (without ``!``), plain value, line and key.

    ``value`` is a list for ``RootCommand``/``Cmd``, a string for
    ``Sh``/``PeekLog`` and a dict otherwise, defaults filled in; ``given``
    holds the keys the file wrote itself. A ``Condition``'s
    ``value["commands"]`` is a list of :class:`RenderCommand`.
    """

    tag: str
    value: Any
    line: int
    key: str
    given: frozenset[str] = frozenset()


@dataclass
class RenderFile:
    """A checked render file: its templates (name -> file as written) and commands."""

    name: str
    path: Path | None
    templates: dict[str, str] = field(default_factory=dict)
    template_lines: dict[str, int] = field(default_factory=dict)
    commands: list[RenderCommand] = field(default_factory=list)

    def template_path(self, name: str) -> Path:
        """The file of template *name*, next to the render file."""
        base = self.path.parent if self.path is not None else Path()
        return base / self.templates[name]

    def all_commands(self) -> Iterator[RenderCommand]:
        """Every command, a ``Condition``'s own commands right after it."""
        for command in self.commands:
            yield command
            if command.tag == "Condition":
                yield from command.value["commands"]


def _plain(value: Any) -> Any:
    if isinstance(value, Items):
        return [_plain(item) for item in value]
    if isinstance(value, Record):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _command(checked: TagValue, key: str) -> RenderCommand:
    value = checked.value
    given = frozenset(value.lines) if isinstance(value, Record) else frozenset()
    plain = _plain(value)
    if checked.tag == "Condition":
        plain["commands"] = [_command(inner, f"{key}.commands[{index}]")
                             for index, inner in enumerate(value["commands"])]
    return RenderCommand(checked.tag, plain, checked.line, key, given)


def read_render_file(text_or_path: str | Path, filename: str | None = None
                     ) -> tuple[RenderFile | None, list[Problem]]:
    """Check one render file and return it with every problem (file, line, key).

    With a path, template files are looked up next to it. ``None`` when the
    YAML does not parse or the top is not a mapping.
    """
    record, name, problems = read_checked(text_or_path, filename, RENDER_SCHEMA)
    if record is INVALID:
        return None, problems
    path = text_or_path if isinstance(text_or_path, Path) else None
    result = RenderFile(name, path)
    for tname, tfile in record["templates"].items():
        line = record["templates"].line_of(tname)
        result.templates[tname] = tfile
        result.template_lines[tname] = line
        key = f"templates.{tname}"
        suffix = Path(tfile).suffix
        if tfile.startswith("/"):
            problems.append(Problem(name, line, key, "template path must be relative to "
                                    "this render file"))
        elif suffix not in TEMPLATE_ENGINES:
            problems.append(Problem(name, line, key, f"unknown template type {suffix!r} "
                                    f"(use one of {', '.join(TEMPLATE_ENGINES)})"))
        elif path is not None and not result.template_path(tname).is_file():
            problems.append(Problem(name, line, key, f"template file {tfile!r} not found"))
    commands = record["commands"]
    result.commands = [_command(command, f"commands[{index}]")
                       for index, command in enumerate(commands)]
    return result, problems


def expanded_strings(command: RenderCommand) -> Iterator[tuple[str, str]]:
    """``(subkey, text)`` of each string of *command* that verwalter_render expands."""
    value = command.value
    if command.tag in ("RootCommand", "Cmd"):
        start = 1 if command.tag == "Cmd" else 0
        for index, item in enumerate(value):
            if index >= start:
                yield f"[{index}]", item
    elif command.tag in ("Sh", "PeekLog"):
        yield "", value
    elif command.tag in ("Copy", "SplitText"):
        for key in ("src", "dest"):
            yield f".{key}", value[key]
    elif command.tag == "CleanFiles":
        for key in ("pattern", "keep-list"):
            yield f".{key}", value[key]


def unknown_variables(command: RenderCommand, template_names: set[str] | dict[str, str]
                      ) -> Iterator[tuple[str, str]]:
    """``(subkey, name)`` of each ``{{ name }}`` in *command* that is neither ``role``
    nor ``files.<template>``: verwalter_render writes ``<< unknown variable: name >>``."""
    for sub, text in expanded_strings(command):
        for var in COMMAND_VAR_RE.findall(text):
            if var == "role" or (var.startswith("files.") and
                                 var[len("files."):] in template_names):
                continue
            yield sub, var


__all__ = [
    "COMMAND_VAR_RE",
    "RENDER_SCHEMA",
    "TEMPLATE_ENGINES",
    "RenderCommand",
    "RenderFile",
    "expanded_strings",
    "read_render_file",
    "unknown_variables",
]
