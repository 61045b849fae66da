"""Guests prove an order with number and postcode: one check, one budget and one answer for every flow."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.core.forms import parse_form_into
from app.extensions import limiter
from app.selfservice.trail import record
from app.shop.models import Order
from app.shop.orders import grant_guest_access, prove_order
from app.tracking.schemas import GuestLookup

GUEST_LOOKUP_LIMITS = "10 per minute;30 per hour"
# One budget for every way a guest proves an order (tracking, returns, tracking API, contact form,
# case API, withdrawal): guesses in one flow use up the others too.
GUEST_LOOKUP_SCOPE = "guest-order-lookup"


def _given(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def guest_posts_form(*fields: str) -> bool:
    """A visitor who is not signed in posted all these form fields (an order proof)."""
    return not current_user.is_authenticated and all(_given(request.form.get(name)) for name in fields)


def guest_posts_json(*fields: str) -> bool:
    """A visitor who is not signed in sent all these JSON fields (an order proof)."""
    if current_user.is_authenticated:
        return False
    body = request.get_json(silent=True) if request.is_json else None
    return isinstance(body, dict) and all(_given(body.get(name)) for name in fields)


def guest_proof_limit(is_proof):
    """Count a request on the shared guest budget when `is_proof()` says it proves an order as a
    guest; signed-in customers, and guests who name no order, are not counted."""
    return limiter.shared_limit(GUEST_LOOKUP_LIMITS, scope=GUEST_LOOKUP_SCOPE, methods=["POST"],
                                exempt_when=lambda: not is_proof())


def prove_guest_order(form, flow: str) -> Order | None:
    """Parse the posted lookup form and grant access to the order; every wrong pair gets the same message.

    None with the messages on the form's fields (the view shows the form again).
    """
    given = parse_form_into(GuestLookup, form)
    if given is None:
        for field in (form.order_number, form.postcode):
            if field.errors and isinstance(field.data, str):
                # Shown again without the refused control characters.
                field.data = "".join(ch for ch in field.data if ch.isprintable())
        return None
    order = prove_order(given.order_number, given.postcode)
    if order is not None:
        grant_guest_access(order)
        record("flow", flow=flow, step="guest_lookup", outcome="found", order=order.number)
        return order
    record("flow", flow=flow, step="guest_lookup", outcome="not_found")
    form.order_number.errors = [_("Zu dieser Bestellnummer und Postleitzahl haben wir keine Bestellung "
                                  "gefunden. Bitte prüfen Sie beide Angaben in Ihrer Bestellbestätigung.")]
    return None
