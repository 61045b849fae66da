"""Kulanz: when a return needs no parcel, and when a defect goes to an agent instead of a label."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.returns.models import ReturnItem, ReturnRequest
from app.returns.policy import ReturnsPolicy
from app.shop.models import Order, OrderItem

RETURNLESS = "returnless"
COMPLAINT = "complaint"
LABEL = "label"


@dataclass(frozen=True)
class Standing:
    delivered_orders: int
    delivered_items: int
    returned_items: int

    @property
    def return_rate(self) -> float:
        return self.returned_items / self.delivered_items if self.delivered_items else 0.0


def customer_standing(customer_id: int) -> Standing:
    """How many orders the customer received and how much of it came back (before this return)."""
    orders, items = db.session.execute(
        select(func.count(func.distinct(Order.id)), func.coalesce(func.sum(OrderItem.quantity), 0))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.customer_id == customer_id, Order.status == "delivered")
    ).one()
    returned = db.session.scalar(
        select(func.coalesce(func.sum(ReturnItem.quantity), 0))
        .join(ReturnRequest, ReturnRequest.id == ReturnItem.return_id)
        .where(ReturnRequest.customer_id == customer_id, ReturnRequest.status != "cancelled"))
    return Standing(int(orders), int(items), int(returned))


def in_good_standing(standing: Standing, policy: ReturnsPolicy) -> bool:
    return (standing.delivered_orders >= policy.good_standing_min_orders
            and standing.return_rate <= policy.good_standing_max_return_rate)


def decide(value_cents: int, reasons: set[str], resolution: str, standing: Standing, policy: ReturnsPolicy) -> str:
    """LABEL (send it back), RETURNLESS (refund, keep it) or COMPLAINT (an agent decides).

    A costly defect goes to an agent first: repair or replacement may be cheaper than a refund, and
    the customer should not pay for a label on a faulty product. Cheap goods are not worth the
    return shipping, so the refund comes without a parcel.
    """
    if reasons & set(policy.complaint_reasons) and value_cents > policy.complaint_min_cents:
        return COMPLAINT
    if resolution != "refund":
        return LABEL
    if value_cents <= policy.returnless_max_cents:
        return RETURNLESS
    if value_cents <= policy.good_standing_max_cents and in_good_standing(standing, policy):
        return RETURNLESS
    return LABEL
