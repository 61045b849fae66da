"""Who may see which order: its customer, staff, or a guest who proved it with number and postcode."""
from __future__ import annotations

import time

from flask import current_app, session
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.shop.models import Order, Shipment

_GUEST_KEY = "guest_orders"


def _with_details():
    return (selectinload(Order.items), selectinload(Order.shipments).selectinload(Shipment.events))


def orders_of(user) -> list[Order]:
    """The signed-in customer's orders, newest first (none for staff without a customer record)."""
    if not getattr(user, "is_authenticated", False) or user.customer_id is None:
        return []
    return list(db.session.scalars(
        select(Order).where(Order.customer_id == user.customer_id).options(*_with_details())
        .order_by(Order.placed_at.desc())
    ))


def normalise_postcode(value: str) -> str:
    return "".join(str(value or "").split()).upper()


def order_by_number(number: str) -> Order | None:
    if not isinstance(number, str) or not 0 < len(number.strip()) <= 40:
        return None
    return db.session.scalar(select(Order).where(Order.number == number.strip()).options(*_with_details()))


def prove_order(number: str, postcode: str) -> Order | None:
    """The order if number and delivery postcode match; None for any wrong pair, alike."""
    order = order_by_number(number)
    if order is None or normalise_postcode(order.ship_postcode) != normalise_postcode(postcode) or not postcode:
        return None
    return order


def grant_guest_access(order: Order) -> None:
    grants = {k: v for k, v in session.get(_GUEST_KEY, {}).items() if v > time.time()}
    grants[order.number] = time.time() + current_app.config["HELPCENTER_GUEST_ACCESS_MINUTES"] * 60
    session[_GUEST_KEY] = grants


def has_guest_access(number: str) -> bool:
    expiry = session.get(_GUEST_KEY, {}).get(number)
    return isinstance(expiry, (int, float)) and expiry > time.time()


def is_owner(order: Order, user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.customer_id == order.customer_id)


def is_staff_reader(user) -> bool:
    """Agents and admins may read every customer's orders (editors may not)."""
    return bool(getattr(user, "is_authenticated", False) and user.works_cases)


def may_see_order(order: Order, user) -> bool:
    """Its customer, staff, or a guest (or signed-in visitor) who proved it with number and postcode."""
    return is_owner(order, user) or is_staff_reader(user) or has_guest_access(order.number)


def visible_order(number: str, user) -> Order | None:
    """The order if this visitor may see it, else None — the caller answers 404 either way."""
    order = order_by_number(number)
    return order if order is not None and may_see_order(order, user) else None
