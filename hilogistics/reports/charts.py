"""Bar charts drawn on the server as SVG: they print in the PDFs and need no script or network.

Each chart carries a title and a text description (``<title>``/``<desc>``, named by
``aria-labelledby``); the page shows the data table beside it, so nothing is said by the
picture alone.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 72
BAR_FILL, AXIS, GRID, INK = "#2f5d8a", "#4a5260", "#d5d9df", "#14181e"
FONT = "Nanum, 'Nanum Gothic', sans-serif"
_ids = count(1)


@dataclass(frozen=True)
class BarChart:
    """Bars of whole numbers, one per label; axis captions say what is counted along each axis."""

    title: str
    description: str
    labels: Sequence[str]
    values: Sequence[int]
    x_caption: str
    y_caption: str


def worth_drawing(chart: BarChart | None) -> BarChart | None:
    """The chart, or None when no bar stands above zero: empty axes only look like a fault."""
    if chart is None or not any(chart.values):
        return None
    return chart


def nice_ticks(top: int, wanted: int = 5) -> list[int]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0:
        return [0, 1]
    raw = top / wanted
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="11" fill="{INK}"'
        f"{extra}>{escape(text)}</text>"
    )


def bar_chart_svg(
    chart: BarChart, *, element_id: str | None = None, printable: bool = False
) -> str:
    """The chart as a standalone SVG document string (safe to inline: every text is escaped).

    ``printable``: for fpdf2, which draws no ``<title>``/``<desc>`` (the PDF prints them as
    text beside the drawing).
    """
    key = element_id or f"chart-{next(_ids)}"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = nice_ticks(max(chart.values, default=0))
    top = ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{key}-t {key}-d" '
        f'class="chart">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    if not printable:
        parts[1:1] = [
            f'<title id="{key}-t">{escape(chart.title)}</title>',
            f'<desc id="{key}-d">{escape(chart.description)}</desc>',
        ]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, f"{tick:,}", text_anchor="end"))
    bars = len(chart.values)
    if bars:
        slot = plot_w / bars
        bar_w = max(slot * 0.7, 1.0)
        # Labels thin out when there are many bars, so that they never overlap.
        every = max(1, math.ceil(bars / 16))
        for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
            height = plot_h * value / top
            x = LEFT + index * slot + (slot - bar_w) / 2
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{BAR_FILL}"/>'
            )
            if index % every == 0:
                cx, cy = x + bar_w / 2, TOP + plot_h + 12
                turn = f"rotate(-40 {cx:.1f} {cy:.1f})"
                parts.append(_text(cx, cy, label, text_anchor="end", transform=turn))
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{AXIS}" stroke-width="1.5"/>'
    )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="{AXIS}" '
        f'stroke-width="1.5"/>'
    )
    parts.append(_text(LEFT + plot_w / 2, HEIGHT - 6, chart.x_caption, text_anchor="middle"))
    y_mid = TOP + plot_h / 2
    turn = f"rotate(-90 14 {y_mid:.1f})"
    parts.append(_text(14, y_mid, chart.y_caption, text_anchor="middle", transform=turn))
    parts.append("</svg>")
    return "".join(parts)
