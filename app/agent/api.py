"""The agent console as JSON: /api/agent/queues, /cases?queue=, claim, resolve, presence and chat."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from app.agent import actions
from app.agent.access import require_agent
from app.agent.actions import case_by_number
from app.agent.context import proven_order
from app.agent.queues import cases_in_queue, queue_name, sla_timer, summaries
from app.agent.schemas import (CallbackBody, CasesQuery, CaseSummary, Presence, PresenceBody, QueueCases,
                               QueueOverview, Queues, ReplyInput, ResolveBody, SlaState)
from app.agent.vocabulary import CHANNELS, PRIORITIES, STATUSES, case_outcome
from app.api.openapi import api_operation
from app.cases.conversation import cases_with_new_customer_message, public_message
from app.cases.schemas import CaseMessageOut
from app.cases.topics import TOPICS
from app.chat.schemas import ChatLine, ChatPosted, ChatQuery, ChatState
from app.chat.service import chat_state, post_message, set_presence
from app.contact import views as contact_views
from app.core.errors import NotFound
from app.extensions import db

bp = Blueprint("agent_api", __name__, url_prefix="/api/agent")
bp.before_request(require_agent)

# Every agent operation: 401 anonymous, 403 customers.
AGENT_ERRORS = (401, 403)


def _iso(moment):
    return moment.isoformat() + "Z" if moment is not None else None


def case_summary(case, now, new_messages: set[int] | None = None) -> dict:
    """The case as the lists show it; new_messages: the list's cases_with_new_customer_message (asked once)."""
    timer = sla_timer(case, now, contact_views.routing())
    if new_messages is None:
        new_messages = cases_with_new_customer_message([case.id])
    order = proven_order(case)
    return CaseSummary(
        case_number=case.number, topic=case.topic, channel=case.channel, queue=case.queue, priority=case.priority,
        status=case.status, topic_label=str(TOPICS[case.topic].label) if case.topic in TOPICS else case.topic,
        channel_label=str(CHANNELS.get(case.channel, case.channel)), queue_label=queue_name(case.queue),
        priority_label=str(PRIORITIES.get(case.priority, case.priority)),
        status_label=str(STATUSES.get(case.status, case.status)), verified=case.verified,
        contact_name=case.contact_name,
        order_number=order.number if order is not None else case.order_number_given,
        created_at=_iso(case.created_at), callback_slot=_iso(case.callback_slot), sla_due_at=_iso(timer.due_at),
        sla=SlaState(state=timer.state, minutes=timer.minutes, callback_start=_iso(timer.slot_start),
                     callback_end=_iso(timer.slot_end)),
        assigned_to=case.assigned_to.name if case.assigned_to else None,
        first_response_at=_iso(case.first_response_at), resolved_at=_iso(case.resolved_at), outcome=case.outcome,
        outcome_label=case_outcome(case.outcome), new_customer_message=case.id in new_messages,
    ).model_dump(mode="json")


def _case(number):
    case = case_by_number(number)
    if case is None:
        raise NotFound()
    return case


@bp.get("/queues")
@api_operation("Every queue with open, unclaimed and overdue cases", responses={200: Queues}, errors=AGENT_ERRORS,
               auth="agent", tags=("agent",))
def queues():
    """Every queue with open cases, unclaimed, overdue, the oldest waiting and the next SLA due."""
    rows = summaries(contact_views.routing(), contact_views.now())
    return jsonify(Queues(queues=[QueueOverview(
        name=row.slug, title=row.name, channels=list(row.channels), sla_minutes=row.sla_minutes, count=row.count,
        unclaimed=row.unclaimed, overdue=row.overdue, oldest_created_at=_iso(row.oldest_created_at),
        next_due_at=_iso(row.next_due_at)) for row in rows]).model_dump(mode="json"))


@bp.get("/cases")
@api_operation("The open cases of one queue in working order", query=CasesQuery, responses={200: QueueCases},
               errors=(*AGENT_ERRORS, 404), auth="agent", tags=("agent",),
               description="404 `unknown_queue` for a queue that does not exist.")
def cases(query: CasesQuery):
    """The open cases of one queue in working order (callbacks by slot)."""
    if query.queue not in contact_views.routing().queues:
        raise NotFound(_("Diese Warteschlange gibt es nicht."), code="unknown_queue")
    now = contact_views.now()
    listed = cases_in_queue(query.queue)
    new_messages = cases_with_new_customer_message(c.id for c in listed)
    return jsonify(QueueCases(queue=query.queue, cases=[case_summary(c, now, new_messages) for c in listed])
                   .model_dump(mode="json"))


