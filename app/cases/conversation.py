"""A case is one conversation (DESIGN.md "One timeline per case"): every message, reply, chat line, note,
callback outcome and status change is one CaseMessage; the customer's page, the agent's page and the API read
the same stream. The caller commits."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.cases.availability import to_utc_naive
from app.cases.models import Case, CaseAttachment, CaseMessage
from app.core.errors import Conflict
from app.extensions import db
from app.idempotency import earlier_record
from app.privacy.redaction import mask_card_numbers

# A reply to a resolved case within this time opens it again; later it starts a new case linked to the old one.
REOPEN_WINDOW = dt.timedelta(days=14)

# What a system entry or a callback outcome means, in the reader's language.
EVENTS = {
    "resolved": _l("Anfrage erledigt"),
    "reopened": _l("Anfrage wieder geöffnet"),
    "callback_done": _l("Rückruf"),
    "follow_up": _l("Fortgesetzt in einer neuen Anfrage"),
    "follow_up_of": _l("Fortsetzung einer früheren Anfrage"),
    "mail_note": _l("Hinweis zur eingegangenen E-Mail"),
}
CALLBACK_WORDS = {
    "reached_solved": _l("Wir haben Sie erreicht, das Anliegen ist gelöst."),
    "reached_followup": _l("Wir haben Sie erreicht; wir kümmern uns um den nächsten Schritt."),
    "not_reached": _l("Wir haben Sie leider nicht erreicht."),
}


# The customer's words for a case's status (agents have their own, app/agent/actions.py STATUSES).
CUSTOMER_STATUSES = {"new": _l("Eingegangen"), "open": _l("In Bearbeitung"), "resolved": _l("Erledigt")}


@dataclass(frozen=True)
class CaseLine:
    """One row of "Meine Anfragen"."""

    case: Case
    last_activity: dt.datetime


def cases_of(user) -> list[CaseLine]:
    """Every case of the signed-in customer (by account or by shop customer), newest activity first."""
    owner = [Case.user_id == user.id]
    if getattr(user, "customer_id", None):
        owner.append(Case.customer_id == user.customer_id)
    newest = (select(CaseMessage.case_id, func.max(CaseMessage.created_at).label("at"))
              .where(CaseMessage.visibility == "public").group_by(CaseMessage.case_id).subquery())
    activity = func.coalesce(newest.c.at, Case.created_at)
    rows = db.session.execute(select(Case, activity).outerjoin(newest, newest.c.case_id == Case.id)
                              .where(or_(*owner)).order_by(activity.desc(), Case.id.desc()))
    return [CaseLine(case, at) for case, at in rows]


# Where a message came in or went out, for agents.
MESSAGE_CHANNEL_LABELS = {"form": _l("Kontaktformular"), "web": _l("Web"), "email": _l("E-Mail"), "chat": _l("Chat"),
                          "phone": _l("Telefon")}


class CannotReply(Conflict):
    """The case can no longer be answered here (erased, or a chat that is still running)."""

    def __init__(self, message: str, code: str = "cannot_reply"):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Reply:
    """What a customer's reply did: the message, the case it landed in, and whether that case is new."""

    message: CaseMessage
    case: Case
    started_new_case: bool = False
    reopened: bool = False
    created: bool = True


def _add(case: Case, author: str, channel: str, body: str, now: dt.datetime, *, visibility: str = "public",
         author_id: int | None = None, event: str | None = None, outcome: str | None = None,
         subject: str | None = None, idempotency_key: str | None = None,
         fingerprint: str | None = None) -> CaseMessage:
    message = CaseMessage(case=case, author=author, channel=channel, visibility=visibility,
                          body=mask_card_numbers(body) if body else "", author_id=author_id, event=event,
                          outcome=outcome, subject=mask_card_numbers(subject) if subject else None,
                          created_at=to_utc_naive(now), idempotency_key=idempotency_key,
                          request_fingerprint=fingerprint)
    db.session.add(message)
    db.session.flush()
    return message


def _attach(case: Case, message: CaseMessage, uploads) -> None:
    """Store checked uploads (app/cases/attachments.py), bytes included, with the message."""
    for upload in uploads:
        attachment = CaseAttachment.stored(upload)
        case.attachments.append(attachment)
        attachment.message = message
    db.session.flush()


def add_customer_message(case: Case, body: str, attachments=(), channel: str = "web", *,
                         now: dt.datetime, user=None, idempotency_key: str | None = None,
                         fingerprint: str | None = None, opens_case: bool = False) -> CaseMessage:
    """What the customer wrote (form, web, e-mail, chat), with their checked files; card numbers masked.
    opens_case: the message the case began with (the form's text, or the e-mail that opened it)."""
    message = _add(case, "customer", channel, body, now, author_id=getattr(user, "id", None),
                   event="opened" if channel == "form" or opens_case else None, idempotency_key=idempotency_key,
                   fingerprint=fingerprint)
    if attachments:
        _attach(case, message, attachments)
    return message


