"""The agent console as JSON: /api/agent/queues, /cases?queue=, claim, resolve, presence and chat."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.agent import actions
from app.agent.access import require_agent
from app.agent.actions import ActionRefused, case_by_number
from app.agent.context import proven_order
from app.agent.queues import cases_in_queue, sla_timer, summaries
from app.chat.service import chat_state, post_message, set_presence
from app.contact import views as contact_views
from app.errors import error_response
from app.extensions import db

bp = Blueprint("agent_api", __name__, url_prefix="/api/agent")
bp.before_request(require_agent)


def _iso(moment):
    return moment.isoformat() + "Z" if moment is not None else None


def _refused(exc: ActionRefused):
    db.session.rollback()
    return error_response(exc.status, exc.message, code=exc.code)


def case_summary(case, now) -> dict:
    timer = sla_timer(case, now)
    order = proven_order(case)
    return {
        "case_number": case.number, "topic": case.topic, "channel": case.channel, "queue": case.queue,
        "priority": case.priority, "status": case.status, "verified": case.verified,
        "contact_name": case.contact_name,
        "order_number": order.number if order is not None else case.order_number_given,
        "created_at": _iso(case.created_at), "callback_slot": _iso(case.callback_slot),
        "sla_due_at": _iso(case.sla_due_at), "sla": {"state": timer.state, "minutes": timer.minutes},
        "assigned_to": case.assigned_to.name if case.assigned_to else None,
        "first_response_at": _iso(case.first_response_at), "resolved_at": _iso(case.resolved_at),
        "outcome": case.outcome,
    }


@bp.get("/queues")
def queues():
    """Every queue with open cases, unclaimed, overdue, the oldest waiting and the next SLA due."""
    rows = summaries(contact_views.routing(), contact_views.now())
    return jsonify({"queues": [{
        "name": row.slug, "title": row.name, "channels": list(row.channels), "sla_minutes": row.sla_minutes,
        "count": row.count, "unclaimed": row.unclaimed, "overdue": row.overdue,
        "oldest_created_at": _iso(row.oldest_created_at), "next_due_at": _iso(row.next_due_at)} for row in rows]})


@bp.get("/cases")
def cases():
    """The open cases of one queue in working order (callbacks by slot)."""
    name = request.args.get("queue", "")
    if name not in contact_views.routing().queues:
        return error_response(404, _("Diese Warteschlange gibt es nicht."), code="unknown_queue")
    now = contact_views.now()
    return jsonify({"queue": name, "cases": [case_summary(c, now) for c in cases_in_queue(name)]})


def _case(number):
    case = case_by_number(number)
    if case is None:
        return None, error_response(404, code="not_found")
    return case, None


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.post("/cases/<number>/claim")
def claim(number):
    """Take the case; 409 when another agent has it or it is resolved."""
    case, missing = _case(number)
    if missing:
        return missing
    try:
        actions.claim(case, current_user, contact_views.now())
    except ActionRefused as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(case_summary(case, contact_views.now()))


@bp.post("/cases/<number>/resolve")
def resolve(number):
    """Resolve with {"outcome": …, "note"?: …}; the customer gets the survey."""
    case, missing = _case(number)
    if missing:
        return missing
    body = _body()
    try:
        actions.resolve(case, current_user, body.get("outcome"), body.get("note"), contact_views.now())
    except ActionRefused as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(case_summary(case, contact_views.now()))


@bp.post("/presence")
def presence():
    """{"status": "online"|"away"}; the console sends it every 30 seconds while open."""
    try:
        state = set_presence(current_user, _body().get("status"), contact_views.now())
    except ActionRefused as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify({"status": state.status})


@bp.get("/cases/<number>/chat")
def chat(number):
    """The chat's state and the messages after ?after=<id>."""
    case, missing = _case(number)
    if missing:
        return missing
    return jsonify(chat_state(case, request.args.get("after", 0, type=int), "agent"))


@bp.post("/cases/<number>/chat")
def chat_post(number):
    """{"body": …}: a chat line from the agent (accepts the chat if nobody has it)."""
    case, missing = _case(number)
    if missing:
        return missing
    try:
        message = post_message(case, "agent", current_user, _body().get("body"), contact_views.now())
    except ActionRefused as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify({"id": message.id}), 201
