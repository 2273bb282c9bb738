"""Fill the placeholders: each block shows its output and a provenance badge.

What the reader sees for a ``lab-run`` block: the commands with ``$``
prompts and, when the block's record is valid and passed, the output
observed on the lab (raw, never normalized); otherwise the output as
written. Under it, a badge: *verified* (date, lab fingerprint), *failed*,
*not run* (reason) or *never verified* (no record, or the block changed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docutils import nodes

from deploydocs.blocks import Block, Kind
from deploydocs.records import BlockRecord, Status

BADGE_CLASS = "deploydocs-badge"


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
    if systems:
        parts.append(", ".join(sorted(systems)))
    parts.append(describe_tools(tools))
    images = fp.get("images")
    if isinstance(images, Mapping) and images.get("id"):
        parts.append(f"image {str(images['id'])[:19]}")
    return " · ".join(parts)


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


def badge(view: View, what: str = "") -> nodes.paragraph:
    """The small status line under a block; *what* names what was verified, if not the block."""
    record = view.record
    status = view.status
    para = nodes.paragraph(classes=[BADGE_CLASS, f"deploydocs-{status.replace(' ', '-')}"])
    what = f" {what}" if what else ""
    if record is None:
        text = f"○{what} never verified" + (f" ({view.note})" if view.note else "")
        para += nodes.inline(text, text)
        return para
    date = record.verified_at[:10] or "unknown date"
    where = ", ".join(f"{h}[{record.session}]" if record.kind == Kind.RUN
                      else h for h in record.hosts)
    if status == Status.PASSED:
        head = f"✔{what} verified {date} on {where} ({record.duration:.1f}s) against "
    elif status == Status.FAILED:
        head = f"✘{what} failed {date} on {where}: {record.reason} — lab: "
    else:
        head = f"◌{what} not run {date}: {record.reason} — lab: "
    para += nodes.inline(head, head)
    summary = describe_fingerprint(view.fingerprint)
    full = json.dumps(view.fingerprint or {}, sort_keys=True, default=str)
    para += nodes.abbreviation(summary, summary, explanation=full)
    if record.stand_in:
        extra = f" · stand-in: {record.stand_in}"
        para += nodes.inline(extra, extra)
    return para


def _console(text: str) -> nodes.literal_block:
    node = nodes.literal_block(text, text)
    node["language"] = "console"
    return node


def run_text(block: Block, outputs: Sequence[str] | None) -> str:
    """The console text shown for a ``lab-run`` block."""
    lines: list[str] = []
    for index, command in enumerate(block.commands):
        lines.append(f"$ {command.text}")
        if outputs is not None and index < len(outputs):
            shown = outputs[index].rstrip("\n")
            if shown:
                lines.extend(shown.split("\n"))
        else:
            lines.extend(command.expected)
    return "\n".join(lines)


def block_nodes(block: Block, view: View) -> list[nodes.Node]:
    """The nodes that replace one block's placeholder."""
    if block.options.hide:
        return []
    if block.kind is Kind.CHECK:
        # No body: the badge sits under the step the checks belong to.
        count = len(block.checks)
        return [badge(view, f"{count} state check{'s' * (count != 1)}")]
    record = view.record
    result: list[nodes.Node] = []
    if block.kind is Kind.RUN:
        outputs = None
        if record is not None and record.status == Status.PASSED and record.outputs:
            first = block.hosts[0] if block.hosts[0] in record.outputs else next(
                iter(record.outputs))
            outputs = record.outputs[first]
        result.append(_console(run_text(block, outputs)))
        if record is not None and record.captures:
            text = "captured: " + ", ".join(f"${{{k}}} = {v}" for k, v in
                                              sorted(record.captures.items()))
            result.append(nodes.paragraph(text, text, classes=["deploydocs-captures"]))
    elif block.kind is Kind.FILE:
        hosts = " ".join(block.hosts)
        caption = f"{block.argument} on {hosts} ({block.options.owner}, {block.options.mode:04o})"
        result.append(nodes.paragraph(caption, "", nodes.literal(block.argument, block.argument),
                                      nodes.Text(f" on {hosts} ({block.options.owner}, "
                                                 f"{block.options.mode:04o})"),
                                      classes=["deploydocs-file"]))
        text = "\n".join(block.content)
        literal = nodes.literal_block(text, text)
        literal["language"] = block.options.language or "text"
        result.append(literal)
    elif block.kind is Kind.FAULT:
        text = f"Fault injected on {' '.join(block.hosts)}: {block.options.action}"
        result.append(nodes.paragraph(text, text, classes=["deploydocs-fault"]))
    elif block.kind is Kind.HEAL:
        text = f"Fault healed on {' '.join(block.hosts)}"
        result.append(nodes.paragraph(text, text, classes=["deploydocs-fault"]))
    result.append(badge(view))
    return result


Row = tuple[str, Block, View]


def report_table(rows: Sequence[Row], link: Callable[[str], str]) -> nodes.table:
    """The verification table: page, line, kind, host, session, status, duration, reason."""
    headers = ["Page", "Line", "Block", "Host", "Session", "Status", "Duration", "Reason"]
    table = nodes.table(classes=["deploydocs-report"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in (20, 6, 10, 14, 10, 12, 8, 30):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.Text(h) for h in headers])
    body = nodes.tbody()
    group += body
    for docname, block, view in rows:
        record = view.record
        ref = nodes.reference("", docname, refuri=link(docname), internal=True)
        reason = (record.reason if record else view.note) or ""
        if record and record.cached:
            reason = (reason + " (from cache)").strip()
        duration = f"{record.duration:.1f}s" if record and record.status != Status.NOT_RUN else ""
        body += _row([
            ref, nodes.Text(str(block.lineno)), nodes.Text(block.kind.value),
            nodes.Text(" ".join(block.hosts)),
            nodes.Text(block.session if block.kind in (Kind.RUN, Kind.CHECK) else ""),
            nodes.Text(view.status), nodes.Text(duration), nodes.Text(reason),
        ])
    return table


def _row(cells: Sequence[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        para = nodes.paragraph()
        para += cell
        entry += para
        row += entry
    return row
