"""``validate``'s settings file, found the way linters find theirs.

The first of these, looking in the current directory and then each parent up to
the repository's top (the directory holding ``.git``):

* ``.deploydocs-tools.toml``, its ``[validate]`` table;
* ``pyproject.toml`` with a ``[tool.deploydocs-tools.validate]`` table (a
  ``pyproject.toml`` without one is passed over).

Keys (all optional; a command-line option wins over the file):

* ``exclude``: gitignore-style patterns, relative to the directory holding
  the file, of paths a directory walk leaves out;
* ``ignore``: rule ids silenced everywhere (``--list-rules`` lists them);
* ``strict``: warnings fail the check; ``warnings``: ``false`` drops them;
* ``format``: the default output format.

A key it does not know, a value of the wrong type or an unknown rule id is bad
input, named with the file, line and key.

>>> settings = parse('[validate]\\nignore = ["lithos-secret"]\\n', Path("x.toml"), ("validate",))
>>> settings.ignore, settings.strict
(frozenset({'lithos-secret'}), None)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput
from .rules import RULES

OWN_FILE = ".deploydocs-tools.toml"
PYPROJECT = "pyproject.toml"
KEYS = {"exclude": list, "ignore": list, "strict": bool, "warnings": bool, "format": str}


@dataclass(frozen=True)
class Settings:
    """What a settings file says; None (or empty) where it says nothing."""

    source: Path | None = None
    exclude: tuple[str, ...] = ()
    ignore: frozenset[str] = field(default_factory=frozenset)
    strict: bool | None = None
    warnings: bool | None = None
    format: str | None = None


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith((key + " ", key + "=")):
            return number
    return 1


def parse(text: str, path: Path, table_path: tuple[str, ...]) -> Settings:
    """The settings under *table_path* of TOML *text* (the file *path*); raises
    :class:`~tools.errors.BadInput` naming file, line and key."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML: {exc}") from None
    table: object = document
    for name in table_path:
        table = table.get(name, {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        raise BadInput(f"{path}:1: {'.'.join(table_path)}: must be a table")
    where = ".".join(table_path)
    for key, value in table.items():
        expected = KEYS.get(key)
        line = _line_of(text, key)
        if expected is None:
            raise BadInput(f"{path}:{line}: {where}.{key}: unknown key; known: "
                           f"{', '.join(KEYS)}")
        strings = isinstance(value, list) and all(isinstance(item, str) for item in value)
        if not isinstance(value, expected) or (expected is list and not strings):
            kind = "a list of strings" if expected is list else expected.__name__
            raise BadInput(f"{path}:{line}: {where}.{key}: must be {kind}")
    unknown = sorted(set(table.get("ignore", [])) - set(RULES))
    if unknown:
        raise BadInput(f"{path}:{_line_of(text, 'ignore')}: {where}.ignore: unknown rule "
                       f"{', '.join(unknown)} (see validate --list-rules)")
    return Settings(path, tuple(table.get("exclude", ())), frozenset(table.get("ignore", ())),
                    table.get("strict"), table.get("warnings"), table.get("format"))


def find(start: Path) -> Settings:
    """The settings file that applies in *start* (see the module), or empty settings."""
    start = start.absolute()
    for directory in (start, *start.parents):
        own = directory / OWN_FILE
        if own.is_file():
            return parse(own.read_text(), own, ("validate",))
        project = directory / PYPROJECT
        if project.is_file():
            text = project.read_text()
            if "deploydocs-tools" in text:
                settings = parse(text, project, ("tool", "deploydocs-tools", "validate"))
                if settings != Settings(project):
                    return settings
        if (directory / ".git").exists():
            break
    return Settings()


def load(path: Path) -> Settings:
    """The settings of the file *path* named with ``--config``."""
    if not path.is_file():
        raise BadInput(f"{path}: settings file not found")
    table = ("tool", "deploydocs-tools", "validate") if path.name == PYPROJECT else \
        ("validate",)
    return parse(path.read_text(), path, table)
