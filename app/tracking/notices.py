"""Tell a signed-in customer about a late, stuck or waiting parcel before they have to ask."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from app.shop.fields import shop_today
from app.shop.orders import orders_of
from app.tracking.status import OPEN_STATUSES, advised_status, is_late, is_stuck


@dataclass(frozen=True)
class Notice:
    order_number: str
    kind: str
    text: str
    url: str


def notices_for(user, orders=None) -> list[Notice]:
    """Notices for the user's orders (pass them if already loaded)."""
    today, state = shop_today(), current_app.config["HELPCENTER_FEDERAL_STATE"]
    notices = []
    for order in orders_of(user) if orders is None else orders:
        if order.status == "cancelled":
            continue
        url = f"/sendungsverfolgung/{order.number}"
        shipments = order.shipments
        # As the advice does: a carrier's code may show that a parcel "on the way" already waits for pickup.
        if any(advised_status(s) == "ready_for_pickup" for s in shipments):
            notices.append(Notice(order.number, "ready_for_pickup",
                                  _("Ihre Bestellung %(number)s liegt zur Abholung bereit.", number=order.number), url))
        elif any(advised_status(s) in OPEN_STATUSES and is_late(s, today, state) for s in shipments):
            notices.append(Notice(order.number, "delayed",
                                  _("Ihre Bestellung %(number)s ist später dran als angekündigt.", number=order.number), url))
        elif any(is_stuck(s, today, state) for s in shipments):
            notices.append(Notice(order.number, "stuck",
                                  _("Ihre Bestellung %(number)s wurde seit einigen Tagen nicht mehr gescannt.",
                                    number=order.number), url))
    return notices
