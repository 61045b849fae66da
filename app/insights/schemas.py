"""What the insights API and pages accept and answer."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from app.core.schemas import Schema

_DAY = r"^\d{4}-\d{2}-\d{2}$"


class InsightsQuery(Schema):
    """GET /api/insights/<report>?from=YYYY-MM-DD&to=YYYY-MM-DD (Berlin days, both included; default the last 28)."""

    from_: str | None = Field(None, alias="from", max_length=10, pattern=_DAY,
                              description="First day (Europe/Berlin), default 27 days before `to`")
    to: str | None = Field(None, max_length=10, pattern=_DAY, description="Last day (Europe/Berlin), default today")


class InsightsAnswer(Schema):
    """One report's figures: aggregates and masked query text only, never a customer's name, e-mail or order."""

    report: str
    from_: str = Field(alias="from")
    to: str
    previous_from: str = Field(description="First day of the previous range of the same length (for the trends)")
    previous_to: str
    figures: dict[str, Any]
