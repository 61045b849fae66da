"""A customer's returns, newest first, for Mein Konto and the returns start page; the ones still on their way."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.returns.models import NOT_YET_BACK, ReturnItem, ReturnRequest


def returns_of(user) -> list[ReturnRequest]:
    if not getattr(user, "is_authenticated", False) or user.customer_id is None:
        return []
    return list(db.session.scalars(select(ReturnRequest).where(ReturnRequest.customer_id == user.customer_id)
                                   .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())))


def waiting_returns(order, skus) -> list[ReturnRequest]:
    """The order's returns that hold any of these articles and have not arrived yet, oldest first."""
    wanted = set(skus)
    if not wanted:
        return []
    query = (select(ReturnRequest).join(ReturnItem, ReturnItem.return_id == ReturnRequest.id)
             .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(NOT_YET_BACK),
                    ReturnItem.sku.in_(wanted))
             .order_by(ReturnRequest.id))
    return list(dict.fromkeys(db.session.scalars(query)))
