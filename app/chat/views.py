"""The customer's side of the chat on their case page: poll for news, send a line (JSON or plain form)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for

from app.agent.actions import ActionRefused
from app.cases.access import visible_case
from app.chat.service import chat_state, post_message
from app.contact import views as contact_views
from app.errors import error_response
from app.extensions import db, limiter

bp = Blueprint("chat", __name__, url_prefix="/kontakt/anfrage")


def _chat_case(number):
    case = visible_case(number)
    if case is None or case.channel != "chat":
        abort(404)
    return case


@bp.get("/<number>/chat")
def state(number):
    """Position in the waiting line, the agent, and the messages after ?after=<id>."""
    case = _chat_case(number)
    response = jsonify(chat_state(case, request.args.get("after", 0, type=int), "customer"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<number>/chat")
@limiter.limit("30 per minute")
def send(number):
    """A chat line from the customer: JSON {"body"} from the page's script, or the form without it."""
    case = _chat_case(number)
    payload = request.get_json(silent=True) if request.is_json else None
    body = payload.get("body") if isinstance(payload, dict) else (None if request.is_json else request.form.get("body"))
    try:
        message = post_message(case, "customer", None, body, contact_views.now())
    except ActionRefused as exc:
        db.session.rollback()
        if request.is_json:
            return error_response(exc.status, exc.message, code=exc.code)
        flash(exc.message, "error")
        return redirect(url_for("contact.case", number=number))
    db.session.commit()
    if request.is_json:
        return jsonify({"id": message.id}), 201
    return redirect(url_for("contact.case", number=number) + "#chat")
