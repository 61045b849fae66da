"""Who may see a return and its label: its customer, a guest who proved the order, or a signed mail link."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnRequest
from app.shop.models import Order
from app.shop.orders import has_guest_access, order_by_number

# Long enough to drop the parcel off after a holiday; the label has no value after the window anyway.
LINK_MAX_AGE_SECONDS = 60 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="return-link")


def return_link_token(ret: ReturnRequest) -> str:
    return _serializer().dumps(ret.number)


def token_allows(number: str, token: str | None) -> bool:
    if not token or len(token) > 200:
        return False
    try:
        return _serializer().loads(token, max_age=LINK_MAX_AGE_SECONDS) == number
    except BadSignature:
        return False


def returnable_order(number: str, user) -> Order | None:
    """The order if this visitor may return goods from it: its customer or a guest who proved it."""
    order = order_by_number(number)
    if order is None:
        return None
    if getattr(user, "is_authenticated", False) and user.customer_id is not None:
        return order if user.customer_id == order.customer_id else None
    return order if has_guest_access(order.number) else None


def visible_return(number: str, user, token: str | None = None) -> ReturnRequest | None:
    """The return if this visitor may see it; None otherwise (the caller answers 404 either way)."""
    if not isinstance(number, str) or len(number) > 20:
        return None
    ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == number))
    if ret is None:
        return None
    if token_allows(number, token):
        return ret
    if getattr(user, "is_authenticated", False):
        if user.customer_id is not None and user.customer_id == ret.customer_id:
            return ret
        if user.role in ("agent", "admin"):
            return ret
        return None
    return ret if has_guest_access(ret.order.number) else None


def may_download_label(ret: ReturnRequest, user, token: str | None = None) -> bool:
    """The label shows the full address: only the signed-in customer, staff, or the link from the e-mail.

    A guest who merely proved the order with number and postcode sees the return's status, not the address.
    """
    if token_allows(ret.number, token):
        return True
    if getattr(user, "is_authenticated", False):
        return user.customer_id == ret.customer_id or user.role in ("agent", "admin")
    return False
