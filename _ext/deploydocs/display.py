"""What every block's rendering is made of: the machine label, the badge, console text.

The kinds (:mod:`deploydocs.kinds`) build their nodes from these. A badge
says where a block's output comes from: *verified* (date, lab fingerprint),
*failed*, *not run* (hosts, reason), *skipped* or *never verified* (no
record, or the block changed). Its tooltip lists every real tool of the lab
with its version and the start of its binary's sha256.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docutils import nodes

from deploydocs.blocks import Block
from deploydocs.records import BlockRecord, Status, fingerprint_id, with_observed
from deploydocs.report import lab_lines

BADGE_CLASS = "deploydocs-badge"
HOST_CLASS = "deploydocs-host"
DEFAULT_NODES = ("node1", "node2", "node3")
"""The lab's nodes when a block has no record to tell (the default ``deploydocs_hosts``)."""
WORKSTATION = "workstation"
SKIPPED = getattr(Status, "SKIPPED", "skipped")


@dataclass(frozen=True)
class View:
    """What is known about one block when its page is written."""

    record: BlockRecord | None
    fingerprint: Mapping[str, Any] | None = None
    note: str = ""
    """Why there is no record (e.g. ``changed since the last verify``)."""

    @property
    def status(self) -> str:
        """The block's status for display."""
        return self.record.status if self.record else Status.NEVER


def describe_fingerprint(fp: Mapping[str, Any] | None) -> str:
    """A one-line summary of a lab fingerprint (backend, node OS, tool versions, images).

    >>> describe_fingerprint({"backend": "docker", "nodes": {"node1": {
    ...     "os": "Debian GNU/Linux 12", "tools": {"lithos_tree": "0.18.4"}}},
    ...     "images": {"id": "sha256:0123456789abcdef0123"}})
    'docker lab · Debian GNU/Linux 12 · lithos 0.18.4 · image sha256:0123456789ab'
    """
    if not fp:
        return "unknown lab"
    fp = with_observed(fp)
    parts = [f"{fp.get('backend', '?')} lab"]
    systems: set[str] = set()
    tools: dict[str, str] = {}
    nodes = fp.get("nodes")
    for node in nodes.values() if isinstance(nodes, Mapping) else []:
        if isinstance(node, Mapping):
            systems.add(str(node.get("os") or "?"))
            tools.update({str(k): str(v) for k, v in (node.get("tools") or {}).items()})
    if fp.get("os"):
        systems.add(str(fp["os"]))
    if isinstance(fp.get("tools"), Mapping):
        tools.update({str(k): str(v) for k, v in fp["tools"].items()})
    workstation = fp.get("workstation")
    if isinstance(workstation, Mapping) and isinstance(workstation.get("tools"), Mapping):
        tools.update({str(k): str(v) for k, v in workstation["tools"].items()})
    if systems:
        parts.append(", ".join(sorted(systems)))
    parts.append(describe_tools(tools))
    images = fp.get("images")
    if isinstance(images, Mapping) and images.get("id"):
        parts.append(f"image {str(images['id'])[:19]}")
    return " · ".join(parts)


def fingerprint_tooltip(fp: Mapping[str, Any] | None) -> str:
    """The badge's tooltip: the lab line by line, each real tool with version and sha256.

    >>> print(fingerprint_tooltip({"backend": "docker", "nodes": {
    ...     "node1": {"os": "Debian", "tools": {"cantal-agent": "v0.6.10"},
    ...               "sha256": {"cantal-agent": "1a2b3c4d5e6f" + "9" * 52}},
    ...     "node2": {"os": "Debian", "tools": {"cantal-agent": "v0.6.10"},
    ...               "sha256": {"cantal-agent": "1a2b3c4d5e6f" + "9" * 52}}}}))
    docker lab: Debian on node1 node2
    cantal-agent 0.6.10 (sha256 1a2b3c4d5e6f) on node1 node2
    fingerprint b352d5afada1
    """
    if not fp:
        return "unknown lab: no fingerprint recorded"
    return "\n".join([*lab_lines(fp), f"fingerprint {fingerprint_id(fp)}"])


