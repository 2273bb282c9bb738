"""The report's chart: one horizontal stacked bar per document, drawn as inline SVG.

Everything here is plain Python producing text: no JavaScript, no download,
nothing but the standard library. :func:`tally` counts the blocks of each
document by *category* (passed, failed, each kind of not-run reason, never
verified); :func:`chart_svg` draws the counts; :func:`chart_summary` says the
same in one sentence, for screen readers and for builders that cannot show
SVG.

Colour is never the only cue: failed and not-run segments carry a pattern
(stripes, dots, hatching), segments wide enough show their count, each
segment has a ``<title>`` shown on hover, and the legend gives every
category with its total.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

PASSED = "passed"
FAILED = "failed"
NEVER = "never verified"
NOT_RUN = "not run"
SKIPPED = "skipped"

SHORT_REASON = 32
"""A not-run reason at most this long (details in brackets removed) is its own category."""

WIDTH = 800
LABEL_WIDTH = 180
COUNT_WIDTH = 80
BAR_WIDTH = WIDTH - LABEL_WIDTH - COUNT_WIDTH
ROW_HEIGHT = 24
BAR_HEIGHT = 18
CHAR_WIDTH = 7.6
"""Rough width of one character at the chart's 13px font, for laying out text."""

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies),
# each paired with a pattern so that print in grey and every reader can still tell
# the categories apart.
_FIXED_STYLES = {
    PASSED: ("#009E73", "solid"),
    FAILED: ("#D55E00", "stripes"),
    NEVER: ("#BBBBBB", "solid"),
}
_NOT_RUN_STYLES = (
    ("#E69F00", "dots"),
    ("#56B4E9", "hatch"),
    ("#CC79A7", "bars"),
    ("#F0E442", "back-stripes"),
    ("#0072B2", "dots"),
    ("#999933", "hatch"),
)


def reason_category(reason: str) -> str:
    """The group a not-run *reason* is counted in on the chart.

    Details in brackets are dropped; what is left names the category when it
    is short, else its part before the first ``:``.

    >>> reason_category("vagga absent")
    'vagga absent'
    >>> reason_category("earlier block failed (tutorial/lithos.rst:40)")
    'earlier block failed'
    >>> reason_category("needs the internet: pip downloads from pypi.org")
    'needs the internet'
    >>> reason_category("skipped: real tool ran instead")
    'skipped: real tool ran instead'
    >>> reason_category("")
    'no reason given'
    """
    text = re.sub(r"\s*\([^()]*\)", "", reason).strip() or reason.strip()
    if not text:
        return "no reason given"
    if len(text) <= SHORT_REASON:
        return text
    head = text.split(":", 1)[0].strip()
    if len(head) <= SHORT_REASON:
        return head
    return head[:SHORT_REASON - 1].rstrip() + "…"


def category(status: str, reason: str = "") -> str:
    """The chart category of one block from its status and reason.

    Not-run and skipped blocks are split by reason (:func:`reason_category`).

    >>> category("passed"), category("not run", "cantal-agent absent")
    ('passed', 'not run: cantal-agent absent')
    >>> category("skipped", "real verwalter ran instead (verwalter at line 40)")
    'skipped: real verwalter ran instead'
    """
    if status in (PASSED, FAILED, NEVER):
        return status
    head = SKIPPED if status == SKIPPED else NOT_RUN
    return f"{head}: {reason_category(reason)}"


