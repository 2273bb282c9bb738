"""Report: warnings at file:LINE, the summary line, JUnit XML and transcripts.

Everything here formats data the runner produced; nothing runs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from deploydocs.blocks import Block
from deploydocs.records import BlockRecord, Status, write_atomic
from deploydocs.runner import Failure

INDENT = "    "


def failure_message(failure: Failure) -> str:
    """The text of the Sphinx warning for one failed block (location is added by Sphinx)."""
    block, record = failure.block, failure.record
    where = f"{failure.host}[{block.session}]" if failure.host else " ".join(record.hosts)
    lines = [f"{block.kind.value} failed on {where}: {record.reason}"]
    body = failure.message.splitlines()
    if body and body[0] == record.reason:
        body = body[1:]
    lines.extend(INDENT + line for line in body)
    if failure.transcript_tail:
        lines.append(f"last transcript lines of {where}:")
        lines.extend(INDENT + line for line in failure.transcript_tail)
    if failure.diagnostics.strip():
        lines.append(f"diagnostics from {failure.host}:")
        lines.extend(INDENT + line for line in failure.diagnostics.rstrip().splitlines())
    return "\n".join(lines)


def failure_line(failure: Failure) -> int:
    """The line to point at: the failing command's, else the directive's."""
    return failure.lineno or failure.block.lineno


def summary(records: Iterable[BlockRecord], count_cached: bool = True) -> str:
    """``N passed, N failed, N not run`` with not-run reasons grouped.

    >>> r = [BlockRecord("a", 1, "lab-run", ["n"], "s", Status.PASSED),
    ...      BlockRecord("b", 2, "lab-run", ["n"], "s", Status.NOT_RUN, "verwalter absent"),
    ...      BlockRecord("c", 3, "lab-run", ["n"], "s", Status.NOT_RUN, "verwalter absent")]
    >>> summary(r)
    '1 passed, 0 failed, 2 not run (verwalter absent: 2 blocks)'
    """
    records = list(records)
    counts = Counter(r.status for r in records)
    cached = sum(1 for r in records if r.cached) if count_cached else 0
    text = f"{counts[Status.PASSED]} passed"
    if cached:
        text += f" ({cached} from cache)"
    text += f", {counts[Status.FAILED]} failed, {counts[Status.NOT_RUN]} not run"
    reasons = Counter(r.reason for r in records if r.status == Status.NOT_RUN)
    if reasons:
        grouped = "; ".join(f"{reason}: {n} block{'s' if n != 1 else ''}"
                            for reason, n in reasons.most_common())
        text += f" ({grouped})"
    return text


def stand_in_summary(rows: Iterable[tuple[Block, BlockRecord | None]],
                     where: Callable[[Block], str] = lambda b: b.location
                     ) -> dict[str, list[str]]:
    """Stand-in name → locations of the blocks it covered."""
    covered: dict[str, list[str]] = {}
    for block, _ in rows:
        if block.options.stand_in:
            covered.setdefault(block.options.stand_in, []).append(where(block))
    return covered


def junit_xml(rows: Sequence[tuple[Block, BlockRecord]], relpath: Mapping[str, str]) -> str:
    """JUnit XML: one testsuite per document, one testcase per block."""
    suites = ET.Element("testsuites", name="deploydocs")
    by_doc: dict[str, list[tuple[Block, BlockRecord]]] = {}
    for block, record in rows:
        by_doc.setdefault(block.docname, []).append((block, record))
    for doc, items in by_doc.items():
        suite = ET.SubElement(suites, "testsuite", name=relpath.get(doc, doc),
                              tests=str(len(items)),
                              failures=str(sum(r.status == Status.FAILED for _, r in items)),
                              skipped=str(sum(r.status == Status.NOT_RUN for _, r in items)),
                              time=f"{sum(r.duration for _, r in items):.3f}")
        for block, record in items:
            case = ET.SubElement(
                suite, "testcase", classname=relpath.get(doc, doc).replace("/", "."),
                name=f"line {block.lineno} {block.kind.value} {' '.join(record.hosts)}",
                file=relpath.get(doc, doc), line=str(block.lineno),
                time=f"{record.duration:.3f}")
            if record.status == Status.FAILED:
                failure = ET.SubElement(case, "failure", message=record.reason)
                failure.text = record.diff
            elif record.status == Status.NOT_RUN:
                ET.SubElement(case, "skipped", message=record.reason)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_outputs(outdir: Path, junit: str, transcripts: Mapping[tuple[str, str], list[str]],
                  summary_line: str) -> Path:
    """Write ``deploydocs/junit.xml``, ``summary.txt`` and per-session transcripts."""
    base = outdir / "deploydocs"
    write_atomic(base / "junit.xml", junit)
    write_atomic(base / "summary.txt", summary_line + "\n")
    for (host, session), lines in transcripts.items():
        write_atomic(base / "transcripts" / f"{host}-{session}.txt", "\n".join(lines) + "\n")
    return base