def describe_hosts(hosts: Sequence[str], lab_nodes: Sequence[str] = DEFAULT_NODES) -> str:
    """Where a block runs, for its label: ``on node1``, ``on every node (…)``.

    *hosts* may hold ``all`` (every one of *lab_nodes*); naming every node
    counts the same.

    >>> describe_hosts(["node1"])
    'on node1'
    >>> describe_hosts(["all"])
    'on every node (node1 node2 node3)'
    >>> describe_hosts(["workstation"])
    'on the workstation'
    >>> describe_hosts(["node2", "node1"], ["node1", "node2"])
    'on every node (node1 node2)'
    >>> describe_hosts(["node1", "node3", "workstation"])
    'on node1, node3 and the workstation'
    """
    named = [h for h in hosts if h not in ("all", WORKSTATION)]
    parts: list[str] = []
    if "all" in hosts or (lab_nodes and len(named) > 1 and set(named) == set(lab_nodes)):
        parts.append(f"every node ({' '.join(lab_nodes)})")
        named = [h for h in named if h not in lab_nodes]
    parts.extend(dict.fromkeys(named))
    if WORKSTATION in hosts:
        parts.append(f"the {WORKSTATION}")
    if not parts:
        return "on no host"
    if len(parts) == 1:
        return f"on {parts[0]}"
    return f"on {', '.join(parts[:-1])} and {parts[-1]}"


def host_label(block: Block, record: BlockRecord | None,
               lab_nodes: Sequence[str] = DEFAULT_NODES) -> nodes.paragraph:
    """The small caption above a block naming its machine(s).

    ``all`` is spelt out with the nodes the record ran on when there is a
    record, else with *lab_nodes*.
    """
    ran_on = [h for h in record.hosts if h != WORKSTATION] if record else []
    text = describe_hosts(block.hosts, ran_on or lab_nodes)
    return nodes.paragraph(text, text, classes=[HOST_CLASS])


def describe_tools(tools: Mapping[str, str]) -> str:
    """Real tools by family (``lithos_check`` → lithos) with the versions they report.

    A tool that prints no version (``present at …``) adds its family without one; the
    full versions stay in the fingerprint the badge's tooltip shows.

    >>> describe_tools({"lithos_check": "0.18.4", "lithos_crypt": "lithos_crypt 0.18.4",
    ...                 "lithos_knot": "present at /usr/local/bin/lithos_knot",
    ...                 "cantal-agent": "cantal-agent v0.6.10"})
    'cantal-agent 0.6.10 · lithos 0.18.4'
    >>> describe_tools({})
    'no real tools'
    """
    families: dict[str, set[str]] = {}
    for tool, version in tools.items():
        found = re.search(r"\d+(?:\.\d+)+", str(version))
        versions = families.setdefault(tool.split("_")[0], set())
        if found:
            versions.add(found.group(0))
    if not families:
        return "no real tools"
    return " · ".join(f"{family} {', '.join(sorted(versions))}" if versions else family
                      for family, versions in sorted(families.items()))


def badge(view: View, what: str = "", *, sessions: bool = False) -> nodes.paragraph:
    """The small status line under a block.

    *what* names what was verified, if not the block; with *sessions* each host is
    named with the session the block ran in (``node1[admin]``).
    """
    record = view.record
    status = view.status
    para = nodes.paragraph(classes=[BADGE_CLASS, f"deploydocs-{status.replace(' ', '-')}"])
    what = f" {what}" if what else ""
    if record is None:
        text = f"○{what} never verified" + (f" ({view.note})" if view.note else "")
        para += nodes.inline(text, text)
        return para
    date = record.verified_at[:10] or "unknown date"
    where = ", ".join(f"{h}[{record.session}]" if sessions else h for h in record.hosts)
    if status == Status.PASSED:
        head = f"✔{what} verified {date} on {where} ({record.duration:.1f}s) against "
    elif status == Status.FAILED:
        head = f"✘{what} failed {date} on {where}: {record.reason} — lab: "
    elif status == SKIPPED:
        head = f"↷{what} skipped {date} on {where}: {record.reason} — lab: "
    else:
        head = f"◌{what} not run {date} on {where}: {record.reason} — lab: "
    para += nodes.inline(head, head)
    summary = describe_fingerprint(view.fingerprint)
    para += nodes.abbreviation(summary, summary,
                               explanation=fingerprint_tooltip(view.fingerprint))
    if record.stand_in:
        extra = f" · stand-in: {record.stand_in}"
        para += nodes.inline(extra, extra)
    return para


def console(text: str) -> nodes.literal_block:
    """A console literal block (``$`` prompts and output)."""
    node = nodes.literal_block(text, text)
    node["language"] = "console"
    return node
