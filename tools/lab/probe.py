"""What a lab host is: one shell script that reports machine id, OS and real tools.

The same script runs over every transport (``docker exec``, ssh, the
workstation's local shell); :func:`parse_probe` turns its output into data.

>>> parse_probe("machine-id=ab\\nos=Debian\\ntool=vagga\\tvagga 0.8.1\\nmissing=verwalter\\n")
{'machine_id': 'ab', 'os': 'Debian', 'tools': {'vagga': 'vagga 0.8.1'}, 'absent': ['verwalter']}
"""

from __future__ import annotations

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


def probe_script() -> str:
    """The bash script that prints ``key=value`` lines about the host."""
    names = " ".join(REAL_TOOLS)
    quiet = " ".join(NO_VERSION_FLAG)
    return f"""\
export PATH="{PATH}:$PATH"
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
done
"""


def parse_probe(output: str) -> dict[str, object]:
    """Turn the probe script's output into ``machine_id``, ``os``, ``tools``, ``absent``."""
    facts: dict[str, object] = {"machine_id": "", "os": "", "tools": {}, "absent": []}
    tools: dict[str, str] = facts["tools"]  # type: ignore[assignment]
    absent: list[str] = facts["absent"]  # type: ignore[assignment]
    for line in output.splitlines():
        key, _, value = line.partition("=")
        if key == "machine-id":
            facts["machine_id"] = value.strip()
        elif key == "os":
            facts["os"] = value.strip()
        elif key == "tool":
            name, _, version = value.partition("\t")
            tools[name] = version.strip()
        elif key == "missing":
            absent.append(value.strip())
    return facts
