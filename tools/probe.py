"""What a host is: one shell script that reports machine id, OS and real tools.

The same script runs over every transport (ssh, the lab's ``docker exec``, its
workstation's local shell); :func:`parse_probe` turns its output into data.
For each real tool it finds, the script reports the first line of its
``--version`` and the SHA-256 of its binary, so a verification record says
which build of a tool it ran against, even when two builds print the same
version (or a tool prints none, like ``verwalter_render``).

>>> parse_probe("machine-id=ab\\nos=Debian\\ntool=vagga\\tvagga 0.8.1\\nmissing=verwalter\\n")
... # doctest: +NORMALIZE_WHITESPACE
{'machine_id': 'ab', 'os': 'Debian', 'tools': {'vagga': 'vagga 0.8.1'}, 'absent': ['verwalter'],
 'sha256': {}}
>>> facts = parse_probe("tool=vagga\\tvagga 0.8.1\\nsha256=vagga\\t" + "0f" * 32 + "\\n")
>>> facts["sha256"] == {"vagga": "0f" * 32}
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from .hosts import HostInfo

REAL_TOOLS = (
    "vagga",
    "lithos_tree",
    "lithos_knot",
    "lithos_check",
    "lithos_switch",
    "lithos_cmd",
    "lithos_ps",
    "lithos_clean",
    "lithos_crypt",
    "lithos_mkdev",
    "cantal-agent",
    "verwalter",
    "verwalter_render",
)
"""The real tools the tutorial uses, looked for on every host's PATH."""

NO_VERSION_FLAG = ("lithos_knot", "lithos_mkdev")
"""Tools not asked for ``--version``: lithos_knot only runs under lithos_tree, and
lithos_mkdev (a shell script) would take ``--version`` as the directory to create."""

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def probe_script(tools: Sequence[str] | None = None) -> str:
    """The bash script that prints ``key=value`` lines about the host.

    *tools* are the names looked for (default :data:`REAL_TOOLS`). The system's usual
    directories are searched after the host's own ``PATH``, so the probe reports the
    binary a command on the host would run (on the workstation: ``--tools-dir`` first).
    """
    names = " ".join(REAL_TOOLS if tools is None else tools)
    quiet = " ".join(NO_VERSION_FLAG)
    return f"""\
export PATH="${{PATH:+$PATH:}}{PATH}"
printf 'machine-id=%s\\n' "$(cat /etc/machine-id 2>/dev/null)"
printf 'os=%s\\n' "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
for tool in {names}; do
    where=$(command -v "$tool") || {{ printf 'missing=%s\\n' "$tool"; continue; }}
    version="present at $where"
    case " {quiet} " in *" $tool "*) ;; *)
        out=$(timeout 5 "$where" --version </dev/null 2>&1 | head -n 1) && [ -n "$out" ] \\
            && version=$out ;;
    esac
    printf 'tool=%s\\t%s\\n' "$tool" "$version"
    sum=$(sha256sum -- "$where" 2>/dev/null) && printf 'sha256=%s\\t%s\\n' "$tool" "${{sum%% *}}"
done
"""


class ProbeFacts(TypedDict):
    """What the probe script found on a host."""

    machine_id: str
    os: str
    tools: dict[str, str]
    """Real tool → its version line."""
    absent: list[str]
    sha256: dict[str, str]
    """Real tool → hex digest of its binary, for the tools present."""


def parse_probe(output: str) -> ProbeFacts:
    """Turn the probe script's output into ``machine_id``, ``os``, ``tools``, ``absent``,
    and ``sha256`` (tool → hex digest of its binary, for the tools present)."""
    tools: dict[str, str] = {}
    absent: list[str] = []
    sums: dict[str, str] = {}
    facts: ProbeFacts = {"machine_id": "", "os": "", "tools": tools, "absent": absent,
                         "sha256": sums}
    for line in output.splitlines():
        key, _, value = line.partition("=")
        if key == "machine-id":
            facts["machine_id"] = value.strip()
        elif key == "os":
            facts["os"] = value.strip()
        elif key == "tool":
            name, _, version = value.partition("\t")
            tools[name] = version.strip()
        elif key == "sha256":
            name, _, digest = value.partition("\t")
            if len(digest.strip()) == 64:
                sums[name] = digest.strip()
        elif key == "missing":
            absent.append(value.strip())
    return facts


def probe_info(name: str, address: str, output: str) -> HostInfo:
    """The :class:`~tools.hosts.HostInfo` of host *name* at *address*, from its probe
    script's *output*."""
    facts = parse_probe(output)
    return HostInfo(name, address, facts["machine_id"], facts["os"],
                    dict(facts["tools"]), dict(facts["sha256"]))
