"""Who may see a return and its label: its customer, a guest who proved the order, or a signed mail link."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnRequest
from app.shop.models import Order
from app.shop.orders import has_guest_access, is_owner, is_staff_reader, may_see_order, order_by_number

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
    """The order if this visitor may return goods from it: its customer or whoever proved it (not staff)."""
    order = order_by_number(number)
    if order is None or not (is_owner(order, user) or has_guest_access(order.number)):
        return None
    return order


def return_by_number(number) -> ReturnRequest | None:
    if not isinstance(number, str) or len(number) > 20:
        return None
    return db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == number))


def visible_return(number: str, user, token: str | None = None) -> ReturnRequest | None:
    """The return if this visitor may see it; None otherwise (the caller answers 404 either way)."""
    ret = return_by_number(number)
    if ret is None or not (token_allows(ret.number, token) or may_see_order(ret.order, user)):
        return None
    return ret


def may_download_label(ret: ReturnRequest, user, token: str | None = None) -> bool:
    """The label shows the full address: only the signed-in customer, staff, or the link from the e-mail.

    A guest who merely proved the order with number and postcode sees the return's status, not the address.
    """
    return token_allows(ret.number, token) or is_owner(ret.order, user) or is_staff_reader(user)
