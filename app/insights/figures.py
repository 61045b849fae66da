"""Small arithmetic the reports share: trends, shares, median and percentiles, service time, masking."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.privacy.redaction import anonymize_search_query


@dataclass(frozen=True)
class Trend:
    """A figure in this range and in the previous range of the same length.

    Counts and times change by a percentage; a figure that is a percentage itself (a share, the NPS) changes
    by points: a click-through from 50 % to 60 % is "+10 points", not "+20 %"."""

    current: float | int | None
    previous: float | int | None
    points: bool = False

    @property
    def change(self) -> float | None:
        """The change in percent, or in points for shares (one decimal); None without something to compare."""
        if self.current is None or self.previous is None:
            return None
        if self.points:
            return round(self.current - self.previous, 1)
        if not self.previous:
            return None
        return round((self.current - self.previous) * 100 / self.previous, 1)

    @property
    def direction(self) -> str:
        """"up", "down" or "same" ("same" also when there is nothing to compare)."""
        if self.current is None or self.previous is None or self.current == self.previous:
            return "same"
        return "up" if self.current > self.previous else "down"

    def as_json(self) -> dict:
        return {"current": self.current, "previous": self.previous,
                "change_points" if self.points else "change_percent": self.change}


def share_trend(current: float | None, previous: float | None) -> Trend:
    """A trend of two percentages, compared in points."""
    return Trend(current, previous, points=True)


def share(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal; None when there is no whole."""
    return round(part * 100 / whole, 1) if whole else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The value below which `fraction` of the values lie (nearest rank: an existing value, as people expect)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def masked(text: str | None) -> str:
    """Free text of customers (comments) as the insights show it: no e-mail, phone, order or card numbers."""
    return anonymize_search_query(text or "")
