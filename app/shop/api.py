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
from app.shop.models import Shipment
from app.returns.models import ReturnRequest
from app.shop.schemas import AfterShipBody, ShipmentEventsAnswer, ShipmentEventsBody
from app.tracking.aftership import tracking_scans
from app.tracking.intake import as_event, store_return_scans, store_shipment_events

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
    return _stored(shipment, parsed)


def _stored(shipment: Shipment, events: list) -> tuple:
    """Store the events once, commit, and answer 202 (something new) or 200 (all known already)."""
    try:
        added, duplicates, _coded = store_shipment_events(shipment, events)
        db.session.commit()
    except IntegrityError:
        # The same delivery arrived twice at once (a carrier's retry) and the other request stored it first.
        db.session.rollback()
        added, duplicates = 0, len(events)
    answer = ShipmentEventsAnswer(tracking_number=shipment.tracking_number, accepted=added, duplicates=duplicates,
                                  status=shipment.status)
    return jsonify(answer.model_dump(mode="json")), 202 if added else 200


@bp.post("/aftership")
@csrf.exempt
@api_operation("AfterShip Tracking's webhook: checkpoints of one tracking number", body=AfterShipBody,
               parse_body=False, responses={202: ShipmentEventsAnswer, 200: ShipmentEventsAnswer},
               errors=(401, 404, 413, 422), auth="aftership", tags=("webhooks",),
               description="aftership-hmac-sha256: <base64 HMAC-SHA256 of the raw body under "
                           "HELPCENTER_AFTERSHIP_WEBHOOK_SECRET>, checked before the body is read. msg.tracking_number "
                           "is an outgoing shipment's or a return parcel's number; each checkpoint's tag/subtag "
                           "becomes its status and code (app/tracking/aftership.py). A repeated checkpoint is "
                           "accepted once: 202 when something was stored, 200 when everything was known.")
def aftership():
    """Store AfterShip's checkpoints for one tracking number; a repeated checkpoint is accepted once."""
    require_signature("HELPCENTER_AFTERSHIP_WEBHOOK_SECRET", "aftership-hmac-sha256", encoding="base64")
    payload = parse_data(AfterShipBody, request.get_json(force=True))
    scans = tracking_scans(payload.msg)
    number = payload.msg.tracking_number
    shipment = db.session.scalar(select(Shipment).where(Shipment.tracking_number == number))
    if shipment is None:
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.tracking_number == number))
        if ret is None:
            raise NotFound("unknown tracking number", code="unknown_tracking_number")
        # A return parcel: its steps only go forward; a checkpoint the return has passed is simply not a step.
        added = store_return_scans(ret, scans)
        db.session.commit()
        answer = ShipmentEventsAnswer(tracking_number=number, accepted=added, duplicates=len(scans) - added,
                                      status=ret.status)
        return jsonify(answer.model_dump(mode="json")), 202 if added else 200
    return _stored(shipment, [as_event(scan) for scan in scans])
