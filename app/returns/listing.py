"""A customer's returns, newest first, for Mein Konto and the returns start page."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnRequest


def returns_of(user) -> list[ReturnRequest]:
    if not getattr(user, "is_authenticated", False) or user.customer_id is None:
        return []
    return list(db.session.scalars(select(ReturnRequest).where(ReturnRequest.customer_id == user.customer_id)
                                   .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())))
