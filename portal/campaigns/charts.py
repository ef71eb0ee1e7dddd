"""Charts drawn on the server as SVG: no script, no third-party library, readable without CSS.

Each chart is an image with a text name (``role="img"`` and ``aria-label``); the page puts the
same figures in a table next to it, which is the alternative for screen readers and for print.
A count under the threshold (None) is drawn as an empty bar labelled "<10", never as a number.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 48, 36, 16
BAR = "#000091"  # DSFR blue France
MUTED = "#666666"


def _label(count: int | None, suppressed: str) -> str:
    return suppressed if count is None else f"{count:,}".replace(",", "\u202f")


def bar_chart(points: list[tuple[str, int | None]], *, name: str, suppressed: str = "<10") -> Markup:
    """Vertical bars, one per (label, count); the first and last labels are written on the axis."""
    if not points:
        return Markup("")
    plot_w, plot_h = WIDTH - MARGIN_LEFT - 8, HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    top = max([c for _, c in points if c is not None] or [1])
    step = plot_w / len(points)
    bar_w = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(name)}" focusable="false" class="campaign-chart">',
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP + plot_h}" x2="{WIDTH - 8}" y2="{MARGIN_TOP + plot_h}" stroke="{MUTED}"/>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" font-size="12" fill="{MUTED}">{escape(_label(top, suppressed))}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + plot_h}" text-anchor="end" font-size="12" fill="{MUTED}">0</text>',
    ]
    for index, (label, count) in enumerate(points):
        x = MARGIN_LEFT + index * step + (step - bar_w) / 2
        if count is None:
            parts.append(f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - 2}" width="{bar_w:.1f}" height="2" fill="{MUTED}">'
                         f'<title>{escape(label)} : {escape(suppressed)}</title></rect>')
            continue
        h = plot_h * count / top
        parts.append(f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}">'
                     f'<title>{escape(label)} : {escape(_label(count, suppressed))}</title></rect>')
    baseline = HEIGHT - MARGIN_BOTTOM + 18
    parts.append(f'<text x="{MARGIN_LEFT}" y="{baseline}" font-size="12" fill="{MUTED}">{escape(points[0][0])}</text>')
    if len(points) > 1:
        parts.append(f'<text x="{WIDTH - 8}" y="{baseline}" text-anchor="end" font-size="12" fill="{MUTED}">{escape(points[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_chart(steps: list[tuple[str, int | None]], *, name: str, suppressed: str = "<10") -> Markup:
    """Horizontal bars, one per funnel step, each labelled with its name and its count."""
    row, label_w = 36, 200
    height = row * len(steps) + 8
    top = max([c for _, c in steps if c is not None] or [1])
    plot_w = WIDTH - label_w - 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(name)}" focusable="false" class="campaign-chart">'
    ]
    for index, (label, count) in enumerate(steps):
        y = 4 + index * row
        w = 2 if count is None else max(plot_w * count / top, 2)
        fill = MUTED if count is None else BAR
        parts.append(f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" font-size="14" fill="#161616">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 6}" width="{w:.1f}" height="24" fill="{fill}"/>')
        parts.append(f'<text x="{label_w + w + 8:.1f}" y="{y + 22}" font-size="14" fill="#161616">{escape(_label(count, suppressed))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
