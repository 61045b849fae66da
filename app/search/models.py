"""What editors decide about search: articles pinned to a query, and the proposals they took or dismissed."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow

PROPOSAL_DECISIONS = ("accepted", "dismissed")


class SearchPromotion(db.Model):
    """One article pinned to a query in one language; the pins of a query are shown in `position` order.

    `query_key` is the normalised query (app/search/promotions.py normalise_query): every spelling of the same
    words meets it. `query` keeps the wording the editor typed, for the editors' page."""

    __tablename__ = "search_promotion"
    __table_args__ = (db.UniqueConstraint("lang", "query_key", "slug", name="uq_search_promotion_article"),)

    id = db.Column(db.Integer, primary_key=True)
    lang = db.Column(db.String(2), nullable=False)
    query_key = db.Column(db.String(200), nullable=False, index=True)
    query = db.Column(db.String(200), nullable=False)
    slug = db.Column(db.String(120), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)

    created_by = db.relationship("User")


class SynonymProposalDecision(db.Model):
    """An editor took (accepted) or dismissed a proposal "visitors who searched X opened article Y next": it is not
    proposed again."""

    __tablename__ = "synonym_proposal_decision"
    __table_args__ = (db.UniqueConstraint("lang", "query_key", "slug", name="uq_synonym_proposal_decision"),
                      db.CheckConstraint("decision IN ('accepted', 'dismissed')", name="decision"))

    id = db.Column(db.Integer, primary_key=True)
    lang = db.Column(db.String(2), nullable=False)
    query_key = db.Column(db.String(200), nullable=False)
    query = db.Column(db.String(200), nullable=False)
    slug = db.Column(db.String(120), nullable=False)
    decision = db.Column(db.String(10), nullable=False)
    decided_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