@bp.post("/cases/<number>/claim")
@api_operation("Take the case", responses={200: CaseSummary}, errors=(*AGENT_ERRORS, 404, 409), auth="agent",
               tags=("agent",), description="409 `claimed` when another agent has it, 409 `resolved`.")
def claim(number):
    """Take the case; 409 when another agent has it or it is resolved."""
    case = _case(number)
    actions.claim(case, current_user, contact_views.now())
    db.session.commit()
    return jsonify(case_summary(case, contact_views.now()))


@bp.post("/cases/<number>/resolve")
@api_operation("Resolve the case with its outcome (the customer gets the survey)", body=ResolveBody,
               responses={200: CaseSummary}, errors=(*AGENT_ERRORS, 404, 409, 413), auth="agent", tags=("agent",),
               description="422 `invalid_outcome`; 409 `resolved`.")
def resolve(number, body: ResolveBody):
    """Resolve with {"outcome": …, "note"?: …}; the customer gets the survey."""
    case = _case(number)
    actions.resolve(case, current_user, body.outcome, body.note, contact_views.now())
    db.session.commit()
    return jsonify(case_summary(case, contact_views.now()))


@bp.post("/cases/<number>/callback")
@api_operation("'Rückruf erledigt' with how the call went", body=CallbackBody, responses={200: CaseSummary},
               errors=(*AGENT_ERRORS, 404, 409, 413), auth="agent", tags=("agent",),
               description="422 `invalid_outcome`; 409 `too_early` before the booked slot starts, `not_a_callback`, "
                           "`resolved`.")
def callback(number, body: CallbackBody):
    """Record the callback with {"outcome": …, "note"?: …}; reached and solved resolves the case."""
    case = _case(number)
    actions.callback_done(case, current_user, body.outcome, body.note, contact_views.now())
    db.session.commit()
    return jsonify(case_summary(case, contact_views.now()))


@bp.post("/cases/<number>/reply")
@api_operation("Answer the customer by e-mail; the answer is in the customer's thread", body=ReplyInput,
               responses={201: CaseMessageOut}, errors=(*AGENT_ERRORS, 404, 409, 413), auth="agent", tags=("agent",),
               description="`{\"subject\"?, \"body\"}`. Sent as personal mail through the outbox: a real subject "
                           "with the case number (the standard one without `subject`), no Auto-Submitted header. "
                           "The first answer stops the SLA clock. 409 `resolved`.")
def reply(number, body: ReplyInput):
    """Answer by e-mail through the outbox; 201 with the message as it stands in the thread."""
    case = _case(number)
    message = actions.reply_by_email(case, current_user, body.subject, body.body, contact_views.now())
    db.session.commit()
    return jsonify(CaseMessageOut(**public_message(message)).model_dump(mode="json", by_alias=True)), 201


@bp.post("/presence")
@api_operation("Online or away (the console sends it every 30 seconds while open)", body=PresenceBody,
               responses={200: Presence}, errors=(*AGENT_ERRORS, 413), auth="agent", tags=("agent",),
               description="422 `invalid_status`.")
def presence(body: PresenceBody):
    """{"status": "online"|"away"}; the console sends it every 30 seconds while open."""
    state = set_presence(current_user, body.status, contact_views.now())
    db.session.commit()
    return jsonify(Presence(status=state.status).model_dump(mode="json"))


@bp.get("/cases/<number>/chat")
@api_operation("The chat's state and the messages after ?after=<id>", query=ChatQuery, responses={200: ChatState},
               errors=(*AGENT_ERRORS, 404), auth="agent", tags=("agent",))
def chat(number, query: ChatQuery):
    """The chat's state and the messages after ?after=<id>."""
    case = _case(number)
    return jsonify(ChatState(**chat_state(case, query.after, "agent")).model_dump(mode="json"))


@bp.post("/cases/<number>/chat")
@api_operation("A chat line from the agent (accepts the chat if nobody has it)", body=ChatLine,
               responses={201: ChatPosted}, errors=(*AGENT_ERRORS, 404, 409, 413), auth="agent", tags=("agent",),
               description="409 `not_a_chat`, `resolved` or `claimed`.")
def chat_post(number, body: ChatLine):
    """{"body": …}: a chat line from the agent (accepts the chat if nobody has it)."""
    case = _case(number)
    message = post_message(case, "agent", current_user, body.body, contact_views.now())
    db.session.commit()
    return jsonify(ChatPosted(id=message.id).model_dump(mode="json")), 201
