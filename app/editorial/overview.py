"""The editors' first look: every published article with its readers and votes, and the searches
that found nothing — what to write next. Plain queries over the insights tables; issue #13's editor
builds on these."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.insights.models import ArticleViewDay, ArticleVote, SearchLog, utcnow

WINDOW_DAYS = 30
MISSED_SEARCHES_SHOWN = 50


@dataclass(frozen=True)
class ArticleRow:
    slug: str
    category: str
    title: str
    lang: str
    views: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class CategoryBlock:
    slug: str
    title: str
    lang: str
    articles: tuple[ArticleRow, ...]


@dataclass(frozen=True)
class MissedSearch:
    query: str
    lang: str
    count: int
    last_at: dt.datetime


def _views_since(session, since: dt.date) -> dict[str, int]:
    rows = session.execute(select(ArticleViewDay.slug, func.sum(ArticleViewDay.views))
                           .where(ArticleViewDay.day >= since).group_by(ArticleViewDay.slug))
    return {slug: int(total or 0) for slug, total in rows}


def _votes_since(session, since: dt.datetime) -> dict[tuple[str, str], tuple[int, int]]:
    yes = func.sum(case((ArticleVote.helpful.is_(True), 1), else_=0))
    no = func.sum(case((ArticleVote.helpful.is_(False), 1), else_=0))
    rows = session.execute(select(ArticleVote.slug, ArticleVote.lang, yes, no)
                           .where(ArticleVote.updated_at >= since).group_by(ArticleVote.slug, ArticleVote.lang))
    return {(slug, lang): (int(y or 0), int(n or 0)) for slug, lang, y, n in rows}


def articles_by_category(session, library, now: dt.datetime | None = None,
                         days: int = WINDOW_DAYS) -> list[CategoryBlock]:
    """Each category per language with its published articles, their views and votes of the last `days`."""
    now = now or utcnow()
    views = _views_since(session, (now - dt.timedelta(days=days)).date())
    votes = _votes_since(session, now - dt.timedelta(days=days))
    published = library.published()
    langs = sorted({article.lang for article in published}, key=lambda lang: (lang != library.default_lang, lang))
    blocks = []
    for category in library.categories():
        for lang in langs:
            rows = tuple(
                ArticleRow(slug=a.slug, category=a.category, title=a.title, lang=a.lang, views=views.get(a.slug, 0),
                           helpful=votes.get((a.slug, a.lang), (0, 0))[0],
                           not_helpful=votes.get((a.slug, a.lang), (0, 0))[1])
                for a in sorted(published, key=lambda a: (a.order, a.title))
                if a.category == category.slug and a.lang == lang)
            if rows:
                blocks.append(CategoryBlock(slug=category.slug, title=category.title_for(lang), lang=lang,
                                            articles=rows))
    return blocks


def searches_without_results(session, now: dt.datetime | None = None, days: int = WINDOW_DAYS,
                             limit: int = MISSED_SEARCHES_SHOWN) -> list[MissedSearch]:
    """What visitors searched for in the last `days` and did not find, most asked first."""
    now = now or utcnow()
    # Grouped on the lower-cased text: "Rechnung" and "rechnung" are one gap in the content.
    text = func.lower(SearchLog.query)
    rows = session.execute(
        select(func.min(SearchLog.query), SearchLog.lang, func.count(), func.max(SearchLog.created_at))
        .where(SearchLog.result_count == 0, SearchLog.created_at >= now - dt.timedelta(days=days))
        .group_by(text, SearchLog.lang)
        .order_by(func.count().desc(), func.max(SearchLog.created_at).desc(), text)
        .limit(limit))
    return [MissedSearch(query=query, lang=lang, count=int(count), last_at=last) for query, lang, count, last in rows]
