"""Withdrawals (§ 356a BGB): a customer's declaration, stored once and never changed."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedText
from app.records import YearCounter


class WithdrawalSequence(YearCounter, db.Model):
    __tablename__ = "withdrawal_sequence"


class Withdrawal(db.Model):
    """One received declaration exactly as the customer confirmed it; matched to an order when it could be."""

    __tablename__ = "withdrawal"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(20), nullable=False, unique=True)
    order_number_given = db.Column(db.String(40), nullable=False)
    order_id = db.Column(db.Integer, db.ForeignKey("shop_order.id"), nullable=True, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True, index=True)
    matched = db.Column(db.Boolean, nullable=False, default=False)
    contact_name = db.Column(db.String(200), nullable=False)
    contact_email = db.Column(db.String(254), nullable=False)
    whole_order = db.Column(db.Boolean, nullable=False, default=True)
    # JSON list of {"sku", "name", "quantity"} as declared; empty for the whole order.
    items = db.Column(db.Text, nullable=False, default="[]")
    reason = db.Column(MaskedText, nullable=True)
    declaration_text = db.Column(db.Text, nullable=False)
    declaration_sha256 = db.Column(db.String(64), nullable=False)
    idempotency_key = db.Column(db.String(100), nullable=True, unique=True)
    lang = db.Column(db.String(2), nullable=False, default="de")
    declared_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)

    order = db.relationship("Order")


class WithdrawalImmutable(RuntimeError):
    """A stored withdrawal was about to be changed or deleted."""


@event.listens_for(Withdrawal, "before_update")
def _refuse_update(_mapper, _connection, target):
    raise WithdrawalImmutable(f"withdrawal {target.number} is a received declaration and cannot be changed")


@event.listens_for(Withdrawal, "before_delete")
def _refuse_delete(_mapper, _connection, target):
    raise WithdrawalImmutable(f"withdrawal {target.number} is a received declaration and cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    # session.execute(update(Withdrawal)…) / query.delete() skip the mapper events above.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is Withdrawal:
        raise WithdrawalImmutable("withdrawals are received declarations and cannot be changed or deleted")
