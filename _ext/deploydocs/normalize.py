"""Named normalizers: rewrite volatile parts of output before comparison.

They apply to *comparison only*: both the expected and the observed text are
passed through the block's normalizers, then compared. What the reader sees
(the recorded output) is never normalized.

>>> normalize("started pid=4242 at 2026-11-25T19:52:01Z", ["pids", "timestamps"])
'started pid=<pid> at <timestamp>'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HEX = "0-9a-f"
NORMALIZERS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "timestamps": [
        (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                    r"(Z|[+-]\d{2}:?\d{2}|\s?UTC)?"), "<timestamp>"),
        (re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +(\d{1,2} +)?"
                    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)( +\d{1,2})?"
                    r" +\d{2}:\d{2}:\d{2}( +\d{4})?( +[A-Z]{3,4})?( +\d{4})?"), "<timestamp>"),
        (re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
                    r"\d{2}:\d{2}:\d{2}\b"), "<timestamp>"),
        (re.compile(r"\b\d{2}:\d{2}:\d{2}(\.\d+)?\b"), "<timestamp>"),
    ],
    "durations": [
        (re.compile(r"\b(\d+(\.\d+)?(h|m|min|s|ms|us|µs|ns))+\b"), "<duration>"),
        (re.compile(r"\b\d+(\.\d+)? ?(seconds?|secs?|minutes?|mins?|hours?|milliseconds?)\b"),
         "<duration>"),
    ],
    "pids": [
        (re.compile(r"(?i)(\bpid\b[=: ]*)\d+"), r"\1<pid>"),
        (re.compile(r"\[\d+\]"), "[<pid>]"),
    ],
    "uuids": [
        (re.compile(rf"\b[{_HEX}]{{8}}-[{_HEX}]{{4}}-[{_HEX}]{{4}}-[{_HEX}]{{4}}-[{_HEX}]{{12}}\b",
                    re.I), "<uuid>"),
    ],
    "machine-ids": [
        (re.compile(rf"\b[{_HEX}]{{32}}\b"), "<machine-id>"),
    ],
    "image-hashes": [
        (re.compile(rf"\bsha256:[{_HEX}]{{64}}\b"), "<image-hash>"),
        (re.compile(rf"\b[{_HEX}]{{64}}\b"), "<image-hash>"),
        (re.compile(rf"(?<=\.)[{_HEX}]{{8}}\b"), "<image-hash>"),
    ],
    "container-ids": [
        (re.compile(rf"\b[{_HEX}]{{64}}\b"), "<container-id>"),
        (re.compile(rf"\b[{_HEX}]{{12}}\b"), "<container-id>"),
    ],
    "ips": [
        (re.compile(r"\b(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\b"), "<ip>"),
        # IPv6: eight groups, or a "::" abbreviation (so clock times never match).
        (re.compile(r"(?<![\w:])(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:)*"
                    r"[0-9a-f]{0,4}::([0-9a-f]{1,4}:)*[0-9a-f]{1,4})(?![\w:])", re.I), "<ip>"),
    ],
}
"""Name → list of (pattern, replacement), applied in order."""


def normalize(text: str, names: Iterable[str]) -> str:
    """Apply the named normalizers to *text* in the order of :data:`NORMALIZERS`.

    >>> normalize("node1 10.0.0.7 up 3.5s", ["ips", "durations"])
    'node1 <ip> up <duration>'
    >>> normalize("3f2a1b4c-1d2e-4f00-9a8b-0123456789ab", ["uuids"])
    '<uuid>'
    """
    wanted = set(names)
    unknown = wanted - set(NORMALIZERS)
    if unknown:
        raise KeyError(f"unknown normalizer(s): {', '.join(sorted(unknown))}")
    for name, rules in NORMALIZERS.items():
        if name in wanted:
            for pattern, replacement in rules:
                text = pattern.sub(replacement, text)
    return text
