"""One row per e-mail or webhook, from queued to sent (or given up)."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedString

KIND_EMAIL = "email"
KIND_WEBHOOK = "webhook"
SUBJECT_LENGTH = 255
RECIPIENT_LENGTH = 2000
DEDUPE_KEY_LENGTH = 200
ERROR_LENGTH = 500


class OutboxMessage(db.Model):
    """A message waiting for (or done with) delivery; times are naive UTC.

    `next_attempt_at` is NULL once the row is finished (sent or failed), so the index on it only
    ever covers the rows a worker still has to look at.
    """

    __tablename__ = "outbox"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(10), nullable=False)
    recipient = db.Column(db.String(RECIPIENT_LENGTH), nullable=False)
    subject = db.Column(MaskedString(SUBJECT_LENGTH), nullable=True)
    body = db.Column(db.Text, nullable=False)
    payload = db.Column(db.Text, nullable=True)
    headers = db.Column(db.Text, nullable=True)
    dedupe_key = db.Column(db.String(DEDUPE_KEY_LENGTH), nullable=True, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=True, default=utcnow, index=True)
    claimed_until = db.Column(db.DateTime, nullable=True)
    sent_at = db.Column(db.DateTime, nullable=True)
    failed_at = db.Column(db.DateTime, nullable=True)
    last_error = db.Column(db.String(ERROR_LENGTH), nullable=True)

    def __repr__(self) -> str:  # ids only: recipients and bodies are personal data
        return f"<OutboxMessage {self.id} {self.kind}>"
