"""Server-rendered SVG charts as plain geometry (templates/insights/_charts.html draws them): no script, no
style attributes (the CSP allows neither), colours from CSS classes. Each chart has a data table beside it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WIDTH, HEIGHT, GAP = 700, 160, 2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: dt.date
    value: int


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    maximum: int
    first: dt.date | None
    last: dt.date | None


def day_chart(points: list[tuple[dt.date, int]], width: int = WIDTH, height: int = HEIGHT) -> DayChart:
    """One bar per day, scaled to the busiest day (a day without anything keeps a hairline, so it shows as a day)."""
    maximum = max((value for _day, value in points), default=0)
    slot = width / max(len(points), 1)
    bars = []
    for index, (day, value) in enumerate(points):
        tall = (value / maximum * (height - 1)) if maximum else 0
        tall = max(tall, 1)
        bars.append(Bar(x=round(index * slot + GAP / 2, 2), y=round(height - tall, 2),
                        width=round(max(slot - GAP, 1), 2), height=round(tall, 2), day=day, value=value))
    return DayChart(width, height, tuple(bars), maximum, points[0][0] if points else None,
                    points[-1][0] if points else None)


def bar_length(value: float | None, maximum: float | None) -> float:
    """A horizontal bar's length in percent of the longest (0–100)."""
    if not value or not maximum:
        return 0
    return round(max(0.0, min(100.0, value * 100 / maximum)), 1)
