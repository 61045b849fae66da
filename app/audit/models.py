"""The audit trail of staff actions: who did what to which case, return, article or account, when."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    # The staff account that acted; None for the command line and for the system itself.
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True)
    # Who it was at the time (e-mail address, or "cli"/"system"): stays readable after the account changes.
    actor_label = db.Column(db.String(254), nullable=False)
    # A dotted verb, e.g. "case.reply", "return.status", "account.role", "article.publish".
    action = db.Column(db.String(60), nullable=False, index=True)
    # What was acted on: "case", "return", "article", "account", "withdrawal", "order" and its number/slug/e-mail.
    object_type = db.Column(db.String(20), nullable=False)
    object_ref = db.Column(db.String(254), nullable=False)
    # A short, personal-data-free description ("Rolle: agent → admin"); card numbers are masked anyway.
    detail = db.Column(db.String(500), nullable=False, default="")

    actor = db.relationship("User")

    __table_args__ = (db.Index("ix_audit_event_object", "object_type", "object_ref"),)
