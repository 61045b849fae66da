"""Input of the contact page's small JSON calls (the form itself parses into app/cases/schemas.py)."""
from __future__ import annotations

from pydantic import Field

from app.core.schemas import Line, Schema


class SuggestionOpened(Schema):
    """POST /kontakt/vorschlag-geoeffnet: the suggested article the customer opened from the form."""

    slug: Line(120, min_length=1) = Field(description="The article's slug")
