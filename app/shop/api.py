"""Carrier status events by webhook: POST /api/shipments/events, signed with HMAC-SHA256."""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import error_response, invalid_field
from app.extensions import csrf, db
from app.shop.events import parse_event, record_events
from app.shop.models import Shipment
from app.tracking.notifications import notify_status_change

bp = Blueprint("shop_api", __name__, url_prefix="/api/shipments")

MAX_EVENTS = 200


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    if not secret or not header:
        return False
    given = header.split("=", 1)[1] if header.startswith("sha256=") else header
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


@bp.post("/events")
@csrf.exempt
def events():
    """Store a carrier's events for one tracking number; a repeated event is accepted once.

    Body: {"tracking_number": "...", "events": [{"time", "status", "location"?, "text"}]}
    or a single event with "tracking_number" beside its fields.
    """
    body = request.get_data(cache=True)
    if not signature_valid(body, request.headers.get("X-Signature"), current_app.config["HELPCENTER_WEBHOOK_SECRET"]):
        return error_response(401, "invalid signature", code="invalid_signature")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return invalid_field("body must be a JSON object")
    tracking_number = payload.get("tracking_number")
    if not isinstance(tracking_number, str) or not tracking_number.strip():
        return invalid_field("'tracking_number' is missing", "tracking_number")
    raw_events = payload.get("events", [payload] if "status" in payload else None)
    if not isinstance(raw_events, list) or not raw_events or len(raw_events) > MAX_EVENTS:
        return invalid_field(f"'events' must be a list of 1 to {MAX_EVENTS} events", "events")
    parsed = []
    for position, raw in enumerate(raw_events):
        try:
            parsed.append(parse_event(raw))
        except ValueError as exc:
            return invalid_field(f"events[{position}]: {exc}", "events")
    shipment = db.session.scalar(select(Shipment).where(Shipment.tracking_number == tracking_number.strip()))
    if shipment is None:
        return error_response(404, "unknown tracking number", code="unknown_tracking_number")
    old_status = shipment.status
    try:
        added, duplicates = record_events(shipment, parsed)
        notify_status_change(shipment, old_status)
        db.session.commit()
    except IntegrityError:
        # The same delivery arrived twice at once and the other request stored it first.
        db.session.rollback()
        added, duplicates = 0, len(parsed)
    return jsonify({"tracking_number": shipment.tracking_number, "accepted": added, "duplicates": duplicates,
                    "status": shipment.status}), 202 if added else 200
