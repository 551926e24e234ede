"""Small bar charts, drawn by the server as SVG geometry (no script, no chart library): one bar a
day, scaled to the largest value, each with its label and value for screen readers and tooltips."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 280
HEIGHT = 64
GAP = 2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # e.g. "2026-12-07: 3 deployments"


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str  # the window's figure, e.g. "12 deployments"
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(
    title: str,
    summary: str,
    days: Sequence[str],
    values: Sequence[float | None],
    describe: Callable[[float | None], str],
) -> Chart:
    """A chart of `values` (None: nothing to measure that day; it and 0 are drawn as no bar), one a day."""
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    width = (WIDTH - GAP * (len(values) - 1)) / max(1, len(values))
    bars = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        height = 0.0 if not value else max(1.0, (HEIGHT - 4) * value / top)
        bars.append(Bar(i * (width + GAP), HEIGHT - height, width, height, f"{day}: {describe(value)}"))
    return Chart(title, summary, tuple(bars))
