"""Input and output of the search API and the article view counter."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field

from app.core.schemas import Id, Line, Schema
from app.search.service import clean_query

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50
# As deep as the search page goes (250 pages of 20).
MAX_OFFSET = 5000


def _clean(value):
    return clean_query(value) if isinstance(value, str) else value


SearchText = Annotated[Line(MAX_QUERY_LENGTH, min_length=1), BeforeValidator(_clean)]


class SearchQuery(Schema):
    """GET /api/search?q=…&lang=…&limit=…"""

    error_codes: ClassVar[dict[str, str]] = {
        "q:missing": "missing_query", "q:string_too_short": "empty_query", "q:string_too_long": "query_too_long",
        "q": "bad_query", "limit": "bad_limit", "lang": "bad_lang", "log": "bad_log", "offset": "bad_offset",
    }
    error_status: ClassVar[int] = 400

    q: SearchText = Field(description="What the customer typed (control characters and extra spaces dropped)")
    lang: Literal["de", "en"] | None = Field(None, description="Language of the articles; default the visitor's")
    limit: int = Field(10, ge=1, le=MAX_LIMIT, description="How many results, best first")
    log: Literal["0", "1"] = Field("1", description="0 for results-as-you-type: the query is not logged")
    offset: int = Field(0, ge=0, le=MAX_OFFSET,
                        description="How many results to skip, for paging (offset=limit is the second page); "
                                    "the query is logged only with offset 0")


class SearchHit(Schema):
    slug: str
    title: str
    summary: str
    url: str
    category: str
    snippet: str
    score: float
    promoted: bool = Field(False, description="Pinned to this query by the editors: shown first, marked \"Empfohlen\"")


class SearchAction(Schema):
    """A shortcut into a guided flow the query asks for ("Bestellung 100411 verfolgen"), shown before the articles."""

    kind: Literal["tracking", "return", "withdrawal", "refund", "address", "contact"] = Field(
        description="Which flow: tracking, return, withdrawal, refund (its status), address (delivery address "
                    "change) or contact")
    label: str = Field(description="What the link says, in the visitor's language")
    url: str = Field(description="Where it leads, with what the query said filled in (e.g. the order number)")


class SearchResults(Schema):
    """The best matching articles, and shortcuts into the flows the query asks for."""

    query: str
    total: int
    results: list[SearchHit]
    suggestion: str | None
    actions: list[SearchAction] = Field(
        description="Flows the query asks for, most specific first (at most 3); empty for a question the "
                    "articles answer")


class ArticleViewBody(Schema):
    """POST /api/articles/<slug>/view: which search (or typed query) led to the article."""

    search_id: Id | None = Field(None, description="The id of the logged search the click came from")
    query: Annotated[Line(MAX_QUERY_LENGTH), BeforeValidator(_clean)] | None = Field(
        None, description="A query typed in the suggestion box (not logged before)")
    position: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        None, description="Where the article stood in the results or suggestions (1 = first)")
