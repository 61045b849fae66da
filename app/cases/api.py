"""Cases as JSON: POST /api/cases, GET /api/cases/<number>, GET /api/contact/availability."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user

from app.cases.access import remember_case, visible_case
from app.cases.availability import callback_slots, chat_available, next_opening
from app.cases.service import CaseRequest, expected_response, submit_and_commit
from app.contact import views as contact_views
from app.contact.views import federal_state, routing
from app.errors import error_response, idempotency_conflict, invalid_fields
from app.extensions import limiter
from app.i18n import current_language
from app.idempotency import FieldErrors, IdempotencyConflict, header_key
from app.selfservice.guest import guest_posts_json, guest_proof_limit
from app.selfservice.trail import current_trail

bp = Blueprint("cases_api", __name__, url_prefix="/api")

_TEXT_FIELDS = ("topic", "message", "channel", "order_number", "phone", "callback_slot", "name", "email", "postcode",
                "desired_outcome", "article")


def _parse(body) -> tuple[CaseRequest | None, dict]:
    if not isinstance(body, dict):
        return None, {"body": _("Bitte senden Sie ein JSON-Objekt.")}
    errors = {}
    for name in _TEXT_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            errors[name] = _("Muss Text sein.")
    skus = body.get("skus", [])
    if not isinstance(skus, list) or not all(isinstance(s, str) for s in skus):
        errors["skus"] = _("Muss eine Liste von Artikelnummern sein.")
    consent = body.get("phone_consent", body.get("channel") == "phone" and bool(body.get("phone")))
    if not isinstance(consent, bool):
        errors["phone_consent"] = _("Muss true oder false sein.")
    if errors:
        return None, errors
    return CaseRequest(
        topic=body.get("topic"), message=body.get("message"), channel=body.get("channel"),
        order_number=body.get("order_number"), skus=tuple(skus), desired_outcome=body.get("desired_outcome"),
        phone=body.get("phone"), phone_consent=consent, callback_slot=body.get("callback_slot"),
        name=body.get("name"), email=body.get("email"), postcode=body.get("postcode"),
        article_slug=body.get("article"), lang=current_language(), trail=current_trail(),
    ), {}


@bp.post("/cases")
@limiter.limit("20 per hour")
@guest_proof_limit(lambda: guest_posts_json("order_number", "postcode"))
def create_case():
    """Open a case; with Idempotency-Key a retried request returns the first case."""
    req, errors = _parse(request.get_json(silent=True))
    if errors:
        return invalid_fields(errors)
    try:
        key = header_key(f"user{current_user.id}" if current_user.is_authenticated else "guest")
        req = CaseRequest(**{**req.__dict__, "idempotency_key": key})
        submission = submit_and_commit(req, current_user, routing(), contact_views.now(), federal_state(), visit=session.get("visit"))
    except FieldErrors as exc:
        return invalid_fields(exc.errors)
    except IdempotencyConflict:
        return idempotency_conflict()
    case = submission.case
    remember_case(case.number)
    return jsonify(case_json(case)), 201 if submission.created else 200


def case_json(case) -> dict:
    return {"case_number": case.number, "verified": case.verified, "queue": case.queue, "channel": case.channel,
            "expected_response": expected_response(case)}


@bp.get("/cases/<number>")
def get_case(number):
    """A case of the signed-in customer (or sent from this visit); anyone else gets 404."""
    case = visible_case(number)
    if case is None:
        return error_response(404, code="not_found")
    body = case_json(case)
    body.update({"status": case.status, "topic": case.topic, "order_number": case.order.number if case.order else None,
                 "created_at": case.created_at.isoformat() + "Z"})
    return jsonify(body)


@bp.get("/contact/availability")
def availability():
    """Whether chat is open now (and when it opens next) and the free callback slots."""
    config, moment, state = routing(), contact_views.now(), federal_state()
    opening = next_opening(config, moment, state)
    return jsonify({
        "chat": {"available": chat_available(config, moment, state),
                 "next_opening": opening.isoformat() if opening else None},
        "callback_slots": [{"start": s.start.isoformat(), "end": s.end.isoformat(), "free": s.free}
                           for s in callback_slots(config, moment, state)],
    })
