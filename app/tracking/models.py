"""When each open parcel is polled at its carrier next, and who holds it now (app/tracking/poll.py)."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow


class TrackingPoll(db.Model):
    """One row per parcel a polling adapter follows: an outgoing shipment or a return parcel, never both.

    next_poll_at is the schedule (faster when out for delivery, slower when nothing moves, backed off after
    errors); lease_until/lease_owner let several pollers on several nodes share the work without polling a
    parcel twice at once. The row goes when the parcel is delivered, back at the shop or out of the horizon."""

    __tablename__ = "tracking_poll"
    __table_args__ = (db.CheckConstraint("(shipment_id IS NULL) <> (return_id IS NULL)", name="one_parcel"),)

    id = db.Column(db.Integer, primary_key=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("shipment.id", ondelete="CASCADE"), nullable=True, unique=True)
    return_id = db.Column(db.Integer, db.ForeignKey("return_request.id", ondelete="CASCADE"), nullable=True,
                          unique=True)
    next_poll_at = db.Column(db.DateTime, nullable=False, index=True)
    lease_until = db.Column(db.DateTime, nullable=True)
    lease_owner = db.Column(db.String(32), nullable=True)
    # Errors in a row (timeouts, 5xx, refused keys): the backoff doubles with each one.
    failures = db.Column(db.Integer, nullable=False, default=0)
    polls = db.Column(db.Integer, nullable=False, default=0)
    last_polled_at = db.Column(db.DateTime, nullable=True)
    # The last poll that brought a new scan: a parcel quiet for two days is asked less often.
    last_change_at = db.Column(db.DateTime, nullable=True)
    last_error = db.Column(db.String(200), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
