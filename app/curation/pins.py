"""What editors do with promoted results: list them with how often each query is searched and which pinned article
customers cannot see, pin an article to a query, move a pin up or down, remove it. Every change is in the audit
trail. The caller commits (and tells this worker's search to read the pins again)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.articles import store
from app.audit.trail import record
from app.core.errors import InvalidInput, NotFound
from app.extensions import db
from app.insights.models import SearchLog, utcnow
from app.search.models import SearchPromotion
from app.search.promotions import normalise_query

COUNT_DAYS = 30


@dataclass(frozen=True)
class PinnedArticle:
    id: int
    slug: str
    title: str
    # "published", or why customers do not see it: "draft", "archived", "missing", "other_language"
    state: str

    @property
    def shown(self) -> bool:
        return self.state == "published"


@dataclass(frozen=True)
class Promotion:
    lang: str
    key: str
    query: str
    articles: tuple[PinnedArticle, ...]
    searches: int  # how often the query was searched in the last COUNT_DAYS days

    @property
    def hidden(self) -> int:
        return sum(1 for article in self.articles if not article.shown)


@dataclass(frozen=True)
class ArticleChoice:
    slug: str
    title: str
    lang: str
    state: str


def article_choices(library) -> dict[str, ArticleChoice]:
    """Every article an editor may pin (not archived), by slug: from the store, or the served files before the
    first import."""
    tree = library.tree()
    choices = {}
    if store.articles_in_database():
        from app.articles.models import ArticleRecord

        for slug, lang, state in db.session.execute(select(ArticleRecord.slug, ArticleRecord.lang,
                                                           ArticleRecord.state)):
            article = tree.articles.get(slug)
            choices[slug] = ArticleChoice(slug, article.title if article else slug, lang, state)
    else:
        for slug, article in tree.articles.items():
            choices[slug] = ArticleChoice(slug, article.title, article.lang,
                                          "published" if article.published else "draft")
    return choices


def _state(slug: str, lang: str, choices: dict[str, ArticleChoice], tree) -> str:
    choice = choices.get(slug)
    if choice is None:
        return "missing"
    if choice.state != "published":
        return choice.state
    article = tree.articles.get(slug)
    if article is None or not article.published:
        return "draft"
    return "published" if article.lang == lang else "other_language"


def search_counts(since: dt.datetime) -> dict[tuple[str, str], int]:
    """How often each normalised query was searched since then, per language."""
    counts: dict[tuple[str, str], int] = {}
    rows = db.session.execute(select(SearchLog.lang, SearchLog.query, func.count())
                              .where(SearchLog.created_at >= since).group_by(SearchLog.lang, SearchLog.query))
    for lang, query, count in rows:
        key = (lang, normalise_query(query))
        counts[key] = counts.get(key, 0) + count
    return counts


def promotions(library, now: dt.datetime | None = None) -> list[Promotion]:
    """Every query with pinned articles, most searched first."""
    now = now or utcnow()
    choices = article_choices(library)
    tree = library.tree()
    counts = search_counts(now - dt.timedelta(days=COUNT_DAYS))
    grouped: dict[tuple[str, str], list[SearchPromotion]] = {}
    for pin in db.session.scalars(select(SearchPromotion).order_by(SearchPromotion.position, SearchPromotion.id)):
        grouped.setdefault((pin.lang, pin.query_key), []).append(pin)
    found = []
    for (lang, key), pins in grouped.items():
        articles = tuple(PinnedArticle(pin.id, pin.slug, choices[pin.slug].title if pin.slug in choices else pin.slug,
                                       _state(pin.slug, lang, choices, tree)) for pin in pins)
        found.append(Promotion(lang, key, pins[0].query, articles, counts.get((lang, key), 0)))
    return sorted(found, key=lambda p: (-p.searches, p.query.casefold()))


def pin(query: str, lang: str, slug: str, user, library) -> SearchPromotion:
    """Pin the article to the query (last of its pins). InvalidInput for a query without words, an unknown or
    archived article, one in another language, or one pinned to the query already."""
    key = normalise_query(query)
    errors = {}
    if not key:
        errors["query"] = _("Bitte geben Sie einen Suchbegriff mit mindestens einem Wort ein.")
    choice = article_choices(library).get(slug)
    if choice is None or choice.state == "archived":
        errors["slug"] = _("Diesen Artikel gibt es nicht.")
    elif choice.lang != lang:
        errors["slug"] = _("Der Artikel ist nicht in der Sprache der Suche geschrieben.")
    if not errors and db.session.scalar(select(SearchPromotion.id).where(
            SearchPromotion.lang == lang, SearchPromotion.query_key == key, SearchPromotion.slug == slug)):
        errors["slug"] = _("Dieser Artikel ist für diese Suche schon angeheftet.")
    if errors:
        raise InvalidInput(errors)
    last = db.session.scalar(select(func.max(SearchPromotion.position)).where(
        SearchPromotion.lang == lang, SearchPromotion.query_key == key)) or 0
    existing = db.session.scalar(select(SearchPromotion.query).where(
        SearchPromotion.lang == lang, SearchPromotion.query_key == key).limit(1))
    row = SearchPromotion(lang=lang, query_key=key, query=existing or " ".join(query.split()), slug=slug,
                          position=last + 1, created_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same pin made by another editor at the same moment
        raise InvalidInput({"slug": _("Dieser Artikel ist für diese Suche schon angeheftet.")}) from None
    record("search.pin", "search", row.query, f"{lang}: {slug} #{last + 1}")
    return row


def _pin_row(pin_id: int) -> SearchPromotion:
    row = db.session.get(SearchPromotion, pin_id)
    if row is None:
        raise NotFound()
    return row


def _siblings(lang: str, key: str) -> list[SearchPromotion]:
    return list(db.session.scalars(select(SearchPromotion).where(
        SearchPromotion.lang == lang, SearchPromotion.query_key == key)
        .order_by(SearchPromotion.position, SearchPromotion.id).with_for_update()))


def move(pin_id: int, step: int) -> None:
    """Move the pin one place up (step -1) or down (+1) among the pins of its query."""
    row = _pin_row(pin_id)
    pins = _siblings(row.lang, row.query_key)
    index = next(i for i, pin in enumerate(pins) if pin.id == row.id)
    target = index + step
    if not 0 <= target < len(pins):
        return
    pins[index], pins[target] = pins[target], pins[index]
    for position, pin in enumerate(pins, start=1):
        pin.position = position
    record("search.pin_move", "search", row.query, f"{row.lang}: {row.slug} → #{target + 1}")


def unpin(pin_id: int) -> None:
    """Remove the pin; the query's other pins keep their order."""
    row = _pin_row(pin_id)
    query, lang, key, slug = row.query, row.lang, row.query_key, row.slug
    db.session.delete(row)
    db.session.flush()
    for position, pin in enumerate(_siblings(lang, key), start=1):
        pin.position = position
    record("search.unpin", "search", query, f"{lang}: {slug}")
