"""The ssh inventory: a TOML file listing the machines to act on, reached with ssh.

Example (relative paths are relative to the inventory file; ``~`` is your home)::

    [[host]]
    name = "node1"
    address = "192.0.2.11"
    port = 22
    user = "root"
    key = "keys/id_ed25519"
    known_hosts = "known_hosts"      # or: host_key = "ssh-ed25519 AAAA..."
    roles = ["node"]
    # proxy_command = "ssh -W %h:%p bastion"   (optional, as OpenSSH's ProxyCommand)

Every host needs ``name``, ``address``, ``user``, ``key`` and exactly one of
``known_hosts`` and ``host_key``: :mod:`tools.ssh`, which reaches the hosts, never
accepts a host key it was not told about. :func:`load_inventory` reports every problem
at once, each with file, line and key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem

KNOWN_KEYS = {"name", "address", "port", "user", "key", "known_hosts", "host_key", "roles",
              "proxy_command"}
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


class InventoryError(ValueError):
    """The inventory is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class InventoryHost:
    """One machine of the inventory."""

    name: str
    address: str
    user: str
    key: Path
    port: int = 22
    known_hosts: Path | None = None
    host_key: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)
    proxy_command: str | None = None


def _host_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each ``[[host]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"^\s*\[\[\s*host\s*\]\]", line)]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of *key* in the table whose header is line *start* (else *start*)."""
    lines = text.splitlines()
    for index in range(start, len(lines)):
        if lines[index].lstrip().startswith("["):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[index]):
            return index + 1
    return start


def load_inventory(path: Path) -> list[InventoryHost]:
    """Read and check the inventory at *path*; raise :class:`InventoryError` listing problems."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise InventoryError([Problem(file, 0, "", f"cannot read: {err.strerror}")]) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(err))) else 0
        raise InventoryError([Problem(file, line, "", f"not valid TOML: {err}")]) from err
    problems: list[Problem] = []
    for key in sorted(set(data) - {"host"}):
        problems.append(Problem(file, 1, key, "unknown top-level key (expected [[host]] tables)"))
    raw_hosts = data.get("host", [])
    if not isinstance(raw_hosts, list) or not raw_hosts:
        problems.append(Problem(file, 1, "host", "no [[host]] tables"))
        raise InventoryError(problems)
    headers = _host_lines(text)
    hosts: list[InventoryHost] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_hosts):
        start = headers[index] if index < len(headers) else 1

        def problem(key: str, message: str, start: int = start) -> None:
            problems.append(Problem(file, _key_line(text, start, key), key, message))

        for key in sorted(set(raw) - KNOWN_KEYS):
            problem(key, "unknown key")
        for key in ("name", "address", "user", "key"):
            if not isinstance(raw.get(key), str) or not raw.get(key):
                problem(key, "required (a non-empty string)")
        name = raw.get("name")
        if isinstance(name, str) and name:
            if not NAME_RE.match(name):
                problem("name", "must be lowercase letters, digits and '-' (a hostname)")
            if name in seen:
                problem("name", f"duplicate host name {name!r}")
            seen.add(name)
        port = raw.get("port", 22)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            problem("port", "must be an integer from 1 to 65535")
        has_known, has_key = "known_hosts" in raw, "host_key" in raw
        if has_known == has_key:
            problem("known_hosts", "give exactly one of known_hosts and host_key")
        roles = raw.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            problem("roles", "must be a list of strings")
        proxy = raw.get("proxy_command")
        if proxy is not None and not isinstance(proxy, str):
            problem("proxy_command", "must be a string")
        key_path = path.parent / Path(str(raw.get("key", ""))).expanduser()
        if isinstance(raw.get("key"), str) and raw["key"] and not key_path.is_file():
            problem("key", f"{key_path} does not exist")
        known = (path.parent / Path(str(raw.get("known_hosts", ""))).expanduser()
                 if has_known else None)
        if known is not None and not known.is_file():
            problem("known_hosts", f"{known} does not exist")
        host_key = raw.get("host_key")
        if has_key and (not isinstance(host_key, str) or len(host_key.split()) < 2):
            problem("host_key", "must be '<type> <base64 key>' as in a .pub file")
        if problems:
            continue
        hosts.append(InventoryHost(
            name=name, address=raw["address"], user=raw["user"], key=key_path.resolve(),
            port=port, known_hosts=known.resolve() if known else None, host_key=host_key,
            roles=tuple(roles), proxy_command=proxy,
        ))
    if problems:
        raise InventoryError(problems)
    return hosts
