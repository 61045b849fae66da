"""What customers search for, read and think of the articles — without who they are."""
from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.privacy.columns import MaskedString, MaskedText


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def today() -> dt.date:
    return utcnow().date()


class SearchLog(db.Model):
    __tablename__ = "search_log"

    id = db.Column(db.Integer, primary_key=True)
    query = db.Column(MaskedString(200), nullable=False)
    lang = db.Column(db.String(2), nullable=False)
    result_count = db.Column(db.Integer, nullable=False)
    clicked_slug = db.Column(db.String(120), nullable=True)
    source = db.Column(db.String(20), nullable=False, default="page")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    # The anonymous visit (app/selfservice/trail.py visit_id): "searched, then contacted us in the same visit".
    visit = db.Column(db.String(40), nullable=True, index=True)
    # Where the clicked article stood in the results (1 = first); None for no click or an unknown position.
    clicked_position = db.Column(db.Integer, nullable=True)
    # A search left without a click: the article the same visit opened next (app/search/proposals.py pairs them
    # into proposed synonyms). A slug only, nothing about the visitor.
    next_slug = db.Column(db.String(120), nullable=True)


class ArticleVote(db.Model):
    __tablename__ = "article_vote"

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(120), nullable=False, index=True)
    lang = db.Column(db.String(2), nullable=False)
    helpful = db.Column(db.Boolean, nullable=False)
    comment = db.Column(MaskedText, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ArticleViewDay(db.Model):
    """Views per article and day: enough for 'most read' without keeping single visits."""

    __tablename__ = "article_view_day"

    slug = db.Column(db.String(120), primary_key=True)
    day = db.Column(db.Date, primary_key=True, default=today)
    views = db.Column(db.Integer, nullable=False, default=0)
