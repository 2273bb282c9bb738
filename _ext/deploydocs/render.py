"""Fill the placeholders: each block is rendered by its kind; the report page gets its parts.

What a block looks like is its kind's ``render`` hook
(:mod:`deploydocs.kinds`), built from :mod:`deploydocs.display`. The report
page gets a chart (:mod:`deploydocs.chart`), a *Lab* section and the table
of every block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from docutils import nodes

from deploydocs.blocks import Block
from deploydocs.chart import chart_html, chart_summary, tally
from deploydocs.display import DEFAULT_NODES, SKIPPED, View
from deploydocs.kinds import spec_for
from deploydocs.records import BlockRecord, Status, fingerprint_id
from deploydocs.report import lab_lines


def block_nodes(block: Block, view: View,
                lab_nodes: Sequence[str] = DEFAULT_NODES) -> list[nodes.Node]:
    """The nodes that replace one block's placeholder (none for a hidden block).

    *lab_nodes* are the lab's nodes, which ``all`` stands for in a block's
    label when its record does not say.
    """
    if block.options.hide:
        return []
    return spec_for(block.kind).render(block, view, lab_nodes)


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
            ref, nodes.Text(str(block.lineno)), nodes.Text(block.kind),
            nodes.Text(" ".join(block.hosts)),
            nodes.Text(block.session if spec_for(block.kind).shows_session else ""),
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