@dataclass
class Bar:
    """The counts of one document (or of the total row), by category."""

    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many blocks the bar stands for."""
        return sum(self.counts.values())


@dataclass
class ChartData:
    """What the chart draws: the bars in order, and the categories in legend order."""

    bars: list[Bar]
    categories: list[str]

    @property
    def total(self) -> Bar:
        """The sum of every bar."""
        counts = {name: sum(bar.counts.get(name, 0) for bar in self.bars)
                  for name in self.categories}
        return Bar("total", {k: v for k, v in counts.items() if v})


def tally(outcomes: Iterable[tuple[str, str, str]]) -> ChartData:
    """Count ``(document, status, reason)`` triples, keeping the documents' order.

    Categories come passed, failed, the not-run ones (most blocks first), the
    skipped ones, then never verified.

    >>> data = tally([("a", "passed", ""), ("a", "not run", "vagga absent"),
    ...               ("b", "not run", "vagga absent"), ("b", "failed", "output differs")])
    >>> [(bar.label, bar.counts) for bar in data.bars]
    [('a', {'passed': 1, 'not run: vagga absent': 1}), ('b', {'not run: vagga absent': 1, \
'failed': 1})]
    >>> data.categories
    ['passed', 'failed', 'not run: vagga absent']
    """
    bars: dict[str, Bar] = {}
    for document, status, reason in outcomes:
        bar = bars.setdefault(document, Bar(document))
        name = category(status, reason)
        bar.counts[name] = bar.counts.get(name, 0) + 1
    totals: dict[str, int] = {}
    for bar in bars.values():
        for name, count in bar.counts.items():
            totals[name] = totals.get(name, 0) + count
    def most_first(head: str) -> list[str]:
        return sorted((n for n in totals if n.startswith(f"{head}: ")),
                      key=lambda n: (-totals[n], n))

    order = [n for n in (PASSED, FAILED) if n in totals] + most_first(NOT_RUN) + (
        most_first(SKIPPED)) + ([NEVER] if NEVER in totals else [])
    return ChartData(list(bars.values()), order)


def styles(categories: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Category → (colour, pattern name); not-run categories take the next free style.

    >>> styles(["passed", "not run: a", "not run: b"])["not run: b"]
    ('#56B4E9', 'hatch')
    """
    result: dict[str, tuple[str, str]] = {}
    index = 0
    for name in categories:
        if name in _FIXED_STYLES:
            result[name] = _FIXED_STYLES[name]
        else:
            result[name] = _NOT_RUN_STYLES[index % len(_NOT_RUN_STYLES)]
            index += 1
    return result


def _plural(count: int) -> str:
    return f"{count} block{'s' * (count != 1)}"


def describe_bar(bar: Bar, categories: Sequence[str]) -> str:
    """One bar in words: ``a: 3 blocks — 2 passed, 1 not run (vagga absent)``.

    >>> describe_bar(Bar("a", {"passed": 2, "not run: vagga absent": 1}),
    ...              ["passed", "not run: vagga absent"])
    'a: 3 blocks — 2 passed, 1 not run (vagga absent)'
    """
    parts = []
    for name in categories:
        count = bar.counts.get(name, 0)
        if not count:
            continue
        head, _, why = name.partition(": ")
        if why:
            parts.append(f"{count} {head} ({why})")
        else:
            parts.append(f"{count} {name}")
    return f"{bar.label}: {_plural(bar.total)} — {', '.join(parts) or 'none'}"


def chart_summary(data: ChartData) -> str:
    """The chart as one paragraph of text: the total first, then each document.

    >>> chart_summary(tally([("a", "passed", ""), ("b", "failed", "")]))
    'Blocks per page: total: 2 blocks — 1 passed, 1 failed. a: 1 block — 1 passed. \
b: 1 block — 1 failed.'
    """
    lines = [describe_bar(data.total, data.categories)]
    lines.extend(describe_bar(bar, data.categories) for bar in data.bars)
    return "Blocks per page: " + " ".join(f"{line}." for line in lines)


def _pattern(pid: str, colour: str, kind: str) -> str:
    """A ``<pattern>`` filling with *colour* and drawing *kind* marks over it."""
    marks = {
        "stripes": '<path d="M0,8 L8,0 M-2,2 L2,-2 M6,10 L10,6" stroke="#fff" '
                   'stroke-width="2"/>',
        "back-stripes": '<path d="M0,0 L8,8 M6,-2 L10,2 M-2,6 L2,10" stroke="#000" '
                        'stroke-opacity="0.45" stroke-width="1.5"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#000" fill-opacity="0.5"/>',
        "hatch": '<path d="M0,8 L8,0 M0,0 L8,8" stroke="#fff" stroke-width="1.2"/>',
        "bars": '<path d="M4,0 L4,8" stroke="#fff" stroke-width="2"/>',
    }[kind]
    return (f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>')


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(v)}"
                    for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def segment_widths(bar: Bar, categories: Sequence[str],
                   width: float = BAR_WIDTH) -> list[tuple[str, int, float]]:
    """``(category, count, width)`` of each non-empty segment; every bar spans *width*.

    Bars are shares of their document, so that a short chapter with a failure
    stands out as much as a long one.

    >>> segment_widths(Bar("a", {"passed": 3, "failed": 1}), ["passed", "failed"], 100)
    [('passed', 3, 75.0), ('failed', 1, 25.0)]
    """
    total = bar.total
    return [(name, bar.counts[name], width * bar.counts[name] / total)
            for name in categories if bar.counts.get(name)] if total else []


