"""Tracking as JSON: own orders, one order's tracking, and the guest lookup."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api.openapi import api_operation
from app.core.errors import NotFound, Unauthorized
from app.core.schemas import parse_data
from app.extensions import csrf, limiter
from app.selfservice.guest import GUEST_LOOKUP_LIMITS, GUEST_LOOKUP_SCOPE
from app.shop.fields import SHOP_TIMEZONE, shop_today
from app.shop.orders import orders_of, prove_order, visible_order
from app.tracking.schemas import (Advice, DeliveryWindow, LookupBody, NextStep, OrderLine, OrderList, OrderSummary,
                                  ShipmentTracking, Tracking, TrackingEvent)
from app.tracking.status import TrackingView, build_tracking

bp = Blueprint("tracking_api", __name__, url_prefix="/api")


def iso_local(utc_naive: dt.datetime) -> str:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).isoformat()


def tracking_answer(view: TrackingView) -> Tracking:
    advice = view.advice
    return Tracking(
        order_number=view.order.number,
        status=view.status,
        expected_delivery=(DeliveryWindow(**{"from": view.expected[0].isoformat(), "to": view.expected[1].isoformat()})
                           if view.expected else None),
        shipments=[ShipmentTracking(
            carrier=s.shipment.carrier, tracking_number=s.shipment.tracking_number, tracking_url=s.tracking_url,
            status=s.shipment.status,
            events=[TrackingEvent(time=iso_local(e.occurred_at), status=e.status, location=e.location, text=e.text)
                    for e in s.shipment.events]) for s in view.shipments],
        advice=Advice(state=advice.state, text=str(advice.text),
                      next_step=NextStep(label=str(advice.next_step.label), url=advice.next_step.url)
                      if advice.next_step else None),
    )


def tracking_json(view: TrackingView) -> dict:
    """The tracking object as JSON, exactly as the OpenAPI document describes it."""
    return tracking_answer(view).model_dump(mode="json", by_alias=True)


def _build(order) -> TrackingView:
    return build_tracking(order, shop_today(), current_app.config["HELPCENTER_FEDERAL_STATE"])


@bp.get("/orders")
@api_operation("The signed-in customer's orders, newest first", responses={200: OrderList}, errors=(401,),
               tags=("tracking",), auth="session")
def orders():
    """The signed-in customer's own orders, newest first."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    answer = OrderList(orders=[
        OrderSummary(number=o.number, placed_at=iso_local(o.placed_at), status=o.status,
                     total=f"{o.total_cents / 100:.2f}", currency=o.currency,
                     items=[OrderLine(sku=i.sku, name=i.name, quantity=i.quantity) for i in o.items])
        for o in orders_of(current_user)])
    return jsonify(answer.model_dump(mode="json"))


@bp.get("/orders/<number>/tracking")
@api_operation("Tracking of an order", responses={200: Tracking}, errors=(404,), tags=("tracking",), auth="session",
               description="For the order's customer or a guest who proved it; anyone else's order is 404, never 403.")
def order_tracking(number):
    """Tracking of an order the caller may see; anyone else's order is a 404, never a 403."""
    order = visible_order(number, current_user)
    if order is None:
        raise NotFound()
    return jsonify(tracking_json(_build(order)))


@bp.post("/tracking/lookup")
@csrf.exempt
@limiter.shared_limit(GUEST_LOOKUP_LIMITS, scope=GUEST_LOOKUP_SCOPE)
@api_operation("A guest proves an order with number and postcode", body=LookupBody, parse_body=False,
               responses={200: Tracking}, errors=(404,), tags=("tracking",),
               description="Every wrong pair is the same 404; one budget with every other guest lookup "
                           "(10 a minute, 30 an hour per client).")
def guest_lookup():
    """Guests prove an order with {"order_number", "postcode"}; any wrong pair is the same 404."""
    # JSON only: no cross-site form can send it, so no CSRF token is needed for this read.
    # Anything but a JSON object with both texts is the documented 400.
    body = parse_data(LookupBody, request.get_json(silent=True))
    order = prove_order(body.order_number, body.postcode)
    if order is None:
        raise NotFound(_("Zu dieser Bestellnummer und Postleitzahl haben wir keine Bestellung gefunden."))
    return jsonify(tracking_json(_build(order)))
