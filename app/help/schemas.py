"""What the help pages accept: the search page's query string and the article feedback."""
from __future__ import annotations

from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from app.core.schemas import Paragraphs, Schema
from app.insights.service import MAX_COMMENT_LENGTH
from app.search.service import clean_query

MAX_QUERY_LENGTH = 200


def _query(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("hc_query", _("Bitte geben Sie einen Suchbegriff ein."))
    # Tabs, line breaks and runs of spaces a pasted query carries are folded, not refused.
    text = clean_query(value)
    if not text:
        raise PydanticCustomError("hc_query", _("Bitte geben Sie einen Suchbegriff ein."))
    if len(text) > MAX_QUERY_LENGTH:
        raise PydanticCustomError("hc_query", _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_QUERY_LENGTH))
    return text


MAX_SEARCH_PAGE = 250


def _page(value: Any) -> int:
    # A page number from a link: digits only; beyond the last page the page shows the last one.
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise PydanticCustomError("hc_page", _("Bitte geben Sie eine Seitenzahl ab 1 an."))
    return min(int(text), MAX_SEARCH_PAGE) if len(text) <= 6 else MAX_SEARCH_PAGE


def _search_id(value: Any) -> int | None:
    # Carried from page 1 to the next pages for the click statistics; a tampered value is only left out.
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 9 else None


def _helpful(value: Any) -> bool:
    if value not in ("ja", "nein"):
        raise PydanticCustomError("hc_vote", _("Bitte wählen Sie Ja oder Nein."))
    return value == "ja"


class SearchPageQuery(Schema):
    """GET /suche?q=…&seite=…: the query, the page of results (20 each), and page 1's search log id."""

    q: Annotated[str, BeforeValidator(_query)]
    seite: Annotated[int, BeforeValidator(_page)] = 1
    sid: Annotated[int | None, BeforeValidator(_search_id)] = None


class VoteInput(Schema):
    """POST /hilfe/<category>/<slug>/feedback with one of the two buttons "helpful" = ja | nein."""

    helpful: Annotated[bool, BeforeValidator(_helpful)] = Field(None, validate_default=True)


class VoteCommentInput(Schema):
    """POST /hilfe/<category>/<slug>/feedback with the optional comment after a vote."""

    comment: Paragraphs(MAX_COMMENT_LENGTH) = ""
