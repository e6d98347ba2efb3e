"""Bar charts as server-rendered SVG, for the workspace's dashboard (issue 13, item 13).

Pure: numbers in, SVG text out; no JavaScript, no charting library. Each chart is one
`<svg role="img">` named by its `<title>` (`aria-labelledby`) and summed up by its `<desc>`
(`aria-describedby`), so a screen reader announces it as one picture; the page puts the same
numbers in a table beside it, for reading each value. Bars are horizontal, a label above
each: a long event title stays readable on a 360 px phone, and the drawing scales to the width
it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 360  # viewBox units; the SVG is drawn at the width of its container
_ROW = 44  # per bar: its label (one line), then the bar
_LABEL_SIZE = 14
_BAR_HEIGHT = 16
_VALUE_ROOM = 48  # right of the longest bar, for its number
_MAX_LABEL = 48  # characters of a label drawn in the picture (the table has it whole)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    """What one chart shows: its name, one sentence of what it says, the bars in order."""

    chart_id: str  # unique on the page: the ids of the title and description derive from it
    title: str
    description: str
    bars: tuple[Bar, ...]

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def is_empty(self) -> bool:
        return not self.bars or all(bar.value == 0 for bar in self.bars)


def bar_chart(chart_id: str, title: str, description: str,
              bars: Sequence[tuple[str, int]]) -> BarChart:
    return BarChart(chart_id, title, description,
                    tuple(Bar(label, max(0, int(value))) for label, value in bars))


def _shortened(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[:_MAX_LABEL - 1].rstrip() + "…"


def render_svg(chart: BarChart) -> str:
    """The chart as an inline SVG element (escaped text: labels come from people)."""
    largest = max((bar.value for bar in chart.bars), default=0) or 1
    room = WIDTH - _VALUE_ROOM
    height = max(1, len(chart.bars)) * _ROW + 8
    ident = escape(chart.chart_id, quote=True)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
         f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" viewBox="0 0 {WIDTH} {height}" '
         f'width="100%" preserveAspectRatio="xMinYMin meet">'),
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
    ]
    for index, bar in enumerate(chart.bars):
        top = index * _ROW
        length = round(room * bar.value / largest) if bar.value else 0
        bar_top = top + _LABEL_SIZE + 6
        parts.append(
            f'<text class="chart-label" x="0" y="{top + _LABEL_SIZE}" '
            f'font-size="{_LABEL_SIZE}">{escape(_shortened(bar.label))}</text>')
        parts.append(
            f'<rect class="chart-bar" x="0" y="{bar_top}" width="{max(length, 2)}" '
            f'height="{_BAR_HEIGHT}" rx="2"/>')
        parts.append(
            f'<text class="chart-value" x="{max(length, 2) + 6}" y="{bar_top + _BAR_HEIGHT - 3}" '
            f'font-size="{_LABEL_SIZE}">{bar.value}</text>')
    parts.append("</svg>")
    return "".join(parts)