def _bar(bar: Bar, y: float, data: ChartData, fills: Mapping[str, str], *,
         bold: bool = False) -> list[str]:
    weight = {"font_weight": "bold"} if bold else {}
    out = [f'<g class="deploydocs-chart-bar" data-document={quoteattr(bar.label)}>',
           _text(LABEL_WIDTH - 8, y + BAR_HEIGHT - 5, bar.label, text_anchor="end", **weight)]
    x = float(LABEL_WIDTH)
    for name, count, width in segment_widths(bar, data.categories):
        share = 100 * count / bar.total
        tip = f"{bar.label}: {count} of {_plural(bar.total)} {name} ({share:.0f}%)"
        out.append(f'<g class="deploydocs-chart-segment" data-category={quoteattr(name)} '
                   f'data-count="{count}"><title>{escape(tip)}</title>'
                   f'<rect x="{x:.2f}" y="{y:.1f}" width="{width:.2f}" height="{BAR_HEIGHT}" '
                   f'fill="{fills[name]}" stroke="#fff" stroke-width="1"/>')
        label = str(count)
        if width >= CHAR_WIDTH * len(label) + 6:
            # A white halo keeps the number legible over any colour or pattern.
            out.append(_text(x + width / 2, y + BAR_HEIGHT - 5, label, text_anchor="middle",
                             class_="deploydocs-chart-count", font_weight="bold",
                             paint_order="stroke", stroke="#fff", stroke_width="3",
                             stroke_linejoin="round"))
        out.append("</g>")
        x += width
    out.append(_text(WIDTH - COUNT_WIDTH + 8, y + BAR_HEIGHT - 5, _plural(bar.total), **weight))
    out.append("</g>")
    return out


def _legend(data: ChartData, y: float, fills: Mapping[str, str]) -> tuple[list[str], float]:
    """Legend items flowing left to right, wrapping; returns the SVG and the height used."""
    total = data.total
    out = ['<g class="deploydocs-chart-legend">']
    x, line = 0.0, 0
    for name in data.categories:
        text = f"{name} ({total.counts.get(name, 0)})"
        item = 14 + 6 + CHAR_WIDTH * len(text) + 18
        if x and x + item > WIDTH:
            x, line = 0.0, line + 1
        top = y + line * ROW_HEIGHT
        out.append(f'<g class="deploydocs-chart-key" data-category={quoteattr(name)} '
                   f'data-count="{total.counts.get(name, 0)}">'
                   f'<rect x="{x:.1f}" y="{top:.1f}" width="14" height="14" '
                   f'fill="{fills[name]}" stroke="#555" stroke-width="0.5"/>'
                   + _text(x + 20, top + 11.5, text) + "</g>")
        x += item
    out.append("</g>")
    return out, (line + 1) * ROW_HEIGHT if data.categories else 0


def chart_svg(data: ChartData, *, prefix: str = "deploydocs-chart") -> str:
    """The chart as an ``<svg>`` element: bars, a total row, a legend, and text alternatives.

    *prefix* starts every ``id`` inside, so that two charts on a page do not clash.
    """
    colours = styles(data.categories)
    defs, fills = [], {}
    for index, name in enumerate(data.categories):
        colour, kind = colours[name]
        if kind == "solid":
            fills[name] = colour
        else:
            pid = f"{prefix}-p{index}"
            defs.append(_pattern(pid, colour, kind))
            fills[name] = f"url(#{pid})"
    body: list[str] = []
    y = 4.0
    for bar in data.bars:
        body.extend(_bar(bar, y, data, fills))
        y += ROW_HEIGHT
    y += 4
    body.append(f'<line x1="{LABEL_WIDTH}" x2="{WIDTH - COUNT_WIDTH}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="#555" stroke-width="1"/>')
    y += 6
    body.extend(_bar(data.total, y, data, fills, bold=True))
    y += ROW_HEIGHT + 12
    legend, used = _legend(data, y, fills)
    body.extend(legend)
    height = y + used
    title = "Verification results per page"
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="deploydocs-chart-svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" '
        f'font-family="sans-serif" font-size="13">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        f'<desc id="{prefix}-desc">{escape(chart_summary(data))}</desc>',
        f"<defs>{''.join(defs)}</defs>",
        *body,
        "</svg>",
    ])


def chart_html(data: ChartData, *, prefix: str = "deploydocs-chart") -> str:
    """The chart in a ``<figure>`` whose caption gives the totals in words."""
    caption = describe_bar(data.total, data.categories)
    return (f'<figure class="deploydocs-chart">\n{chart_svg(data, prefix=prefix)}\n'
            f"<figcaption>Blocks per page ({escape(caption)}); hover a segment for its "
            "count, the table below lists every block.</figcaption>\n</figure>\n")
