"""Tracking as JSON: own orders, one order's tracking, and the guest lookup."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import error_response
from app.extensions import csrf, limiter
from app.selfservice.guest import GUEST_LOOKUP_LIMITS, GUEST_LOOKUP_SCOPE
from app.shop.fields import SHOP_TIMEZONE, shop_today
from app.shop.orders import orders_of, prove_order, visible_order
from app.tracking.status import TrackingView, build_tracking

bp = Blueprint("tracking_api", __name__, url_prefix="/api")


def iso_local(utc_naive: dt.datetime) -> str:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).isoformat()


def tracking_json(view: TrackingView) -> dict:
    advice = view.advice
    return {
        "order_number": view.order.number,
        "status": view.status,
        "expected_delivery": ({"from": view.expected[0].isoformat(), "to": view.expected[1].isoformat()}
                              if view.expected else None),
        "shipments": [
            {
                "carrier": s.shipment.carrier,
                "tracking_number": s.shipment.tracking_number,
                "tracking_url": s.tracking_url,
                "status": s.shipment.status,
                "events": [{"time": iso_local(e.occurred_at), "status": e.status, "location": e.location, "text": e.text}
                           for e in s.shipment.events],
            }
            for s in view.shipments
        ],
        "advice": {
            "state": advice.state,
            "text": advice.text,
            "next_step": {"label": advice.next_step.label, "url": advice.next_step.url} if advice.next_step else None,
        },
    }


def _build(order) -> TrackingView:
    return build_tracking(order, shop_today(), current_app.config["HELPCENTER_FEDERAL_STATE"])


@bp.get("/orders")
@login_required
def orders():
    """The signed-in customer's own orders, newest first."""
    return jsonify({"orders": [
        {"number": o.number, "placed_at": iso_local(o.placed_at), "status": o.status,
         "total": f"{o.total_cents / 100:.2f}", "currency": o.currency,
         "items": [{"sku": i.sku, "name": i.name, "quantity": i.quantity} for i in o.items]}
        for o in orders_of(current_user)
    ]})


@bp.get("/orders/<number>/tracking")
def order_tracking(number):
    """Tracking of an order the caller may see; anyone else's order is a 404, never a 403."""
    order = visible_order(number, current_user)
    if order is None:
        return error_response(404, code="not_found")
    return jsonify(tracking_json(_build(order)))


@bp.post("/tracking/lookup")
@csrf.exempt
@limiter.shared_limit(GUEST_LOOKUP_LIMITS, scope=GUEST_LOOKUP_SCOPE)
def guest_lookup():
    """Guests prove an order with {"order_number", "postcode"}; any wrong pair is the same 404."""
    # JSON only: no cross-site form can send it, so no CSRF token is needed for this read.
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": {"code": "invalid_request",
                                  "message": _("Bitte senden Sie order_number und postcode als JSON.")}}), 400
    number, postcode = body.get("order_number"), body.get("postcode")
    if not isinstance(number, str) or not isinstance(postcode, str):
        return jsonify({"error": {"code": "invalid_request",
                                  "message": _("order_number und postcode müssen Text sein.")}}), 400
    order = prove_order(number, postcode)
    if order is None:
        return error_response(404, _("Zu dieser Bestellnummer und Postleitzahl haben wir keine Bestellung gefunden."),
                              code="not_found")
    return jsonify(tracking_json(_build(order)))
