"""Returns as JSON: what can go back, start a return, its status and label, carrier and agent updates."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api.openapi import api_operation
from app.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from app.core.hosts import external_url
from app.core.schemas import parse_data, parse_json
from app.core.signatures import require_signature
from app.extensions import csrf, db, limiter
from app.i18n import current_language
from app.idempotency import header_key
from app.returns import views
from app.returns.access import may_download_label, return_by_number, returnable_order, visible_return
from app.returns.documents import LabelPending, NoLabel
from app.returns.labels import label_status, order_now
from app.returns.eligibility import item_eligibility, return_window_ends
from app.returns.messages import return_payload
from app.returns.models import ReturnRequest
from app.returns.schemas import (CarrierChoice, ExchangeOption, LinkQuery, ReturnableItem, Returnable, ReturnBody,
                                 ReturnCreated, ReturnDetail, ReturnEvent, ReturnEventBody, ReturnStatusBody,
                                 ScanAccepted)
from app.returns.service import ReturnInput, ReturnLine, exchange_options, submit_and_commit
from app.returns.status import TransitionRefused, advance
from app.selfservice.trail import current_trail

bp = Blueprint("returns_api", __name__, url_prefix="/api")


def _no_label() -> NotFound:
    return NotFound(_("Für diese Rücksendung gibt es kein Etikett."), code="no_label")


def _label_pending() -> Conflict:
    return Conflict(_("Das Etikett wird noch erstellt. Bitte versuchen Sie es in einigen Minuten erneut."),
                    code="label_pending")


@bp.get("/orders/<number>/returnable")
@api_operation("What of an order can go back, with whom and until when", responses={200: Returnable},
               errors=(404,), tags=("returns",), auth="session",
               description="For the order's customer or a guest who proved the order; 404 for anyone else.")
def returnable(number):
    """Every item of the order with `eligible` and, when not, `reason_if_not`."""
    order = returnable_order(number, current_user)
    if order is None:
        raise NotFound()
    eligibility = item_eligibility(order, views.policy(), views.today())
    answer = Returnable(
        order_number=order.number, return_window_ends=return_window_ends(eligibility),
        carriers=[CarrierChoice(code=c.code, name=c.name, drop_off=str(c.drop_off))
                  for c in views.policy().carriers.values()],
        items=[ReturnableItem(
            sku=e.item.sku, name=e.item.name, quantity=e.item.quantity, returnable_quantity=e.returnable_quantity,
            eligible=e.eligible, reason_if_not=str(e.reason_if_not) if e.reason_if_not is not None else None,
            reason_code=e.reason_code,
            exchange_options=[ExchangeOption(sku=v.sku, size=v.size, colour=v.colour, in_stock=v.stock > 0)
                              for v in exchange_options(e.item.sku)] if e.eligible else [],
        ) for e in eligibility])
    return jsonify(answer.model_dump(mode="json"))


def _input(body: ReturnBody) -> ReturnInput:
    lines = tuple(ReturnLine(sku=item.sku, quantity=item.quantity, reason=item.reason, comment=item.comment,
                             exchange_for=body.wanted_for(item)) for item in body.items)
    return ReturnInput(order_number=body.order_number, lines=lines, resolution=body.resolution, carrier=body.carrier,
                       lang=current_language(), trail=current_trail())


def return_json(ret: ReturnRequest) -> ReturnCreated:
    has_label = ret.carrier is not None
    return ReturnCreated(
        return_number=ret.number, status=ret.status, returnless=ret.returnless,
        label_url=external_url("returns_api.label", number=ret.number) if has_label else None,
        qr_url=external_url("returns_api.qr", number=ret.number) if has_label else None,
        label_status=label_status(ret), tracking_number=ret.tracking_number)


@bp.post("/returns")
@limiter.limit("30 per hour")
@api_operation("Start a return", body=ReturnBody, responses={201: ReturnCreated, 200: ReturnCreated},
               errors=(404, 422), tags=("returns",), auth="session",
               description="With an Idempotency-Key header a retried request answers 200 with the first return; "
                           "the same key with another body is 422 idempotency_conflict. Needs X-CSRFToken.")
def create_return(body: ReturnBody):
    """Start a return; with Idempotency-Key a retried request returns the first return."""
    data = _input(body)
    order = returnable_order(data.order_number, current_user)
    if order is None:
        raise NotFound()
    key = header_key(f"user{current_user.id}" if current_user.is_authenticated else f"guest:{order.number}")
    data = ReturnInput(**{**data.__dict__, "idempotency_key": key})
    submission = submit_and_commit(data, order, current_user, views.policy(),
                                   current_app.extensions["helpcenter.routing"], views.now())
    if submission.created:
        order_now(submission.return_request, views.now())
    return jsonify(return_json(submission.return_request).model_dump(mode="json")), \
        201 if submission.created else 200


def _visible(number, query: LinkQuery):
    return visible_return(number, current_user, query.t)


@bp.get("/returns/<number>")
@api_operation("A return with its items and history", query=LinkQuery, responses={200: ReturnDetail},
               errors=(404,), tags=("returns",), auth="session")
def get_return(number, query: LinkQuery):
    """The owner's return with its items and history; anyone else gets 404."""
    ret = _visible(number, query)
    if ret is None:
        raise NotFound()
    detail = ReturnDetail(
        **return_json(ret).model_dump(), **{k: v for k, v in return_payload(ret).items()
                                            if k not in ReturnCreated.model_fields},
        created_at=ret.created_at.isoformat() + "Z",
        events=[ReturnEvent(status=e.status, source=e.source, time=e.occurred_at.isoformat() + "Z",
                            location=e.location) for e in ret.events])
    response = jsonify(detail.model_dump(mode="json"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/returns/<number>/label.pdf")
@api_operation("The return label as PDF", query=LinkQuery, responses={200: "application/pdf"}, errors=(404, 409),
               tags=("returns",), auth="session",
               description="The signed-in customer, staff, or the e-mail link (?t=) only: the label shows the address.")
def label(number, query: LinkQuery):
    """The label PDF for the owner only."""
    ret = _visible(number, query)
    if ret is None or not may_download_label(ret, current_user, query.t):
        raise NotFound()
    try:
        return views.label_download(ret)
    except LabelPending:
        raise _label_pending() from None
    except NoLabel:
        raise _no_label() from None


@bp.get("/returns/<number>/qr.png")
@api_operation("The QR code to show at the parcel shop", query=LinkQuery, responses={200: "image/png"},
               errors=(404, 409), tags=("returns",), auth="session")
def qr(number, query: LinkQuery):
    """The QR code to show at the parcel shop, for the owner only."""
    ret = _visible(number, query)
    if ret is None:
        raise NotFound()
    try:
        return views.qr_download(ret)
    except LabelPending:
        raise _label_pending() from None
    except NoLabel:
        raise _no_label() from None


@bp.post("/returns/events")
@csrf.exempt
@api_operation("A carrier scan of a return parcel (signed webhook)", body=ReturnEventBody, parse_body=False,
               responses={200: ScanAccepted}, errors=(401, 404, 409, 413, 422), auth="signature",
               tags=("webhooks",),
               description="X-Signature: sha256=<hex HMAC-SHA256 of the raw body under HELPCENTER_WEBHOOK_SECRET>, "
                           "checked before the body is read. A repeated scan is accepted once; 409 a step backwards.")
def carrier_event():
    """Carrier scans of a return parcel, signed like the shipment webhook; a repeated event is accepted once."""
    require_signature()
    scan = parse_data(ReturnEventBody, request.get_json(force=True))
    ret = return_by_number(scan.return_number)
    if ret is None:
        raise NotFound("unknown return")
    try:
        added = advance(ret, scan.status, "carrier", scan.time, location=scan.location)
    except TransitionRefused as exc:
        raise Conflict(str(exc), code="transition_refused") from None
    db.session.commit()
    return jsonify(ScanAccepted(return_number=ret.number, status=ret.status, accepted=added).model_dump(mode="json"))


@bp.post("/returns/<number>/status")
@api_operation("An agent moves a return on", body=ReturnStatusBody, parse_body=False, responses={200: ReturnCreated},
               errors=(401, 403, 404, 409, 422), auth="agent", tags=("returns",),
               description="Needs X-CSRFToken. 409 transition_refused when the step does not fit.")
def agent_status(number):
    """An agent moves a return on: {"status": "received"|"inspected"|"refunded"|"exchanged"|"cancelled", "note"?}."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    if not current_user.works_cases:
        raise Forbidden()
    ret = return_by_number(number)
    if ret is None:
        raise NotFound()
    body = parse_json(ReturnStatusBody)
    try:
        advance(ret, body.status, "agent", dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                actor_id=current_user.id, note=body.note)
    except TransitionRefused as exc:
        raise Conflict(str(exc), code="transition_refused") from None
    db.session.commit()
    return jsonify(return_json(ret).model_dump(mode="json"))
