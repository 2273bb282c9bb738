"""Machine ids: cantal and verwalter tell nodes apart by ``/etc/machine-id``.

>>> is_valid_machine_id("0123456789abcdef0123456789abcdef")
True
>>> is_valid_machine_id("0123456789ABCDEF0123456789ABCDEF")
False
>>> is_valid_machine_id(generate_machine_id())
True
"""

from __future__ import annotations

import re
import uuid

MACHINE_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def generate_machine_id() -> str:
    """Return a random machine id the way systemd makes one (a v4 UUID, no dashes)."""
    return uuid.uuid4().hex


def is_valid_machine_id(text: str) -> bool:
    """Whether *text* (without its trailing newline) is a well-formed machine id."""
    return bool(MACHINE_ID_RE.fullmatch(text))
