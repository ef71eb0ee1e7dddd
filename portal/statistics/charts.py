"""Bar charts drawn on the server as SVG: no script, nothing loaded from elsewhere, readable
with the page's CSP, and each one followed by its data table on the page.

This module only does geometry; the template writes the SVG elements. A suppressed count
(None, shown as "<10") or masked one (shown as "s") gets no bar, only its label, so the chart
never hints at it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 720
LABEL_HEIGHT = 20  # each row's label sits on its own line above its bars: long labels fit
VALUE_WIDTH = 70
BAR_HEIGHT = 16
GAP = 10
COLOURS = ("#000091", "#a94645")  # DSFR blue France and a red with 3:1 contrast on white


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
    """Horizontal bars, one group per row and one bar per series; ``display`` formats a count."""
    values = [v for _, counts in rows for v in counts if isinstance(v, int)]
    top = max(values, default=0) or 1
    scale = (WIDTH - VALUE_WIDTH) / top
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
            length = max(count * scale, 1) if isinstance(count, int) else 0
            bars.append(Bar(0, bar_y, length, BAR_HEIGHT - 2, COLOURS[index % len(COLOURS)],
                            display(count), length + 4))
        chart_rows.append(Row(label, label_y, bars))
        y += group + GAP
    legend = [Legend(name, COLOURS[i % len(COLOURS)], i * 160) for i, name in enumerate(series)]
    return BarChart(chart_id, title, description, WIDTH, int(y), chart_rows, legend if len(series) > 1 else [])
