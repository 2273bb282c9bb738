"""Read the two files a cantal-instrumented process writes (``.meta`` and ``.values``).

Written from the format description (section 3.3 of the facts brief): each
meta line is ``TYPE SIZE [PARAM]: JSON`` or ``pad N``, and the values file
holds the values one after the other, in native byte order, in meta order.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path


def read_counters(base: Path) -> dict[tuple[tuple[str, str], ...], int]:
    """Return every ``counter 8`` in ``base.meta``/``base.values``, keyed by sorted labels."""
    meta = Path(f"{base}.meta").read_text().splitlines()
    values = Path(f"{base}.values").read_bytes()
    counters: dict[tuple[tuple[str, str], ...], int] = {}
    offset = 0
    for line in meta:
        head, _, labels = line.partition(": ")
        kind, size_text, *_ = head.split()
        size = int(size_text)
        if kind == "counter":
            (value,) = struct.unpack_from("=Q", values, offset)
            counters[tuple(sorted(json.loads(labels).items()))] = value
        offset += size
    return counters


REQUESTS = (("group", "hello"), ("metric", "requests"))
"""The labels of hello's request counter."""
