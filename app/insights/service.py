"""Record searches, clicks, views and votes; read the most-read articles."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog, today, utcnow
from app.privacy.redaction import anonymize_search_query, mask_card_numbers

MAX_COMMENT_LENGTH = 2000
# A search counts as "left without a click, then this article" only within this time of the search.
FOLLOW_UP_MINUTES = 30


def log_search(query: str, lang: str, result_count: int, source: str = "page", visit: str | None = None) -> SearchLog:
    """Log a search with masked text and the anonymous visit it came from (for "searched, then contacted")."""
    entry = SearchLog(query=anonymize_search_query(query)[:200], lang=lang, result_count=result_count, source=source,
                      visit=visit)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_search_click(search_id: int, slug: str, position: int | None = None) -> bool:
    """Mark which article a search led to and where it stood (1 = first); only the first click of a search counts."""
    result = db.session.execute(
        update(SearchLog)
        .where(SearchLog.id == search_id, SearchLog.clicked_slug.is_(None))
        .values(clicked_slug=slug, clicked_position=position)
    )
    return result.rowcount == 1


def record_follow_up(visit: str | None, slug: str, now: dt.datetime | None = None) -> int:
    """The visit opened this article: note it on the visit's recent searches that were left without a click and
    have no article noted yet (the raw material of proposed synonyms). Returns how many searches it was noted on."""
    if not visit:
        return 0
    since = (now or utcnow()) - dt.timedelta(minutes=FOLLOW_UP_MINUTES)
    return db.session.execute(
        update(SearchLog)
        .where(SearchLog.visit == visit, SearchLog.created_at >= since, SearchLog.clicked_slug.is_(None),
               SearchLog.next_slug.is_(None))
        .values(next_slug=slug)
    ).rowcount


def _count_view(slug: str, day) -> int:
    return db.session.execute(
        update(ArticleViewDay)
        .where(ArticleViewDay.slug == slug, ArticleViewDay.day == day)
        .values(views=ArticleViewDay.views + 1)
    ).rowcount


def record_view(slug: str) -> None:
    day = today()
    if _count_view(slug, day):
        return
    try:
        with db.session.begin_nested():
            db.session.add(ArticleViewDay(slug=slug, day=day, views=1))
    except IntegrityError:
        # Another request created today's row in between: count on it instead.
        _count_view(slug, day)


def most_read(days: int = 30, limit: int = 6) -> list[str]:
    since = today() - dt.timedelta(days=days)
    rows = db.session.execute(
        select(ArticleViewDay.slug, func.sum(ArticleViewDay.views).label("total"))
        .where(ArticleViewDay.day >= since)
        .group_by(ArticleViewDay.slug)
        .order_by(func.sum(ArticleViewDay.views).desc(), ArticleViewDay.slug)
        .limit(limit)
    )
    return [row.slug for row in rows]


def save_vote(slug: str, lang: str, helpful: bool, vote_id: int | None = None) -> ArticleVote:
    """Store a vote; a visitor who changes their mind changes their vote instead of adding one."""
    vote = db.session.get(ArticleVote, vote_id) if vote_id else None
    if vote is None or vote.slug != slug:
        vote = ArticleVote(slug=slug, lang=lang, helpful=helpful)
        db.session.add(vote)
    else:
        vote.helpful = helpful
    db.session.flush()
    return vote


def save_vote_comment(vote: ArticleVote, comment: str) -> None:
    cleaned = mask_card_numbers(comment.strip())[:MAX_COMMENT_LENGTH]
    vote.comment = cleaned or None
    db.session.flush()
