"""Which items of an order can go back, how many, and — when not — why, in the customer's words."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.returns.models import NOT_YET_BACK, ReturnItem, ReturnRequest
from app.returns.policy import ReturnsPolicy
from app.shop.fields import local_date
from app.shop.models import Order, OrderItem, Shipment


@dataclass(frozen=True)
class ItemEligibility:
    item: OrderItem
    returnable_quantity: int
    returned_quantity: int
    delivered_on: dt.date | None
    window_ends: dt.date | None
    reason_code: str | None = None
    reason_if_not: str | None = None
    # A defect may still be claimed under the statutory warranty after the return window.
    warranty_hint: bool = False
    # The registered return that still waits for this item: its page has the label and the QR code.
    open_return_number: str | None = None

    @property
    def eligible(self) -> bool:
        return self.reason_code is None


def delivered_on(order: Order, item: OrderItem) -> dt.date | None:
    """The shop's calendar day the parcel holding this item was delivered, or None while it is not."""
    days = []
    for shipment in order.shipments:
        skus = json.loads(shipment.skus) if shipment.skus else None
        if skus is not None and item.sku not in skus:
            continue
        if shipment.status != "delivered":
            continue
        days.append(_delivery_day(shipment))
    return max(days) if days else None


def _delivery_day(shipment: Shipment) -> dt.date:
    scans = [event.occurred_at for event in shipment.events if event.status == "delivered"]
    return local_date(max(scans) if scans else shipment.updated_at)


def returned_quantities(order: Order) -> dict[int, int]:
    """Per order item, how many are already in a return that was not cancelled."""
    rows = db.session.execute(
        select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnItem.return_id)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status != "cancelled")
        .group_by(ReturnItem.order_item_id)
    ).all()
    return {item_id: int(total) for item_id, total in rows}


def open_returns(order: Order) -> dict[int, str]:
    """Per order item, the newest return that has it but has not arrived yet (its number)."""
    rows = db.session.execute(
        select(ReturnItem.order_item_id, ReturnRequest.number)
        .join(ReturnRequest, ReturnRequest.id == ReturnItem.return_id)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(NOT_YET_BACK))
        .order_by(ReturnRequest.id)
    ).all()
    return {item_id: number for item_id, number in rows}


def _exclusion_text(kind: str) -> str:
    texts = {
        "hygiene": _("Aus Hygienegründen von der Rückgabe ausgeschlossen, wenn die Versiegelung entfernt wurde."),
        "custom": _("Nach Ihren Wünschen angefertigt und deshalb von der Rückgabe ausgeschlossen."),
        "software": _("Software mit geöffneter Versiegelung oder aktiviertem Lizenzschlüssel ist von der Rückgabe "
                      "ausgeschlossen."),
        "voucher": _("Gutscheine können nicht zurückgesendet werden."),
        "perishable": _("Schnell verderbliche Ware ist von der Rückgabe ausgeschlossen."),
    }
    return texts.get(kind, _("Dieser Artikel ist von der Rückgabe ausgeschlossen."))


def item_eligibility(order: Order, policy: ReturnsPolicy, today: dt.date,
                     returned: dict[int, int] | None = None) -> list[ItemEligibility]:
    """Every item of the order with what can still be returned; the first rule that fails gives the reason."""
    returned = returned_quantities(order) if returned is None else returned
    waiting = open_returns(order)
    result = []
    for item in order.items:
        done = returned.get(item.id, 0)
        left = max(item.quantity - done, 0)
        day = delivered_on(order, item)
        ends = day + dt.timedelta(days=policy.window_days) if day else None
        base = dict(item=item, returned_quantity=done, delivered_on=day, window_ends=ends)
        exclusion = policy.non_returnable.get(item.category)
        if order.status == "cancelled":
            result.append(ItemEligibility(returnable_quantity=0, reason_code="cancelled",
                                          reason_if_not=_("Die Bestellung wurde storniert – es gibt nichts "
                                                          "zurückzusenden."), **base))
        elif exclusion or not item.returnable:
            result.append(ItemEligibility(returnable_quantity=0, reason_code=f"excluded_{exclusion or 'shop'}",
                                          reason_if_not=_exclusion_text(exclusion or "shop"), **base))
        elif day is None:
            result.append(ItemEligibility(returnable_quantity=0, reason_code="not_delivered",
                                          reason_if_not=_("Noch nicht zugestellt. Sobald der Artikel bei Ihnen "
                                                          "ist, können Sie ihn hier zurücksenden."), **base))
        elif left == 0 and item.id in waiting:
            result.append(ItemEligibility(returnable_quantity=0, reason_code="return_registered",
                                          reason_if_not=_("Rücksendung angemeldet."),
                                          open_return_number=waiting[item.id], **base))
        elif left == 0:
            result.append(ItemEligibility(returnable_quantity=0, reason_code="already_returned",
                                          reason_if_not=_("Bereits zurückgesendet."), **base))
        elif today > ends:
            result.append(ItemEligibility(
                returnable_quantity=0, reason_code="window_over", warranty_hint=True,
                reason_if_not=_("Die Rückgabefrist von %(days)d Tagen ist am %(date)s abgelaufen.",
                                days=policy.window_days, date=format_date(ends, "long")), **base))
        else:
            result.append(ItemEligibility(returnable_quantity=left, **base))
    return result


def return_window_ends(eligibility: list[ItemEligibility]) -> dt.date | None:
    """The last day any item of the order can still be returned."""
    days = [e.window_ends for e in eligibility if e.eligible and e.window_ends]
    return max(days) if days else None