def add_agent_message(case: Case, agent, body: str, now: dt.datetime, *, channel: str = "web",
                      visibility: str = "public", subject: str | None = None, event: str | None = None,
                      outcome: str | None = None) -> CaseMessage:
    """An agent's reply (public) or note (internal) in the case's stream."""
    return _add(case, "agent", channel, body, now, visibility=visibility, author_id=getattr(agent, "id", None),
                subject=subject, event=event, outcome=outcome)


def add_note_for_agents(case: Case, text: str, now: dt.datetime) -> CaseMessage:
    """Something the system noticed that the agent must know (an attachment refused, a reply from another
    address); internal, never shown to the customer."""
    return _add(case, "system", "email", text, now, visibility="internal", event="mail_note")


def add_system_message(case: Case, event: str, now: dt.datetime, outcome: str | None = None,
                       author_id: int | None = None) -> CaseMessage:
    """A status change the customer sees in the thread (resolved, reopened, continued in a new case)."""
    return _add(case, "system", "web", "", now, author_id=author_id, event=event, outcome=outcome)


def _stream(case: Case, public_only: bool) -> list[CaseMessage]:
    query = select(CaseMessage).where(CaseMessage.case_id == case.id)
    if public_only:
        query = query.where(CaseMessage.visibility == "public")
    return list(db.session.scalars(query.order_by(CaseMessage.created_at, CaseMessage.id)))


def thread_for_customer(case: Case) -> list[CaseMessage]:
    """The public thread: what the customer sent, the answers, callback outcomes and status changes."""
    return _stream(case, public_only=True)


def thread_for_agent(case: Case) -> list[CaseMessage]:
    """Everything, internal notes included."""
    return _stream(case, public_only=False)


def unanswered_ids(thread: list[CaseMessage]) -> set[int]:
    """The customer's messages after the last thing an agent did for the customer to see: new for the agent.

    An internal note answers nobody, so it does not clear them (the same rule as the lists'
    cases_with_new_customer_message)."""
    last_agent = max((i for i, m in enumerate(thread) if m.author == "agent" and m.visibility == "public"),
                     default=-1)
    return {m.id for m in thread[last_agent + 1:] if m.author == "customer" and m.event != "opened"}


def cases_with_new_customer_message(case_ids) -> set[int]:
    """Of these cases, those whose newest public customer message came after the last public thing an agent did
    (a reply, a callback outcome, a chat line): the lists mark them. One query for the whole list.

    The case's opening message does not count (a new case is new anyway). Message ids stand for the order:
    they are given as messages are written, also when two share a timestamp.
    """
    ids = list(case_ids)
    if not ids:
        return set()

    def newest(author: str, *conditions):
        return (select(CaseMessage.case_id, func.max(CaseMessage.id).label("last"))
                .where(CaseMessage.case_id.in_(ids), CaseMessage.author == author,
                       CaseMessage.visibility == "public", *conditions)
                .group_by(CaseMessage.case_id).subquery())

    customer = newest("customer", or_(CaseMessage.event.is_(None), CaseMessage.event != "opened"))
    agent = newest("agent")
    return set(db.session.scalars(select(customer.c.case_id).outerjoin(agent, agent.c.case_id == customer.c.case_id)
                                  .where(or_(agent.c.last.is_(None), customer.c.last > agent.c.last))))


def last_activity(case: Case) -> dt.datetime:
    """When something last happened on the case that the customer can see."""
    newest = db.session.scalar(select(CaseMessage.created_at).where(
        CaseMessage.case_id == case.id, CaseMessage.visibility == "public")
        .order_by(CaseMessage.created_at.desc()).limit(1))
    return newest or case.created_at


def event_words(message: CaseMessage) -> str:
    """A system entry or callback outcome as the customer reads it."""
    if message.event == "callback_done":
        return str(CALLBACK_WORDS.get(message.outcome, EVENTS["callback_done"]))
    return str(EVENTS.get(message.event, "")) if message.event in EVENTS else ""


def promise_still_open(case: Case, now: dt.datetime, slot_minutes: int = 30) -> bool:
    """Whether the acknowledgement's promise (a call at a time, an answer by a time) is still ahead: never once
    the case is resolved, the callback was made or its slot is over, or the answer has been given."""
    if case.status == "resolved":
        return False
    if case.channel == "phone":
        done = db.session.scalar(select(CaseMessage.id).where(CaseMessage.case_id == case.id,
                                                               CaseMessage.event == "callback_done").limit(1))
        slot_end = case.callback_slot + dt.timedelta(minutes=slot_minutes) if case.callback_slot else None
        return done is None and (slot_end is None or slot_end > to_utc_naive(now))
    if case.channel == "email":
        return case.first_response_at is None
    return True


