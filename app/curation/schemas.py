"""The forms of the editors' search pages: one schema each, the same German messages everywhere."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.core.schemas import INT32_MAX, Line, OptionalBlank, Schema

FormInt = Annotated[int, Field(ge=0, le=INT32_MAX)]


class PinInput(Schema):
    """Pin an article to a query."""

    query: Line(200, min_length=1)
    lang: Literal["de", "en"]
    slug: Line(120, min_length=1)


class MoveInput(Schema):
    richtung: Literal["hoch", "runter"]


class FileChangeInput(Schema):
    """Add, edit or delete one synonym group or name, starting from the revision the editor saw."""

    action: Literal["add", "edit", "delete"]
    base_revision: FormInt
    line: Annotated[FormInt | None, OptionalBlank] = None
    members: Line(2000) = ""


class ProposalInput(Schema):
    """Accept or dismiss one proposal: the query as shown, its language and the article."""

    query: Line(200, min_length=1)
    lang: Literal["de", "en"]
    slug: Line(120, min_length=1)
    term: Annotated[Line(200) | None, OptionalBlank] = None
