"""quire's numeric fields: unit suffixes and radix prefixes (humannum 0.1.0)."""

from __future__ import annotations

#: Unit suffixes of quire's numeric fields, in the order quire tries them.
UNIT_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("k", 1000), ("M", 1000**2), ("G", 1000**3),
    ("ki", 1024), ("Mi", 1024**2), ("Gi", 1024**3),
)

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _digits(text: str, radix: int) -> int:
    sign = 1
    if text[:1] == "+":
        text = text[1:]
    elif text[:1] == "-":
        sign, text = -1, text[1:]
    if not text:
        raise ValueError("no digits")
    value = 0
    for index, char in enumerate(text.lower()):
        if char == "_" and index > 0:
            continue  # humannum 0.1.0 skips "_" after the first digit
        digit = _DIGITS.find(char)
        if digit < 0 or digit >= radix:
            raise ValueError(f"invalid digit {char!r}")
        value = value * radix + digit
    return sign * value


def parse_int(text: str) -> int:
    """Parse an integer the way quire's numeric fields do (humannum 0.1.0).

    >>> parse_int("100Mi"), parse_int("4k"), parse_int("0o755"), parse_int("0x10")
    (104857600, 4000, 493, 16)
    >>> parse_int("1_000"), parse_int(" 16 Mi ")
    (1000, 16777216)
    >>> parse_int("1.5")
    Traceback (most recent call last):
    ValueError: invalid digit '.'
    """
    text = text.strip()
    multiplier = 1
    for suffix, value in UNIT_SUFFIXES:
        if len(suffix) < len(text) and text.endswith(suffix):
            multiplier, text = value, text[: -len(suffix)].rstrip()
            break
    radix = {"0x": 16, "0o": 8, "0b": 2}.get(text[:2], 10) if len(text) > 2 else 10
    if radix != 10:
        text = text[2:]
    return _digits(text, radix) * multiplier
