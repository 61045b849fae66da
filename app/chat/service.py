"""Agent presence and the chat itself: the waiting line, accepting, messages both ways, the transcript."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from app.agent.actions import ActionRefused, claim
from app.audit.trail import record
from app.cases.availability import PRESENCE_TIMEOUT, to_utc_naive
from app.cases import conversation
from app.cases.models import AgentPresence, Case, CaseMessage
from app.extensions import db

PRESENCE_STATES = ("online", "away")
SENDERS = ("customer", "agent")


def set_presence(agent, status: str, now: dt.datetime) -> AgentPresence:
    """Online or away (parsed by app/agent/schemas.py PresenceInput), and a sign of life; online agents open
    the chat (app/cases/availability.py)."""
    presence = db.session.get(AgentPresence, agent.id)
    if presence is None:
        presence = AgentPresence(user_id=agent.id)
        db.session.add(presence)
    presence.status, presence.last_seen_at = status, to_utc_naive(now)
    db.session.flush()
    return presence


def presence_of(agent, now: dt.datetime) -> str:
    """What the console shows: online only while the browser keeps reporting."""
    presence = db.session.get(AgentPresence, agent.id)
    if presence is None or presence.status != "online":
        return "away"
    return "online" if presence.last_seen_at >= to_utc_naive(now - PRESENCE_TIMEOUT) else "away"


def _waiting():
    return and_(Case.channel == "chat", Case.assigned_to_id.is_(None), Case.status != "resolved")


def waiting_chats() -> list[Case]:
    """Chats no agent has accepted yet, longest waiting first."""
    return list(db.session.scalars(select(Case).where(_waiting()).order_by(Case.created_at, Case.id)))


def queue_position(case: Case) -> int | None:
    """1 for the next chat to be accepted; None once an agent has it (or it is no chat)."""
    if case.channel != "chat" or case.assigned_to_id is not None or case.status == "resolved":
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Case).where(
        _waiting(), or_(Case.created_at < case.created_at, and_(Case.created_at == case.created_at,
                                                                  Case.id < case.id))))
    return (ahead or 0) + 1


def post_message(case: Case, sender: str, author, body: str, now: dt.datetime) -> CaseMessage:
    """One chat line (parsed by app/chat/schemas.py ChatLine); an agent's first line accepts the chat and is the
    first response."""
    if case.channel != "chat":
        raise ActionRefused("not_a_chat", _("Diese Anfrage ist kein Chat."))
    if case.status == "resolved":
        raise ActionRefused("resolved", _("Der Chat ist beendet."))
    moment = to_utc_naive(now)
    if sender == "agent":
        claim(case, author, now)
        if case.first_response_at is None:
            case.first_response_at = moment
    elif sender != "customer":
        raise ValueError(sender)
    if sender == "agent":
        message = conversation.add_agent_message(case, author, body, now, channel="chat")
    else:
        message = conversation.add_customer_message(case, body, (), "chat", now=now, user=author)
    if sender == "agent":
        # The trail says that the agent answered, not what: the transcript stays with the case.
        record("case.chat_reply", "case", case.number, actor=author).created_at = moment
    db.session.flush()
    return message


def messages_after(case: Case, after: int = 0) -> list[CaseMessage]:
    """The chat's lines after the id `after`: the case's messages that came in by chat."""
    return list(db.session.scalars(select(CaseMessage).where(
        CaseMessage.case_id == case.id, CaseMessage.channel == "chat", CaseMessage.id > after)
        .order_by(CaseMessage.id)))


def chat_state(case: Case, after: int, viewer: str) -> dict:
    """What a polling browser needs: status, waiting position, who answers, the new messages."""
    agent = case.assigned_to
    return {
        "case_number": case.number, "status": case.status, "position": queue_position(case),
        "agent": agent.name if agent is not None else None, "closed": case.status == "resolved",
        "messages": [{"id": m.id, "sender": m.sender, "mine": m.sender == viewer, "body": m.body,
                      "at": m.created_at.isoformat() + "Z"} for m in messages_after(case, after)],
    }
