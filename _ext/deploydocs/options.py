"""Directive options: how each is written, what it converts to, which ones every kind has.

A kind lists the :class:`Option` objects it accepts, in the order its error
messages name them, and a frozen dataclass derived from
:class:`CommonOptions` that holds the converted values. The engine reads only
the common fields (session, requires, hide, stand-in, instead-of,
needs-internet); everything else belongs to the kind that declares it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from deploydocs.syntax import BlockSyntaxError

Converter = Callable[[str, str], object]
"""``(option name, stripped text) → value``; raises :class:`BlockSyntaxError`."""

OptionsT = TypeVar("OptionsT", bound="CommonOptions")


@dataclass(frozen=True)
class CommonOptions:
    """The options the engine itself understands; kinds add their own fields."""

    session: str = "default"
    requires: tuple[str, ...] = ()
    hide: bool = False
    stand_in: str = ""
    instead_of: tuple[str, ...] = ()
    """Real tools this (stand-in) block replaces: it is skipped when they did the job."""
    needs_internet: str = ""
    """What the block downloads; it is not run unless the lab reaches the internet."""


@dataclass(frozen=True)
class Option:
    """One option a directive accepts.

    :param name: as written on the page (``wait-until``).
    :param field: the attribute of the kind's options it sets; ``""`` when the kind's
        parser reads the raw text itself (``hosts``).
    :param convert: text → value.
    """

    name: str
    field: str
    convert: Converter


# -- converters ----------------------------------------------------------------
def text(key: str, value: str) -> str:
    """The text as written (stripped)."""
    return value


def flag(key: str, value: str) -> bool:
    """A flag option (``:hide:``): present means on."""
    return True


def words(key: str, value: str) -> tuple[str, ...]:
    """Names separated by spaces or commas.

    >>> words("requires", "lithos, verwalter")
    ('lithos', 'verwalter')
    """
    return tuple(value.replace(",", " ").split())


def seconds(key: str, value: str) -> float:
    """A positive number of seconds.

    >>> seconds("timeout", "2.5")
    2.5
    """
    try:
        result = float(value)
    except ValueError:
        raise BlockSyntaxError(f"{key} must be a number of seconds, not {value!r}",
                               key=key) from None
    if result <= 0:
        raise BlockSyntaxError(f"{key} must be positive, not {value!r}", key=key)
    return result


def one_word(key: str, value: str) -> str:
    """A single word (a session name)."""
    if not value or any(c.isspace() for c in value):
        raise BlockSyntaxError(f"{key} must be one word", key=key)
    return value


def required(what: str) -> Converter:
    """A converter for text that may not be empty; *what* says what belongs there."""

    def convert(key: str, value: str) -> str:
        if not value:
            raise BlockSyntaxError(f"{key} needs {what}", key=key)
        return value

    return convert


def required_words(what: str) -> Converter:
    """Like :func:`words`, but at least one is needed; *what* says which."""

    def convert(key: str, value: str) -> tuple[str, ...]:
        names = words(key, value)
        if not names:
            raise BlockSyntaxError(f"{key} needs {what}", key=key)
        return names

    return convert


# -- options several kinds share ------------------------------------------------
SESSION = Option("session", "session", one_word)
TIMEOUT = Option("timeout", "timeout", seconds)
WAIT_UNTIL = Option("wait-until", "wait_until", seconds)
REQUIRES = Option("requires", "requires", words)
HIDE = Option("hide", "hide", flag)
STAND_IN = Option("stand-in", "stand_in", required("the name of a tools/ stand-in"))
INSTEAD_OF = Option("instead-of", "instead_of", required_words(
    "the real tool(s) the block stands in for, e.g. verwalter"))
NEEDS_INTERNET = Option("needs-internet", "needs_internet",
                        required("to say what the block downloads"))
HOSTS = Option("hosts", "", text)
"""For kinds whose argument is not a host (a file's path): the hosts, read by the kind."""
LANGUAGE = Option("language", "language", text)


def convert_options(kind: str, accepted: Sequence[Option], options_type: type[OptionsT],
                    raw: Mapping[str, str | None]) -> OptionsT:
    """Check and convert the options written on one block of *kind*.

    >>> convert_options("lab-x", [TIMEOUT, HIDE], CommonOptions, {"hide": None}).hide
    True
    """
    by_name = {option.name: option for option in accepted}
    values: dict[str, object] = {}
    for key, value in raw.items():
        option = by_name.get(key)
        if option is None:
            raise BlockSyntaxError(f"unknown option {key!r} for {kind} (allowed: "
                                   f"{', '.join(by_name)})", key=key)
        if option.field:
            values[option.field] = option.convert(key, (value or "").strip())
    if "instead_of" in values and "stand_in" not in values:
        raise BlockSyntaxError("instead-of goes with stand-in: only a stand-in block runs "
                               "instead of a real tool", key="instead-of")
    return options_type(**values)  # type: ignore[arg-type]