def public_message(message: CaseMessage) -> dict:
    """One public message as the APIs show it (app/cases/schemas.py CaseMessageOut): status changes and callback
    outcomes in words, system entries from the agents' side."""
    words = event_words(message) if message.event and message.event != "opened" else ""
    if message.event in ("follow_up", "follow_up_of") and message.outcome:
        words = f"{words}: {message.outcome}"
    return {"id": message.id, "from": "customer" if message.author == "customer" else "agent",
            "body": "\n\n".join(part for part in (words, message.body) if part),
            "created_at": message.created_at.isoformat() + "Z",
            "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in message.attachments]}


def reply_fingerprint(body: str, uploads=()) -> str:
    """What a reply asked for, so that a reused submission id with other text is noticed."""
    import hashlib

    digest = hashlib.sha256(body.encode())
    for upload in uploads:
        digest.update(upload.sha256.encode())
    return digest.hexdigest()


def reply_state(case: Case, now: dt.datetime) -> str:
    """'open' (answer goes into the case), 'reopen' (resolved lately), 'follow_up' (resolved long ago: a new
    case), or 'closed' (nothing can be added here: erased, or a live chat that has its own box)."""
    if not case.contact_email:
        return "closed"
    if case.channel == "chat" and case.status != "resolved":
        return "closed"
    if case.status != "resolved":
        return "open"
    if case.resolved_at is not None and to_utc_naive(now) - case.resolved_at <= REOPEN_WINDOW:
        return "reopen"
    return "follow_up"


def _follow_up_case(old: Case, body: str, now: dt.datetime, config) -> Case:
    """A new case for a reply to one resolved long ago, with the old one's topic, contact and customer."""
    from flask import current_app

    from app.cases.availability import answer_due
    from app.cases.numbering import next_case_number
    from app.cases.service import _queue_messages
    from app.shop.fields import SHOP_TIMEZONE

    channel = "phone" if old.channel == "phone" and not old.contact_phone else old.channel
    channel = "email" if channel in ("chat", "phone") else channel
    order_value = old.order.total_cents / 100 if old.order is not None else None
    route = config.route(channel, old.topic, old.verified, order_value)
    state = current_app.config["HELPCENTER_FEDERAL_STATE"]  # the answer time counts service hours, as for the form
    created = to_utc_naive(now)
    case = Case(number=next_case_number(now.astimezone(SHOP_TIMEZONE).year), topic=old.topic,
                message=mask_card_numbers(body), channel=channel, desired_outcome=old.desired_outcome,
                queue=route.queue.slug, priority=route.priority,
                sla_due_at=to_utc_naive(answer_due(config, now, route.queue.sla_minutes, state)),
                verified=old.verified, user_id=old.user_id, customer_id=old.customer_id, order_id=old.order_id,
                order_number_given=old.order_number_given, skus=old.skus, contact_name=old.contact_name,
                contact_email=old.contact_email, contact_phone=old.contact_phone, lang=old.lang, created_at=created)
    db.session.add(case)
    db.session.flush()
    _queue_messages(case, config)
    return case


def earlier_reply(key: str | None, fingerprint: str) -> Reply | None:
    """The reply a request with this idempotency key already stored (IdempotencyConflict if it asked otherwise)."""
    existing = earlier_record(CaseMessage, key, fingerprint)
    return Reply(existing, existing.case, created=False) if existing is not None else None


def customer_reply(case: Case, body: str, uploads, now: dt.datetime, config, *, user=None,
                   channel: str = "web", idempotency_key: str | None = None,
                   fingerprint: str | None = None) -> Reply:
    """The customer answers on their case: into the case while it is open (back into its queue), reopening it
    within 14 days of its resolution, or as a new linked case after that. CannotReply when it cannot be answered."""
    if idempotency_key:
        earlier = earlier_reply(idempotency_key, fingerprint or "")
        if earlier is not None:
            return earlier
    # Parallel replies to one case take turns: the second sees the first's reopening or follow-up case.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    db.session.refresh(case)
    state = reply_state(case, now)
    if state == "follow_up":
        later = db.session.scalar(select(CaseMessage.outcome).where(
            CaseMessage.case_id == case.id, CaseMessage.event == "follow_up").order_by(CaseMessage.id.desc()).limit(1))
        follow = db.session.scalar(select(Case).where(Case.number == later)) if later else None
        if follow is not None:
            # The conversation already goes on in the newer case: the reply belongs there.
            return customer_reply(follow, body, uploads, now, config, user=user, channel=channel,
                                  idempotency_key=idempotency_key, fingerprint=fingerprint)
    if state == "closed":
        if case.channel == "chat" and case.status != "resolved":
            raise CannotReply(_("Schreiben Sie uns bitte im Chat auf dieser Seite."), code="chat_running")
        raise CannotReply(_("Auf diese Anfrage kann nicht mehr geantwortet werden."))
    target, reopened, started = case, False, False
    if state == "reopen":
        case.status, case.outcome, case.resolved_at = "open", None, None
        add_system_message(case, "reopened", now)
        reopened = True
    elif state == "follow_up":
        target = _follow_up_case(case, body, now, config)
        # The link both ways, in each case's own thread.
        add_system_message(case, "follow_up", now, outcome=target.number)
        add_system_message(target, "follow_up_of", now, outcome=case.number)
        started = True
    elif case.status == "new" and case.assigned_to_id is not None:
        case.status = "open"
    kind = "form" if started else channel
    message = add_customer_message(target, body, uploads, kind, now=now, user=user, idempotency_key=idempotency_key,
                                   fingerprint=fingerprint)
    return Reply(message, target, started_new_case=started, reopened=reopened)
