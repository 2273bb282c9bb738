"""Fill the placeholders: each block shows its output and a provenance badge.

What the reader sees for a ``lab-run`` block: a label naming the machine(s)
it runs on, the commands with ``$`` prompts and, when the block's record is
valid and passed, the output observed on the lab (raw, never normalized);
otherwise the output as written. Under it, a badge: *verified* (date, lab
fingerprint), *failed*, *not run* (hosts, reason) or *never verified* (no
record, or the block changed). The badge's tooltip lists every real tool of
the lab with its version and the start of its binary's sha256.

The report page gets a chart (:mod:`deploydocs.chart`), a *Lab* section and
the table of every block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docutils import nodes

from deploydocs.blocks import Block, Kind
from deploydocs.chart import chart_html, chart_summary, tally
from deploydocs.records import BlockRecord, Status, fingerprint_id
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


def block_nodes(block: Block, view: View,
                lab_nodes: Sequence[str] = DEFAULT_NODES) -> list[nodes.Node]:
    """The nodes that replace one block's placeholder.

    *lab_nodes* are the lab's nodes, which ``all`` stands for in a block's
    label when its record does not say.
    """
    if block.options.hide:
        return []
    if block.kind is Kind.CHECK:
        # No body: the badge sits under the step the checks belong to.
        count = len(block.checks)
        return [badge(view, f"{count} state check{'s' * (count != 1)}")]
    record = view.record
    result: list[nodes.Node] = []
    if block.kind in (Kind.RUN, Kind.FILE):
        result.append(host_label(block, record, lab_nodes))
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
        # The host label above names the machines; this line says what the file is.
        rights = f" ({block.options.owner}, {block.options.mode:04o})"
        result.append(nodes.paragraph(block.argument + rights, "",
                                      nodes.literal(block.argument, block.argument),
                                      nodes.Text(rights), classes=["deploydocs-file"]))
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


def report_nodes(rows: Sequence[Row], link: Callable[[str], str], *,
                 html: bool = True) -> list[nodes.Node]:
    """What the ``lab-report`` shows after its summary: the chart, the lab, the table.

    With *html* the chart is inline SVG (a raw HTML node); other builders get
    its summary in words.
    """
    return [chart_node(rows, html=html), lab_section(rows), report_table(rows, link)]


def chart_node(rows: Sequence[Row], *, html: bool = True) -> nodes.Node:
    """The per-page chart of *rows*: raw SVG for HTML, a paragraph of text otherwise."""
    data = tally((doc, view.status, (view.record.reason if view.record else view.note))
                 for doc, _, view in rows)
    if html:
        return nodes.raw("", chart_html(data), format="html")
    text = chart_summary(data)
    return nodes.paragraph(text, text, classes=["deploydocs-chart"])


def lab_section(rows: Sequence[Row]) -> nodes.container:
    """The *Lab* part of the report: every lab the shown records ran against, tool by tool.

    One entry per fingerprint (most blocks first), each naming the backend, the
    systems, the image and one line per real tool: version, sha256 (first 12
    hex digits) and the hosts holding that binary.
    """
    box = nodes.container(classes=["deploydocs-lab"])
    box += nodes.rubric("Lab", "Lab")
    labs: dict[str, tuple[Mapping[str, Any], list[BlockRecord]]] = {}
    for _, _, view in rows:
        if view.record is None:
            continue
        fp = view.fingerprint or {}
        labs.setdefault(fingerprint_id(fp) if fp else "", (fp, []))[1].append(view.record)
    if not labs:
        text = "No verify run is recorded, so there is no lab to describe."
        box += nodes.paragraph(text, text)
        return box
    for fp_id, (fp, records) in sorted(labs.items(), key=lambda kv: -len(kv[1][1])):
        dates = sorted(r.verified_at[:10] for r in records if r.verified_at)
        when = (f" on {dates[0]}" if dates and dates[0] == dates[-1]
                else f" from {dates[0]} to {dates[-1]}" if dates else "")
        count = len(records)
        intro = (f"{count} block{'s' * (count != 1)} recorded{when} against "
                 + (f"lab fingerprint {fp_id}:" if fp_id else "an unrecorded lab:"))
        box += nodes.paragraph(intro, intro)
        items = nodes.bullet_list(classes=["deploydocs-lab-tools"])
        for line in lab_lines(fp):
            item = nodes.list_item()
            item += nodes.paragraph(line, line)
            items += item
        box += items
    return box


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
        duration = (f"{record.duration:.1f}s" if record and record.status not in (Status.NOT_RUN,
                                                                               SKIPPED)
                    else "")
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
