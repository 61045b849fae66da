"""The customer's side of the chat on their case page: poll for news, send a line (JSON or plain form)."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for

from app.cases.access import visible_case
from app.chat.schemas import ChatLine, ChatPosted, ChatQuery, ChatState
from app.chat.service import chat_state, post_message
from app.contact import views as contact_views
from app.core.errors import DomainError, NotFound
from app.core.requests import form_parsed_by_schema, json_route
from app.core.schemas import parse_form, parse_json, parse_query
from app.extensions import db, limiter

bp = Blueprint("chat", __name__, url_prefix="/kontakt/anfrage")


def _chat_case(number):
    case = visible_case(number)
    if case is None or case.channel != "chat":
        raise NotFound()
    return case


@bp.get("/<number>/chat")
@json_route
def state(number):
    """Position in the waiting line, the agent, and the messages after ?after=<id>."""
    query = parse_query(ChatQuery)
    case = _chat_case(number)
    response = jsonify(ChatState(**chat_state(case, query.after, "customer")).model_dump(mode="json"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<number>/chat")
@form_parsed_by_schema
@limiter.limit("30 per minute")
def send(number):
    """A chat line from the customer: JSON {"body"} from the page's script, or the form without it."""
    case = _chat_case(number)
    if request.is_json:
        # Errors answer in the one JSON shape (the request sent JSON).
        message = post_message(case, "customer", None, parse_json(ChatLine).body, contact_views.now())
        db.session.commit()
        return jsonify(ChatPosted(id=message.id).model_dump(mode="json")), 201
    try:
        post_message(case, "customer", None, parse_form(ChatLine).body, contact_views.now())
    except DomainError as exc:
        db.session.rollback()
        flash(next(iter((exc.fields or {}).values()), exc.message), "error")
        return redirect(url_for("contact.case", number=number))
    db.session.commit()
    return redirect(url_for("contact.case", number=number) + "#chat")
