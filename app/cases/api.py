"""Cases as JSON: POST /api/cases, GET /api/cases/<number>, GET /api/contact/availability."""
from __future__ import annotations

from flask import Blueprint, jsonify, session
from flask_login import current_user

from app.api.openapi import IDEMPOTENCY_KEY, api_operation
from app.cases.access import remember_case, visible_case
from app.cases.availability import callback_slots, chat_available, next_opening
from app.cases.schemas import (Availability, CallbackSlot, CaseCreated, CaseDetail, CaseInput, ChatAvailability)
from app.cases.service import expected_response, input_context, request_from, submit_and_commit
from app.contact import views as contact_views
from app.contact.views import federal_state, routing
from app.core.errors import NotFound
from app.core.schemas import parse_json
from app.extensions import limiter
from app.i18n import current_language
from app.idempotency import header_key
from app.selfservice.guest import guest_posts_json, guest_proof_limit
from app.selfservice.trail import current_trail

bp = Blueprint("cases_api", __name__, url_prefix="/api")


@bp.post("/cases")
@limiter.limit("20 per hour")
@guest_proof_limit(lambda: guest_posts_json("order_number", "postcode"))
@api_operation(
    "Open a case", body=CaseInput, parse_body=False, responses={201: CaseCreated, 200: CaseCreated},
    errors=(413, 422), tags=("cases",), headers=(IDEMPOTENCY_KEY,),
    description="Signed-in customers send only what the form asks; the server fills in who they are. With an "
                "`Idempotency-Key` header (8–100 characters: letters, digits, `. _ : -`) a retried request answers "
                "200 with the first case; the same key with another body answers 422 `idempotency_conflict`.")
def create_case():
    """Open a case; with Idempotency-Key a retried request returns the first case."""
    data = parse_json(CaseInput, context=input_context(current_user))
    key = header_key(f"user{current_user.id}" if current_user.is_authenticated else "guest")
    req = request_from(data, current_language(), current_trail(), key)
    submission = submit_and_commit(req, current_user, routing(), contact_views.now(), federal_state(),
                                   visit=session.get("visit"))
    case = submission.case
    remember_case(case.number)
    return jsonify(case_created(case).model_dump(mode="json")), 201 if submission.created else 200


def case_created(case) -> CaseCreated:
    return CaseCreated(case_number=case.number, verified=case.verified, queue=case.queue, channel=case.channel,
                       expected_response=expected_response(case))


@bp.get("/cases/<number>")
@api_operation("A case of the signed-in customer (or sent from this visit)", responses={200: CaseDetail},
               errors=(404,), tags=("cases",))
def get_case(number):
    """A case of the signed-in customer (or sent from this visit); anyone else gets 404."""
    case = visible_case(number)
    if case is None:
        raise NotFound()
    return jsonify(CaseDetail(
        **case_created(case).model_dump(), status=case.status, topic=case.topic,
        order_number=case.order.number if case.order else None, created_at=case.created_at.isoformat() + "Z",
    ).model_dump(mode="json"))


@bp.get("/contact/availability")
@api_operation("Whether chat is open and the free callback slots", responses={200: Availability},
               tags=("cases",))
def availability():
    """Whether chat is open now (and when it opens next) and the free callback slots."""
    config, moment, state = routing(), contact_views.now(), federal_state()
    opening = next_opening(config, moment, state)
    return jsonify(Availability(
        chat=ChatAvailability(available=chat_available(config, moment, state),
                              next_opening=opening.isoformat() if opening else None),
        callback_slots=[CallbackSlot(start=s.start.isoformat(), end=s.end.isoformat(), free=s.free)
                        for s in callback_slots(config, moment, state)],
    ).model_dump(mode="json"))
