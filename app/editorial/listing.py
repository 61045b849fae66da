"""The editors' article list: every article (drafts too) per category and language with its state, last change
and by whom, and what readers made of it in the last days (views, votes, comments waiting to be read)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import frontmatter
from sqlalchemy import case, func, select

from app.articles import store
from app.articles.models import ArticleRecord, ArticleRevision
from app.editorial.overview import WINDOW_DAYS, _views_since
from app.insights.models import ArticleVote, utcnow


@dataclass(frozen=True)
class Listed:
    slug: str
    category: str
    lang: str
    title: str
    state: str
    review: bool
    updated_at: dt.datetime | None
    updated_by: str | None
    revision: int
    published_revision: int | None
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0
    comments: int = 0


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    lang: str = ""
    category: str = ""


def _stored(session, include_archived: bool) -> list[Listed]:
    query = (select(ArticleRecord, ArticleRevision.source)
             .join(ArticleRevision, (ArticleRevision.article_id == ArticleRecord.id)
                   & (ArticleRevision.number == ArticleRecord.revision)))
    if not include_archived:
        query = query.where(ArticleRecord.state != "archived")
    rows = []
    for row, source in session.execute(query):
        title = str(frontmatter.loads(source).metadata.get("title") or row.slug)
        rows.append(Listed(row.slug, row.category, row.lang, title, row.state, row.review_revision is not None,
                           row.updated_at, row.updated_by.name if row.updated_by else None, row.revision,
                           row.published_revision))
    return rows


def _from_files(library) -> list[Listed]:
    return [Listed(a.slug, a.category, a.lang, a.title, "published" if a.published else "draft", False,
                   None, None, 1, 1 if a.published else None) for a in library.tree().articles.values()]


def _feedback_since(session, since: dt.datetime) -> dict[str, tuple[int, int, int]]:
    yes = func.sum(case((ArticleVote.helpful.is_(True), 1), else_=0))
    no = func.sum(case((ArticleVote.helpful.is_(False), 1), else_=0))
    comments = func.sum(case((ArticleVote.comment.is_not(None), 1), else_=0))
    rows = session.execute(select(ArticleVote.slug, yes, no, comments)
                           .where(ArticleVote.updated_at >= since).group_by(ArticleVote.slug))
    return {slug: (int(y or 0), int(n or 0), int(c or 0)) for slug, y, n, c in rows}


def list_articles(session, library, filters: Filters, now: dt.datetime | None = None,
                  days: int = WINDOW_DAYS) -> list[Listed]:
    """The articles matching the filters, by category, language and title, with the readers' figures."""
    now = now or utcnow()
    stored = store.articles_in_database()
    rows = _stored(session, filters.status == "archived") if stored else _from_files(library)
    views = _views_since(session, (now - dt.timedelta(days=days)).date())
    feedback = _feedback_since(session, now - dt.timedelta(days=days))
    needle = filters.q.casefold()
    found = []
    for row in rows:
        if filters.status and row.state != filters.status:
            continue
        if filters.lang and row.lang != filters.lang:
            continue
        if filters.category and row.category != filters.category:
            continue
        if needle and needle not in row.title.casefold() and needle not in row.slug:
            continue
        yes, no, comments = feedback.get(row.slug, (0, 0, 0))
        found.append(Listed(**{**row.__dict__, "views": views.get(row.slug, 0), "helpful": yes, "not_helpful": no,
                               "comments": comments}))
    return sorted(found, key=lambda r: (r.category, r.lang, r.title.casefold()))
