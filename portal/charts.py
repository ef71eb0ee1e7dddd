"""Bar charts drawn on the server as SVG, for the public statistics and the campaign dashboard:
no script, nothing loaded from elsewhere, readable with the page's strict CSP. Each chart is an
image with a text name (``role="img"``), and its page puts the same figures in a table after it,
the alternative for screen readers and for print.

A count that is not published is never drawn to scale, so that no chart hints at it: a
suppressed count (None, shown as "<10") or a masked one (any other non-integer, shown as "s").

- ``bar_chart``: horizontal bars grouped by row, one per series, as geometry that the
  statistics template writes out;
- ``column_chart``: vertical bars, one per (label, count), the first and last labels on the axis;
- ``funnel_chart``: horizontal bars, one per step, each with its name and its count.
The last two return the SVG markup itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
BLUE = "#000091"  # DSFR blue France
RED = "#a94645"  # a red with 3:1 contrast on white
MUTED = "#666666"
INK = "#161616"
COLOURS = (BLUE, RED)

# bar_chart: each row's label sits on its own line above its bars, so long labels fit
LABEL_HEIGHT, VALUE_WIDTH, BAR_HEIGHT, GAP = 20, 70, 16, 10
# column_chart
HEIGHT = 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 48, 36, 16


def drawn(count) -> bool:
    """Whether a count is published, and so gets a bar to scale."""
    return isinstance(count, int)


def scale_top(counts) -> int:
    """The count the longest bar stands for; 1 when nothing is drawn (no count, or only zeros)."""
    return max((count for count in counts if drawn(count)), default=0) or 1


def count_text(count: int | None, suppressed: str) -> str:
    """A count as the campaign charts write it: thousands apart by a narrow space."""
    return suppressed if count is None else f"{count:,}".replace(",", "\u202f")


def _svg(height: int, name: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'role="img" aria-label="{escape(name)}" focusable="false" class="campaign-chart">')


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value_text: str
    text_x: float


@dataclass(frozen=True)
class Row:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Legend:
    label: str
    colour: str
    x: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    rows: list[Row]
    legend: list[Legend]


def bar_chart(chart_id: str, title: str, description: str, rows: list[tuple[str, list[int | None]]],
              series: list[str], display) -> BarChart:
    """Horizontal bars, one group per row and one bar per series; ``display`` formats a count.
    A count that is not drawn gets no bar, only its text."""
    scale = (WIDTH - VALUE_WIDTH) / scale_top(v for _, counts in rows for v in counts)
    group = BAR_HEIGHT * len(series)
    legend_height = 24 if len(series) > 1 else 0
    y = legend_height + GAP
    chart_rows = []
    for label, counts in rows:
        bars = []
        label_y = y + LABEL_HEIGHT - 6
        y += LABEL_HEIGHT
        for index, count in enumerate(counts):
            bar_y = y + index * BAR_HEIGHT
            length = max(count * scale, 1) if drawn(count) else 0
            bars.append(Bar(0, bar_y, length, BAR_HEIGHT - 2, COLOURS[index % len(COLOURS)],
                            display(count), length + 4))
        chart_rows.append(Row(label, label_y, bars))
        y += group + GAP
    legend = [Legend(name, COLOURS[i % len(COLOURS)], i * 160) for i, name in enumerate(series)]
    return BarChart(chart_id, title, description, WIDTH, int(y), chart_rows, legend if len(series) > 1 else [])


def column_chart(points: list[tuple[str, int | None]], *, name: str, suppressed: str = "<10") -> Markup:
    """Vertical bars, one per (label, count); the first and last labels are written on the axis.
    A count that is not drawn is a flat grey mark on the axis."""
    if not points:
        return Markup("")
    plot_w, plot_h = WIDTH - MARGIN_LEFT - 8, HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    top = scale_top(c for _, c in points)
    step = plot_w / len(points)
    bar_w = max(step * 0.8, 1.0)
    parts = [
        _svg(HEIGHT, name),
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{WIDTH - 8}" y2="{MARGIN_TOP + plot_h}" stroke="{MUTED}"/>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" font-size="12" fill="{MUTED}">{escape(count_text(top, suppressed))}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + plot_h}" text-anchor="end" font-size="12" fill="{MUTED}">0</text>',
    ]
    for index, (label, count) in enumerate(points):
        x = MARGIN_LEFT + index * step + (step - bar_w) / 2
        if not drawn(count):
            parts.append(f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - 2}" width="{bar_w:.1f}" height="2" fill="{MUTED}">'
                         f'<title>{escape(label)} : {escape(suppressed)}</title></rect>')
            continue
        h = plot_h * count / top
        parts.append(f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{BLUE}">'
                     f'<title>{escape(label)} : {escape(count_text(count, suppressed))}</title></rect>')
    baseline = HEIGHT - MARGIN_BOTTOM + 18
    parts.append(f'<text x="{MARGIN_LEFT}" y="{baseline}" font-size="12" fill="{MUTED}">{escape(points[0][0])}</text>')
    if len(points) > 1:
        parts.append(f'<text x="{WIDTH - 8}" y="{baseline}" text-anchor="end" font-size="12" fill="{MUTED}">{escape(points[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_chart(steps: list[tuple[str, int | None]], *, name: str, suppressed: str = "<10") -> Markup:
    """Horizontal bars, one per funnel step, each labelled with its name and its count. A count
    that is not drawn is a short grey mark."""
    row, label_w = 36, 200
    top = scale_top(c for _, c in steps)
    plot_w = WIDTH - label_w - 80
    parts = [_svg(row * len(steps) + 8, name)]
    for index, (label, count) in enumerate(steps):
        y = 4 + index * row
        w = max(plot_w * count / top, 2) if drawn(count) else 2
        fill = BLUE if drawn(count) else MUTED
        parts.append(f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" font-size="14" fill="{INK}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 6}" width="{w:.1f}" height="24" fill="{fill}"/>')
        parts.append(f'<text x="{label_w + w + 8:.1f}" y="{y + 22}" font-size="14" fill="{INK}">{escape(count_text(count, suppressed))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
