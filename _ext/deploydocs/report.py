"""Report: warnings at file:LINE, the summary line, JUnit XML and transcripts.

Everything here formats data the runner produced; nothing runs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploydocs.blocks import Block
from deploydocs.records import BlockRecord, Status, with_observed, write_atomic
from deploydocs.results import Failure

INDENT = "    "
SHA_SHOWN = 12
"""Hex digits of a binary's sha256 shown on the page (the record keeps all 64)."""
NO_SHA = "sha256 not recorded"


def failure_message(failure: Failure) -> str:
    """The text of the Sphinx warning for one failed block (location is added by Sphinx)."""
    block, record = failure.block, failure.record
    where = f"{failure.host}[{block.session}]" if failure.host else " ".join(record.hosts)
    lines = [f"{block.kind} failed on {where}: {record.reason}"]
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
    """``N passed, N failed, N not run`` with not-run reasons grouped, then the stand-in
    blocks skipped because the real tool did their job (only when there are any).

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
    skipped = Counter(r.reason.split(" (")[0] for r in records if r.status == Status.SKIPPED)
    if skipped:
        grouped = "; ".join(f"{reason}: {n} block{'s' if n != 1 else ''}"
                            for reason, n in skipped.most_common())
        text += f", {sum(skipped.values())} skipped ({grouped})"
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
                              skipped=str(sum(r.status in (Status.NOT_RUN, Status.SKIPPED)
                                              for _, r in items)),
                              time=f"{sum(r.duration for _, r in items):.3f}")
        for block, record in items:
            case = ET.SubElement(
                suite, "testcase", classname=relpath.get(doc, doc).replace("/", "."),
                name=f"line {block.lineno} {block.kind} {' '.join(record.hosts)}",
                file=relpath.get(doc, doc), line=str(block.lineno),
                time=f"{record.duration:.3f}")
            if record.status == Status.FAILED:
                failure = ET.SubElement(case, "failure", message=record.reason)
                failure.text = record.diff
            elif record.status in (Status.NOT_RUN, Status.SKIPPED):
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


@dataclass(frozen=True)
class Binary:
    """One real tool as the lab had it: version and binary hash, and where it was alike.

    :param tool: the executable's name (``cantal-agent``, ``lithos_tree``).
    :param version: the version number the tool reported (``0.6.10``); ``version not
        reported`` when the probe only found the binary; else the probe's text.
    :param sha256: the binary's full sha256 in hex, ``""`` when the record has none.
    :param hosts: the hosts holding this very binary, in the fingerprint's order.
    """

    tool: str
    version: str
    sha256: str
    hosts: tuple[str, ...]

    @property
    def short_sha(self) -> str:
        """``sha256 1a2b3c4d5e6f``, or ``sha256 not recorded``."""
        return f"sha256 {self.sha256[:SHA_SHOWN]}" if self.sha256 else NO_SHA

    def describe(self, with_hosts: bool = True) -> str:
        """``cantal-agent 0.6.10 (sha256 1a2b3c4d5e6f) on node1 node2``."""
        text = f"{self.tool} {self.version} ({self.short_sha})"
        return f"{text} on {' '.join(self.hosts)}" if with_hosts and self.hosts else text


def _version(text: str) -> str:
    found = re.search(r"\d+(?:\.\d+)+", text)
    if found:
        return found.group(0)
    return "version not reported" if text.startswith("present at") or not text else text


def _sha(value: Any) -> str:
    text = str(value or "").strip().lower()
    text = text.removeprefix("sha256:")
    return text if re.fullmatch(r"[0-9a-f]{12,64}", text) else ""


def _machines(fp: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(host, {"os", "tools", "sha256"})`` for each node (with the tools the run's
    blocks installed there), then the workstation."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    nodes = with_observed(fp).get("nodes")
    if isinstance(nodes, Mapping):
        found.extend((str(name), info) for name, info in nodes.items()
                     if isinstance(info, Mapping))
    workstation = fp.get("workstation")
    if isinstance(workstation, Mapping):
        found.append(("workstation", workstation))
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    """*value* if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def lab_binaries(fp: Mapping[str, Any] | None) -> list[Binary]:
    """The real tools of a lab fingerprint, identical binaries across hosts grouped.

    Two hosts share a line when the tool reports the same version and, where
    the record has hashes, the same sha256. Records made before hashes were
    stored still list their tools, with ``sha256 not recorded``.

    >>> fp = {"nodes": {
    ...     "node1": {"tools": {"cantal-agent": "cantal-agent v0.6.10"},
    ...               "sha256": {"cantal-agent": "1a2b3c4d5e6f" + "0" * 52}},
    ...     "node2": {"tools": {"cantal-agent": "cantal-agent v0.6.10"},
    ...               "sha256": {"cantal-agent": "1a2b3c4d5e6f" + "0" * 52}},
    ...     "node3": {"tools": {"cantal-agent": "0.6.10"}}},
    ...     "workstation": {"tools": {"vagga": "v0.8.1"}, "sha256": {"vagga": "f" * 64}}}
    >>> for binary in lab_binaries(fp):
    ...     print(binary.describe())
    cantal-agent 0.6.10 (sha256 1a2b3c4d5e6f) on node1 node2
    cantal-agent 0.6.10 (sha256 not recorded) on node3
    vagga 0.8.1 (sha256 ffffffffffff) on workstation
    >>> lab_binaries(None)
    []
    """
    if not fp:
        return []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for host, info in _machines(fp):
        tools = _mapping(info.get("tools"))
        hashes = _mapping(info.get("sha256"))
        for tool, version in tools.items():
            key = (str(tool), _version(str(version)), _sha(hashes.get(tool)))
            if host not in grouped.setdefault(key, []):
                grouped[key].append(host)
    # A fingerprint-wide tool list (older qemu records) has no host to name.
    if isinstance(fp.get("tools"), Mapping):
        for tool, version in fp["tools"].items():
            grouped.setdefault((str(tool), _version(str(version)), ""), [])
    return [Binary(tool, version, sha, tuple(hosts))
            for (tool, version, sha), hosts in sorted(grouped.items(), key=lambda kv: kv[0][0])]


def lab_lines(fp: Mapping[str, Any] | None) -> list[str]:
    """What a lab was, line by line: backend and systems, image, then one line per binary.

    >>> print("\\n".join(lab_lines({"backend": "docker", "nodes": {"node1": {
    ...     "os": "Debian GNU/Linux 12", "tools": {"lithos_tree": "0.18.4"}}},
    ...     "images": {"id": "sha256:" + "ab" * 32}})))
    docker lab: Debian GNU/Linux 12 on node1
    image sha256:abababababab
    lithos_tree 0.18.4 (sha256 not recorded) on node1
    >>> lab_lines(None)
    ['unknown lab']
    """
    if not fp:
        return ["unknown lab"]
    systems: dict[str, list[str]] = {}
    for host, info in _machines(fp):
        systems.setdefault(str(info.get("os") or "OS unknown"), []).append(host)
    where = "; ".join(f"{os_name} on {' '.join(hosts)}" for os_name, hosts in systems.items())
    lines = [f"{fp.get('backend', '?')} lab" + (f": {where}" if where else "")]
    images = fp.get("images")
    if isinstance(images, Mapping) and images.get("id"):
        lines.append(f"image sha256:{_sha(images['id'])[:SHA_SHOWN] or images['id']}")
    binaries = lab_binaries(fp)
    lines.extend(binary.describe() for binary in binaries)
    if not binaries:
        lines.append("no real tools recorded")
    return lines
