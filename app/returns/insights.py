"""Which products come back and why: the figures behind a later insights page for the shop."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.returns.models import ReturnItem, ReturnRequest


@dataclass(frozen=True)
class ReasonCount:
    product: str
    name: str
    reason: str
    quantity: int


def reasons_by_product(limit: int = 200) -> list[ReasonCount]:
    """Returned pieces per product (all sizes and colours together) and reason, most returned first."""
    product = func.coalesce(ReturnItem.product_code, ReturnItem.sku)
    rows = db.session.execute(
        select(product, func.min(ReturnItem.name), ReturnItem.reason, func.sum(ReturnItem.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnItem.return_id)
        .where(ReturnRequest.status != "cancelled")
        .group_by(product, ReturnItem.reason)
        .order_by(func.sum(ReturnItem.quantity).desc(), product)
        .limit(limit)
    ).all()
    return [ReasonCount(code, name, reason, int(quantity)) for code, name, reason, quantity in rows]
