"""Returns as JSON: what can go back, start a return, its status and label, carrier and agent updates."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.core.hosts import external_url
from app.errors import error_response, idempotency_conflict, invalid_field, invalid_fields
from app.extensions import csrf, db, limiter
from app.i18n import current_language
from app.idempotency import FieldErrors, IdempotencyConflict, header_key
from app.returns import views
from app.returns.access import may_download_label, return_by_number, returnable_order, visible_return
from app.returns.documents import NoLabel
from app.returns.eligibility import item_eligibility, return_window_ends
from app.returns.messages import return_payload
from app.returns.models import ReturnRequest
from app.returns.service import ReturnInput, ReturnLine, exchange_options, submit_and_commit
from app.returns.status import TransitionRefused, advance
from app.selfservice.trail import current_trail
from app.shop.api import signature_valid
from app.shop.fields import RecordError, parse_time

bp = Blueprint("returns_api", __name__, url_prefix="/api")

MAX_ITEMS = 50


@bp.get("/orders/<number>/returnable")
def returnable(number):
    """Every item of the order with `eligible` and, when not, `reason_if_not`."""
    order = returnable_order(number, current_user)
    if order is None:
        return error_response(404, code="not_found")
    eligibility = item_eligibility(order, views.policy(), views.today())
    ends = return_window_ends(eligibility)
    return jsonify({
        "order_number": order.number,
        "return_window_ends": ends.isoformat() if ends else None,
        "carriers": [{"code": c.code, "name": c.name, "drop_off": c.drop_off}
                     for c in views.policy().carriers.values()],
        "items": [{
            "sku": e.item.sku, "name": e.item.name, "quantity": e.item.quantity,
            "returnable_quantity": e.returnable_quantity, "eligible": e.eligible,
            "reason_if_not": e.reason_if_not, "reason_code": e.reason_code,
            "exchange_options": [{"sku": v.sku, "size": v.size, "colour": v.colour, "in_stock": v.stock > 0}
                                 for v in exchange_options(e.item.sku)] if e.eligible else [],
        } for e in eligibility],
    })


def _text_or_none(body: dict, name: str, errors: dict, key: str | None = None):
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        errors[key or name] = _("Muss Text sein.")
        return None
    return value


def _parse(body) -> tuple[ReturnInput | None, dict]:
    if not isinstance(body, dict):
        return None, {"body": _("Bitte senden Sie ein JSON-Objekt.")}
    errors: dict[str, str] = {}
    number = _text_or_none(body, "order_number", errors)
    if not number:
        errors.setdefault("order_number", _("Bitte geben Sie die Bestellnummer an."))
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not raw_items or len(raw_items) > MAX_ITEMS:
        errors["items"] = _("Bitte senden Sie 1 bis %(n)d Artikel als Liste.", n=MAX_ITEMS)
        raw_items = []
    exchange_for = body.get("exchange_for")
    if exchange_for is not None and not isinstance(exchange_for, (str, dict)):
        errors["exchange_for"] = _("Muss eine Artikelnummer oder ein Objekt {Artikelnummer: neue Artikelnummer} sein.")
        exchange_for = None
    lines = []
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            errors[f"items.{index}"] = _("Muss ein Objekt sein.")
            continue
        sku = _text_or_none(raw, "sku", errors, f"items.{index}.sku")
        reason = _text_or_none(raw, "reason", errors, f"items.{index}.reason")
        comment = _text_or_none(raw, "comment", errors, f"items.{index}.comment")
        wanted = _text_or_none(raw, "exchange_for", errors, f"items.{index}.exchange_for")
        if wanted is None and isinstance(exchange_for, dict):
            wanted = exchange_for.get(sku) if isinstance(exchange_for.get(sku), str) else None
        elif wanted is None and isinstance(exchange_for, str):
            wanted = exchange_for
        quantity = raw.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            errors[f"items.{index}.quantity"] = _("Muss eine ganze Zahl sein.")
        lines.append(ReturnLine(sku=sku, quantity=quantity, reason=reason, comment=comment, exchange_for=wanted))
    resolution = _text_or_none(body, "resolution", errors)
    carrier = _text_or_none(body, "carrier", errors)
    if errors:
        return None, errors
    return ReturnInput(order_number=number, lines=tuple(lines), resolution=resolution, carrier=carrier,
                       lang=current_language(), trail=current_trail()), {}


def return_json(ret: ReturnRequest) -> dict:
    has_label = ret.carrier is not None
    return {
        "return_number": ret.number, "status": ret.status, "returnless": ret.returnless,
        "label_url": external_url("returns_api.label", number=ret.number) if has_label else None,
        "qr_url": external_url("returns_api.qr", number=ret.number) if has_label else None,
    }


@bp.post("/returns")
@limiter.limit("30 per hour")
def create_return():
    """Start a return; with Idempotency-Key a retried request returns the first return."""
    data, errors = _parse(request.get_json(silent=True))
    if errors:
        return invalid_fields(errors)
    order = returnable_order(data.order_number, current_user)
    if order is None:
        return error_response(404, code="not_found")
    try:
        key = header_key(f"user{current_user.id}" if current_user.is_authenticated else f"guest:{order.number}")
        data = ReturnInput(**{**data.__dict__, "idempotency_key": key})
        submission = submit_and_commit(data, order, current_user, views.policy(),
                                       current_app.extensions["helpcenter.routing"], views.now())
    except FieldErrors as exc:
        return invalid_fields(exc.errors)
    except IdempotencyConflict:
        return idempotency_conflict()
    return jsonify(return_json(submission.return_request)), 201 if submission.created else 200


def _visible(number):
    return visible_return(number, current_user, request.args.get("t"))


@bp.get("/returns/<number>")
def get_return(number):
    """The owner's return with its items and history; anyone else gets 404."""
    ret = _visible(number)
    if ret is None:
        return error_response(404, code="not_found")
    body = return_json(ret)
    body.update(return_payload(ret))
    body["created_at"] = ret.created_at.isoformat() + "Z"
    body["events"] = [{"status": e.status, "source": e.source, "time": e.occurred_at.isoformat() + "Z",
                       "location": e.location} for e in ret.events]
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/returns/<number>/label.pdf")
def label(number):
    """The label PDF for the owner only."""
    ret = _visible(number)
    if ret is None or not may_download_label(ret, current_user, request.args.get("t")):
        return error_response(404, code="not_found")
    try:
        return views.label_download(ret)
    except NoLabel:
        return error_response(404, _("Für diese Rücksendung gibt es kein Etikett."), code="no_label")


