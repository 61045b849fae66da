"""Input and output of an article as editors write it: one schema for the editor form and the JSON API, so both
refuse the same values with the same German messages."""
from __future__ import annotations

from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from app.articles.loader import SLUG_PATTERN
from app.core.schemas import Line, OptionalBlank, Paragraphs, Schema

MAX_TAGS = 30
MAX_QUESTIONS = 30
MAX_RELATED = 20
MAX_BODY = 100_000


def _slug(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise PydanticCustomError("hc_slug", _("Nur Kleinbuchstaben a–z, Ziffern und Bindestriche, z. B. "
                                                "„paket-verloren“."))
    return value


def _comma_list(value):
    # The form sends "a, b, c" in one field; the API a JSON list.
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [part.strip() for item in value for part in item.split(",") if part.strip()]
    return value


def _line_list(value):
    # The form sends one question per line; the API a JSON list.
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [line.strip() for item in value for line in item.splitlines() if line.strip()]
    return value


def _drop_blank(value):
    if isinstance(value, list):
        return [item for item in value if not (isinstance(item, str) and not item.strip())]
    return value


Slug = Annotated[Line(120), AfterValidator(_slug), Field(json_schema_extra={"pattern": SLUG_PATTERN.pattern})]
Status = Literal["draft", "published"]


class ArticleInput(Schema):
    """An article as the editor form and POST/PUT /api/articles send it."""

    title: Line(200, min_length=1) = Field(description="Headline customers see")
    summary: Line(500, min_length=1) = Field(description="One or two sentences under the headline and in results")
    tags: Annotated[list[Line(60, min_length=1)], BeforeValidator(_comma_list), BeforeValidator(_drop_blank),
                    Field(max_length=MAX_TAGS)] = Field([], description="Words customers search with")
    questions: Annotated[Annotated[list[Line(200, min_length=1)], Field(max_length=MAX_QUESTIONS)] | None,
                         BeforeValidator(_line_list), BeforeValidator(_drop_blank)] = Field(
        None, description="How customers ask for this answer in their own words (searched, never shown); "
                          "absent: the saved ones are kept")
    lang: Annotated[Literal["de", "en"] | None, OptionalBlank] = Field(
        None, description="Language of the article (default: the help center's)")
    translation: Annotated[Slug | None, OptionalBlank] = Field(
        None, description="English articles only: slug of the German original this article renders in English")
    category: Line(120, min_length=1) = Field(description="Slug of an existing category")
    order: Annotated[Annotated[int, Field(ge=0, le=100_000)] | None, OptionalBlank] = Field(
        None, description="Position within the category, small first")
    related: Annotated[list[Slug], BeforeValidator(_comma_list), BeforeValidator(_drop_blank),
                       Field(max_length=MAX_RELATED)] = Field([], description="Slugs of existing articles")
    slug: Annotated[Slug | None, OptionalBlank] = Field(
        None, description="The address /hilfe/<category>/<slug>; new articles: derived from the title when absent")
    body: Paragraphs(MAX_BODY, min_length=1) = Field(description="Markdown (with `!!! note` boxes)")
    status: Annotated[Status, OptionalBlank] = Field("draft", description="draft: save only; published: customers "
                                                     "see this version (with review on: it waits for approval)")


class PreviewInput(Schema):
    """What the live preview renders: only the body (and the title for the page)."""

    title: Line(200) = ""
    body: Paragraphs(MAX_BODY) = ""


class ArticlesQuery(Schema):
    """GET /api/articles?status=&lang=&category="""

    status: Literal["draft", "published", "archived"] | None = Field(None, description="Only articles in this state")
    lang: Literal["de", "en"] | None = Field(None, description="Only articles in this language")
    category: Line(120) | None = Field(None, description="Only articles of this category")


class ArticleSummaryOut(Schema):
    slug: str
    category: str
    lang: str
    title: str
    status: str
    revision: int
    published_revision: int | None
    updated_at: str
    updated_by: str | None
    url: str


class ArticleList(Schema):
    """The articles, by category and order."""

    articles: list[ArticleSummaryOut]


class ArticleOut(Schema):
    """One article: its newest version's fields, its state and revision (send it back in If-Match)."""

    slug: str
    category: str
    lang: str
    translation: str | None
    title: str
    summary: str
    tags: list[str]
    questions: list[str]
    order: int | None
    related: list[str]
    body: str
    status: str
    revision: int
    published_revision: int | None
    review_revision: int | None
    updated_at: str
    updated_by: str | None
    url: str


class RevisionOut(Schema):
    number: int
    author: str | None
    created_at: str
    note: str | None
    published: bool


class RevisionList(Schema):
    """Every saved version, newest first."""

    slug: str
    revisions: list[RevisionOut]
