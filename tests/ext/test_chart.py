"""The report's per-page chart: counts, segment widths, legend, text alternatives, builds."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from deploydocs.blocks import Block
from deploydocs.chart import (
    BAR_WIDTH,
    LABEL_WIDTH,
    chart_html,
    chart_summary,
    chart_svg,
    reason_category,
    tally,
)
from deploydocs.records import BlockRecord, Status
from deploydocs.render import View, chart_node
from docutils import nodes

from tests.ext.conftest import REPO, build

SVG = "{http://www.w3.org/2000/svg}"


def record(doc: str, status: str, reason: str = "") -> tuple[str, BlockRecord]:
    return doc, BlockRecord("id", 1, "lab-run", ["node1"], "default", status, reason)


FAKE = [
    *[record("tutorial/first", Status.PASSED) for _ in range(3)],
    record("tutorial/first", Status.FAILED, "output differs"),
    record("tutorial/second", Status.PASSED),
    record("tutorial/second", Status.NOT_RUN, "cantal-agent absent"),
    record("tutorial/second", Status.NOT_RUN, "needs the internet: pip downloads Django"),
    record("tutorial/second", Status.NOT_RUN, "needs the internet: git clones the scheduler"),
    record("tutorial/third", Status.NOT_RUN, "earlier block failed (tutorial/third.rst:12)"),
    record("tutorial/third", "skipped", "real verwalter ran instead (verwalter at line 40)"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "deploydocs-chart-bar"]


def segments(bar: ET.Element) -> list[ET.Element]:
    return [g for g in bar.iter(f"{SVG}g") if g.get("class") == "deploydocs-chart-segment"]


@pytest.fixture()
def chart() -> ET.Element:
    data = tally((doc, r.status, r.reason) for doc, r in FAKE)
    return parse(chart_svg(data))


def test_reasons_group_by_their_prefix_or_whole_when_short() -> None:
    assert reason_category("needs the internet: pip downloads Django") == "needs the internet"
    assert reason_category("needs the internet: git clones the scheduler") == (
        "needs the internet")
    assert reason_category("verwalter, cantal-agent absent") == (
        "verwalter, cantal-agent absent")
    assert reason_category("earlier block failed (tutorial/x.rst:9)") == "earlier block failed"
    long = "a reason without any colon that goes on and on for a while"
    assert reason_category(long).endswith("…") and len(reason_category(long)) <= 32


def test_one_bar_per_document_in_order_then_the_total(chart: ET.Element) -> None:
    assert [b.get("data-document") for b in bars(chart)] == [
        "tutorial/first", "tutorial/second", "tutorial/third", "total"]


def test_segments_count_the_blocks_and_share_the_bar_by_count(chart: ET.Element) -> None:
    first, second, third, total = bars(chart)
    counts = [(s.get("data-category"), int(s.get("data-count"))) for s in segments(first)]
    assert counts == [("passed", 3), ("failed", 1)]
    widths = [float(s.find(f"{SVG}rect").get("width")) for s in segments(first)]
    assert widths == pytest.approx([BAR_WIDTH * 3 / 4, BAR_WIDTH / 4])
    # Both internet reasons land in one segment.
    assert {s.get("data-category"): int(s.get("data-count")) for s in segments(second)} == {
        "passed": 1, "not run: cantal-agent absent": 1, "not run: needs the internet": 2}
    assert [s.get("data-category") for s in segments(third)] == [
        "not run: earlier block failed", "skipped: real verwalter ran instead"]
    for bar in (first, second, third, total):
        rects = [s.find(f"{SVG}rect") for s in segments(bar)]
        assert float(rects[0].get("x")) == LABEL_WIDTH
        assert sum(float(r.get("width")) for r in rects) == pytest.approx(BAR_WIDTH)
    assert sum(int(s.get("data-count")) for s in segments(total)) == len(FAKE)


def test_every_segment_has_a_hover_title_and_shows_its_count_when_it_fits(
        chart: ET.Element) -> None:
    passed = segments(bars(chart)[0])[0]
    assert passed.find(f"{SVG}title").text == "tutorial/first: 3 of 4 blocks passed (75%)"
    assert passed.find(f"{SVG}text").text == "3"
    data = tally([("big", Status.PASSED, "")] * 199 + [("big", Status.FAILED, "x")])
    tiny = segments(bars(parse(chart_svg(data)))[0])[1]
    assert tiny.get("data-category") == "failed"
    assert tiny.find(f"{SVG}text") is None  # 1/200 of the bar: too narrow for a number
    assert "1 of 200 blocks failed" in tiny.find(f"{SVG}title").text


def test_the_legend_names_each_category_with_its_count(chart: ET.Element) -> None:
    keys = [g for g in chart.iter(f"{SVG}g") if g.get("class") == "deploydocs-chart-key"]
    assert [k.find(f"{SVG}text").text for k in keys] == [
        "passed (4)", "failed (1)", "not run: needs the internet (2)",
        "not run: cantal-agent absent (1)", "not run: earlier block failed (1)",
        "skipped: real verwalter ran instead (1)"]


def test_failed_and_not_run_are_patterned_not_only_coloured(chart: ET.Element) -> None:
    patterns = {p.get("id") for p in chart.iter(f"{SVG}pattern")}
    fills = {s.get("data-category"): s.find(f"{SVG}rect").get("fill")
             for bar in bars(chart) for s in segments(bar)}
    assert re.fullmatch(r"#[0-9A-F]{6}", fills["passed"])
    for name, fill in fills.items():
        if name != "passed":
            assert fill.startswith("url(#") and fill[5:-1] in patterns, (name, fill)
    assert len({fills[n] for n in fills}) == len(fills)


def test_the_chart_has_a_text_alternative() -> None:
    data = tally((doc, r.status, r.reason) for doc, r in FAKE)
    root = parse(chart_svg(data))
    assert root.get("role") == "img"
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    title_id, desc_id = root.get("aria-labelledby").split()
    assert ids[title_id].tag == f"{SVG}title"
    assert ids[desc_id].text == chart_summary(data)
    assert "tutorial/first: 4 blocks — 3 passed, 1 failed." in chart_summary(data)
    html = chart_html(data)
    assert "<figcaption>" in html and "total: 10 blocks — 4 passed, 1 failed" in html


def test_html_gets_raw_svg_and_other_builders_the_summary() -> None:
    block = Block("lab-run", "tutorial/first", "first.rst", 3, ("node1",))
    rows = [(doc, block, View(r)) for doc, r in FAKE]
    rows.append(("tutorial/fourth", block, View(None, note="no verify run recorded")))
    raw = chart_node(rows, html=True)
    assert isinstance(raw, nodes.raw) and raw["format"] == "html"
    assert raw.astext().count('class="deploydocs-chart-bar"') == 5
    assert 'data-category="never verified"' in raw.astext()
    text = chart_node(rows, html=False)
    assert isinstance(text, nodes.paragraph) and "<svg" not in text.astext()
    assert "tutorial/fourth: 1 block — 1 never verified." in text.astext()


def test_the_report_page_of_a_verified_project_draws_one_bar_per_page(
        project: Path, local_lab_root: Path) -> None:
    build(project, "verify")
    render = build(project, "render", out="render", fresh=True)
    assert "WARNING" not in render.warnings, render.warnings
    report = render.html("report")
    svg = parse(re.search(r"<svg.*?</svg>", report, re.S).group(0))
    assert [b.get("data-document") for b in bars(svg)] == ["basics", "files", "faults", "total"]
    total = {s.get("data-category"): int(s.get("data-count")) for s in segments(bars(svg)[-1])}
    assert total == {"passed": 23, "not run: verwalter absent": 1}
    # The chart comes before the table, the lab section lists the tools.
    assert report.index("<svg") < report.index('class="deploydocs-lab') < report.index(
        "<table")


def _pages_with_blocks() -> list[str]:
    order = re.findall(r"^   ([\w-]+)$", (REPO / "tutorial" / "index.rst").read_text(), re.M)
    return [f"tutorial/{page}" for page in order
            if re.search(r"^\.\. lab-(run|file|check|fault|heal)::",
                         (REPO / "tutorial" / f"{page}.rst").read_text(), re.M)]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_site_report_draws_one_bar_per_tutorial_page(tmp_path: Path) -> None:
    from sphinx.cmd.build import build_main

    os.environ["DEPLOYDOCS_MODE"] = "render"
    assert build_main(["-b", "html", "-q", "-d", str(tmp_path / "doctrees"), str(REPO),
                       str(tmp_path / "html")]) == 0
    page = (tmp_path / "html" / "reference" / "verification.html").read_text()
    svg = parse(re.search(r"<svg.*?</svg>", page, re.S).group(0))
    documents = [b.get("data-document") for b in bars(svg)]
    assert documents == [*_pages_with_blocks(), "total"]
    rows = len(re.findall(r"<tr", page.split("<tbody", 1)[1]))
    total = sum(int(s.get("data-count")) for s in segments(bars(svg)[-1]))
    assert total == rows
