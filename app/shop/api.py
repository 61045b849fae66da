"""Carrier status events by webhook: POST /api/shipments/events, signed with HMAC-SHA256."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.api.openapi import api_operation
from app.core.errors import NotFound
from app.core.schemas import parse_data
from app.core.signatures import require_signature
from app.extensions import csrf, db
from app.shop.events import record_events
from app.shop.models import Shipment
from app.shop.schemas import ShipmentEventsAnswer, ShipmentEventsBody
from app.tracking.notifications import notify_status_change

bp = Blueprint("shop_api", __name__, url_prefix="/api/shipments")


@bp.post("/events")
@csrf.exempt
@api_operation("A carrier's scans for one tracking number (signed webhook)", body=ShipmentEventsBody,
               parse_body=False, responses={202: ShipmentEventsAnswer, 200: ShipmentEventsAnswer},
               errors=(401, 404, 413, 422), auth="signature", tags=("webhooks",),
               description="X-Signature: sha256=<hex HMAC-SHA256 of the raw body under HELPCENTER_WEBHOOK_SECRET>. "
                           "A single event may be sent flat beside tracking_number. 202 when something was stored, "
                           "200 when every event was known already; 422 names the first bad field and stores nothing.")
def events():
    """Store a carrier's events for one tracking number; a repeated event is accepted once."""
    require_signature()
    payload = parse_data(ShipmentEventsBody, request.get_json(force=True))
    parsed = [event.to_input() for event in payload.events]
    shipment = db.session.scalar(select(Shipment).where(Shipment.tracking_number == payload.tracking_number))
    if shipment is None:
        raise NotFound("unknown tracking number", code="unknown_tracking_number")
    old_status = shipment.status
    try:
        added, duplicates, _coded = record_events(shipment, parsed)
        notify_status_change(shipment, old_status)
        db.session.commit()
    except IntegrityError:
        # The same delivery arrived twice at once and the other request stored it first.
        db.session.rollback()
        added, duplicates = 0, len(parsed)
    answer = ShipmentEventsAnswer(tracking_number=shipment.tracking_number, accepted=added, duplicates=duplicates,
                                  status=shipment.status)
    return jsonify(answer.model_dump(mode="json")), 202 if added else 200
