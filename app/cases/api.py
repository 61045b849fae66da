"""Cases as JSON: POST /api/cases, GET /api/cases/<number>, POST /api/cases/<number>/messages,
GET /api/contact/availability."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.api.openapi import IDEMPOTENCY_KEY, api_operation
from app.cases.access import remember_case, visible_case
from app.cases.availability import callback_slots, chat_available, next_opening
from app.cases.schemas import (Availability, CallbackSlot, CaseCreated, CaseDetail, CaseInput, CaseMessageOut,
                               CaseReplyInput, ChatAvailability)
from app.cases.service import expected_response, input_context, request_from, submit_and_commit
from app.contact import views as contact_views
from app.contact.views import federal_state, routing
from app.core.errors import InvalidInput, NotFound
from app.core.schemas import parse_form, parse_json
from app.extensions import limiter
from app.i18n import current_language
from app.idempotency import header_key
from app.selfservice.guest import guest_posts_json, guest_proof_limit
from app.selfservice.trail import current_trail, current_visit

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
                                   visit=current_visit())
    case = submission.case
    remember_case(case.number)
    return jsonify(case_created(case).model_dump(mode="json")), 201 if submission.created else 200


def case_created(case) -> CaseCreated:
    return CaseCreated(case_number=case.number, verified=case.verified, queue=case.queue, channel=case.channel,
                       expected_response=expected_response(case))


def message_out(message) -> CaseMessageOut:
    from app.cases.conversation import public_message

    return CaseMessageOut(**public_message(message))


@bp.get("/cases/<number>")
@api_operation("A case of the signed-in customer (or sent from this visit)", responses={200: CaseDetail},
               errors=(404,), tags=("cases",),
               description="`messages` is the public conversation, oldest first: what the customer sent (form, web, "
                           "e-mail, chat), the agents' answers, callback outcomes and status changes.")
def get_case(number):
    """A case of the signed-in customer (or sent from this visit); anyone else gets 404."""
    from app.cases.conversation import thread_for_customer

    case = visible_case(number)
    if case is None:
        raise NotFound()
    return jsonify(CaseDetail(
        **case_created(case).model_dump(), status=case.status, topic=case.topic,
        order_number=case.order.number if case.order else None, created_at=case.created_at.isoformat() + "Z",
        messages=[message_out(m) for m in thread_for_customer(case)],
    ).model_dump(mode="json", by_alias=True))


@bp.post("/cases/<number>/messages")
@limiter.limit("30 per hour")
@api_operation(
    "Reply on a case (JSON, or multipart with attachments)", body=CaseReplyInput, parse_body=False,
    responses={201: CaseMessageOut, 200: CaseMessageOut}, errors=(404, 409, 413, 422), tags=("cases",),
    headers=(IDEMPOTENCY_KEY,),
    description="For the case's customer only (anyone else: 404). JSON `{\"body\"}`, or `multipart/form-data` with "
                "`body` and up to 3 files `attachments` (JPEG, PNG, PDF; checked by content). A case resolved within "
                "14 days is reopened; one resolved longer ago gets a new case that links to it — the answer's "
                "`Location` header names the case the message is in. 409 `cannot_reply` when the case can no "
                "longer be answered, `chat_running` while its chat is open. With the same `Idempotency-Key` a "
                "retried request answers 200 with the first message.")
def post_message(number):
    """Add the customer's message to their case; 201 with the message."""
    from app.cases.attachments import UploadRejected, check_uploads
    from app.cases.conversation import customer_reply, earlier_reply, reply_fingerprint
    from app.idempotency import commit_with_retries

    case = visible_case(number)
    if case is None:
        raise NotFound()
    multipart = request.mimetype == "multipart/form-data"
    data = parse_form(CaseReplyInput) if multipart else parse_json(CaseReplyInput)
    try:
        uploads = check_uploads(request.files.getlist("attachments")) if multipart else []
    except UploadRejected as exc:
        raise InvalidInput({"attachments": str(exc)}) from None
    key = header_key(f"user{current_user.id}" if current_user.is_authenticated else "guest")
    fingerprint = reply_fingerprint(data.body, uploads)

    def submit():
        return customer_reply(case, data.body, uploads, contact_views.now(), routing(),
                              user=current_user if current_user.is_authenticated else None, idempotency_key=key,
                              fingerprint=fingerprint)

    reply = commit_with_retries(submit, lambda: earlier_reply(key, fingerprint) if key else None)
    if reply.started_new_case:
        remember_case(reply.case.number)
    response = jsonify(message_out(reply.message).model_dump(mode="json", by_alias=True))
    response.status_code = 201 if reply.created else 200
    response.headers["Location"] = f"/api/cases/{reply.case.number}"
    return response


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