@bp.get("/returns/<number>/qr.png")
def qr(number):
    """The QR code to show at the parcel shop, for the owner only."""
    ret = _visible(number)
    if ret is None:
        return error_response(404, code="not_found")
    try:
        return views.qr_download(ret)
    except NoLabel:
        return error_response(404, _("Für diese Rücksendung gibt es kein Etikett."), code="no_label")


@bp.post("/returns/events")
@csrf.exempt
def carrier_event():
    """Carrier scans of a return parcel, signed like the shipment webhook: {"return_number", "status", "time",
    "location"?}; a repeated event is accepted once."""
    if not signature_valid(request.get_data(cache=True), request.headers.get("X-Signature"),
                           current_app.config["HELPCENTER_WEBHOOK_SECRET"]):
        return error_response(401, "invalid signature", code="invalid_signature")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return invalid_field("body must be a JSON object")
    number, status, location = payload.get("return_number"), payload.get("status"), payload.get("location")
    if not isinstance(number, str) or not isinstance(status, str):
        return invalid_field("'return_number' and 'status' must be text", "return_number")
    if location is not None and (not isinstance(location, str) or len(location) > 200):
        return invalid_field("'location' must be text of at most 200 characters", "location")
    try:
        occurred = parse_time(payload.get("time"), "time")
    except RecordError as exc:
        return invalid_field(str(exc), "time")
    ret = return_by_number(number)
    if ret is None:
        return error_response(404, "unknown return", code="not_found")
    try:
        added = advance(ret, status, "carrier", occurred, location=location)
    except TransitionRefused as exc:
        db.session.rollback()
        return jsonify({"error": {"code": "transition_refused", "message": str(exc)}}), 409
    db.session.commit()
    return jsonify({"return_number": ret.number, "status": ret.status, "accepted": added}), 200


@bp.post("/returns/<number>/status")
def agent_status(number):
    """An agent moves a return on: {"status": "received"|"inspected"|"refunded"|"exchanged"|"cancelled", "note"?}."""
    if not current_user.is_authenticated:
        return error_response(401, code="unauthorized")
    if current_user.role not in ("agent", "admin"):
        return error_response(403, code="forbidden")
    ret = return_by_number(number)
    if ret is None:
        return error_response(404, code="not_found")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
        return invalid_field("'status' must be text", "status")
    note = payload.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        return invalid_field("'note' must be text of at most 500 characters", "note")
    try:
        advance(ret, payload["status"], "agent", dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                actor_id=current_user.id, note=note)
    except TransitionRefused as exc:
        db.session.rollback()
        return jsonify({"error": {"code": "transition_refused", "message": str(exc)}}), 409
    db.session.commit()
    return jsonify(return_json(ret) | {"status": ret.status})
