"""What agents do with a case, each step written to the case's history (case_event) and to the staff
audit trail (app/audit, without the text written); the caller commits."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from app.audit.trail import record
from app.cases import conversation
from app.cases.access import case_page_link
from app.cases.availability import to_utc_naive
from app.cases.models import Case, CaseEvent
from app.core.errors import Conflict
from app.extensions import db
from app.i18n import date_pattern
from app.privacy.redaction import mask_card_numbers

MAX_TEXT = 5000

OUTCOMES = {
    "solved": _l("Gelöst"),
    "refund": _l("Erstattung veranlasst"),
    "reship": _l("Neu versendet"),
    "replacement": _l("Ersatz geschickt"),
    "information": _l("Auskunft gegeben"),
    "declined": _l("Abgelehnt"),
}

# "Rückruf erledigt": reached and solved closes the case; the others keep it open.
CALLBACK_OUTCOMES = {
    "reached_solved": _l("Erreicht – gelöst"),
    "reached_followup": _l("Erreicht – es braucht noch etwas"),
    "not_reached": _l("Nicht erreicht"),
}

EVENT_KINDS = {
    "claim": _l("Übernommen"),
    "callback_done": _l("Rückruf erledigt"),
    "reply": _l("Antwort per E-Mail"),
    "note": _l("Interne Notiz"),
    "resolve": _l("Erledigt"),
    "reopen": _l("Wieder geöffnet"),
    "verify": _l("Kunde verifiziert"),
    "survey": _l("Umfrage beantwortet"),
}

STATUSES = {"new": _l("Neu"), "open": _l("In Bearbeitung"), "resolved": _l("Erledigt")}


class ActionRefused(Conflict):
    """The action does not fit the case's state or the input is unusable; code for the API, message for people."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message, code=code, status=status)


def case_by_number(number: str) -> Case | None:
    if len(number) > 20:
        return None
    return db.session.scalar(select(Case).where(Case.number == number))


def _masked(text: str | None) -> str | None:
    """Agents' text as parsed by app/agent/schemas.py, with card numbers masked before it is stored or mailed."""
    return mask_card_numbers(text) if text else None


# case_event kind → audit trail action; the audit detail names outcomes and statuses, never the text.
_AUDIT_ACTIONS = {"claim": "case.claim", "note": "case.note", "reply": "case.reply", "callback_done": "case.callback",
                  "resolve": "case.resolve", "reopen": "case.reopen", "verify": "case.verify"}


def _log(case: Case, agent, kind: str, moment: dt.datetime, outcome: str | None = None,
         note: str | None = None, detail: str = "") -> CaseEvent:
    event = CaseEvent(case=case, actor_id=agent.id if agent is not None else None, kind=kind, outcome=outcome,
                      note=note, created_at=moment)
    db.session.add(event)
    if kind in _AUDIT_ACTIONS and agent is not None:
        audit = record(_AUDIT_ACTIONS[kind], "case", case.number, detail or (f"outcome: {outcome}" if outcome else ""),
                       actor=agent)
        audit.created_at = moment
    db.session.flush()
    return event


def _refuse_if_resolved(case: Case) -> None:
    if case.status == "resolved":
        raise ActionRefused("resolved", _("Die Anfrage ist schon erledigt. Öffnen Sie sie erst wieder."))


def _take(case: Case, agent, moment: dt.datetime) -> None:
    """Working on a case means having it: an unclaimed case goes to the agent who acts on it."""
    if case.assigned_to_id is None:
        case.assigned_to_id, case.claimed_at = agent.id, moment
    if case.status == "new":
        case.status = "open"


def _responded(case: Case, moment: dt.datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = moment


def claim(case: Case, agent, now: dt.datetime) -> Case:
    """Take the case (or accept the chat); a case another agent holds stays theirs."""
    _refuse_if_resolved(case)
    if case.assigned_to_id == agent.id:
        return case
    moment = to_utc_naive(now)
    # One UPDATE with the condition in it: of two agents accepting the same chat at once, one wins.
    taken = db.session.execute(
        update(Case).where(Case.id == case.id, Case.status != "resolved",
                           or_(Case.assigned_to_id.is_(None), Case.assigned_to_id == agent.id))
        .values(assigned_to_id=agent.id, claimed_at=func.coalesce(Case.claimed_at, moment), status="open")
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(case)
    if not taken:
        holder = case.assigned_to.name if case.assigned_to is not None else "?"
        raise ActionRefused("claimed", _("%(agent)s bearbeitet diese Anfrage schon.", agent=holder))
    _log(case, agent, "claim", moment)
    return case


def add_note(case: Case, agent, note: str, now: dt.datetime) -> CaseEvent:
    """An internal note: for colleagues only, never sent to the customer."""
    text = _masked(note)
    conversation.add_agent_message(case, agent, text, now, visibility="internal")
    return _log(case, agent, "note", to_utc_naive(now), note=text)


def reply_by_email(case: Case, agent, subject: str | None, body: str, now: dt.datetime):
    """Answer the customer by e-mail through the outbox; the first answer stops the SLA clock. Returns the
    message as it stands in the customer's thread.

    The subject is one line (app/agent/schemas.py ReplyInput); without one, the usual subject. Personal mail
    from a person: a real subject with the case number, no Auto-Submitted header (queue_email sets none).
    """
    from app.cases.mail_thread import new_message_id, thread_headers
    from app.outbox.service import queue_email

    _refuse_if_resolved(case)
    text = _masked(body)
    with force_locale(case.lang):
        shop = current_app.config["HELPCENTER_SHOP_NAME"]
        title = subject or _("Ihre Anfrage %(number)s bei %(shop)s", number=case.number, shop=shop)
        if case.number not in title:
            # The number in the subject lets the customer (and the next mail's threading) find the case.
            title = _("%(subject)s [Anfrage %(number)s]", subject=title, number=case.number)
        # Under the agent's words (the thread keeps those alone): where to answer, also from another device.
        footer = _("Antworten Sie einfach auf diese E-Mail oder im Web: %(link)s", link=case_page_link(case.number))
    moment = to_utc_naive(now)
    _take(case, agent, moment)
    _responded(case, moment)
    message = conversation.add_agent_message(case, agent, text, now, channel="email", subject=title)
    message.email_message_id = new_message_id()
    event = _log(case, agent, "reply", moment, note=text)
    queue_email(case.contact_email, title, f"{text}\n\n-- \n{footer}", dedupe_key=f"case-reply:{event.id}",
                personal=True, thread=thread_headers(case, message.email_message_id))
    return message


def callback_done(case: Case, agent, outcome, note, now: dt.datetime) -> CaseEvent:
    """'Rückruf erledigt' with how it went: reached and solved also resolves the case."""
    _refuse_if_resolved(case)
    if outcome not in CALLBACK_OUTCOMES:
        raise ActionRefused("invalid_outcome", _("Bitte wählen Sie, wie der Rückruf ausging."), 422)
    if case.channel != "phone":
        raise ActionRefused("not_a_callback", _("Diese Anfrage ist kein Rückruf."))
    moment = to_utc_naive(now)
    if case.callback_slot is not None and moment < case.callback_slot:
        # The customer expects the call in the booked slot; a call before it is not the promised one.
        raise ActionRefused("too_early", _("Der Rückruf ist für %(when)s vereinbart. Sie können ihn erst ab "
                                           "Beginn des Termins als erledigt eintragen.",
                                           when=format_datetime(case.callback_slot, date_pattern("day_at_time"))))
    text = _masked(note)
    _take(case, agent, moment)
    if outcome != "not_reached":
        _responded(case, moment)
    # The outcome is for the customer's thread; what the agent wrote about the call stays internal.
    conversation.add_agent_message(case, agent, "", now, channel="phone", event="callback_done", outcome=outcome)
    if text:
        conversation.add_agent_message(case, agent, text, now, visibility="internal")
    event = _log(case, agent, "callback_done", moment, outcome=outcome, note=text)
    if outcome == "reached_solved":
        resolve(case, agent, "solved", None, now)
    return event


def resolve(case: Case, agent, outcome, note, now: dt.datetime) -> CaseEvent:
    """Close the case with its outcome; the customer gets the one-question survey by e-mail."""
    from app.agent.survey import queue_survey

    _refuse_if_resolved(case)
    if outcome not in OUTCOMES:
        raise ActionRefused("invalid_outcome", _("Bitte wählen Sie ein Ergebnis."), 422)
    text = _masked(note)
    moment = to_utc_naive(now)
    _take(case, agent, moment)
    case.status, case.outcome, case.resolved_at = "resolved", outcome, moment
    conversation.add_system_message(case, "resolved", now, outcome=outcome, author_id=agent.id)
    if text:
        conversation.add_agent_message(case, agent, text, now, visibility="internal")
    event = _log(case, agent, "resolve", moment, outcome=outcome, note=text)
    queue_survey(case)
    return event


def reopen(case: Case, agent, note, now: dt.datetime) -> CaseEvent:
    """Open a resolved case again (the resolution stays in the audit trail)."""
    if case.status != "resolved":
        raise ActionRefused("not_resolved", _("Die Anfrage ist nicht erledigt."))
    text = _masked(note)
    moment = to_utc_naive(now)
    case.status, case.outcome, case.resolved_at = "open", None, None
    conversation.add_system_message(case, "reopened", now, author_id=agent.id)
    if text:
        conversation.add_agent_message(case, agent, text, now, visibility="internal")
    return _log(case, agent, "reopen", moment, note=text, detail="status: resolved → open")


def verify_customer(case: Case, agent, note: str | None, now: dt.datetime) -> CaseEvent:
    """'Kunde verifiziert': the agent has checked who wrote (e.g. called back on the order's number);
    from now on the case shows the customer's order and history and templates are filled with them."""
    from app.shop.orders import order_by_number

    if case.verified:
        raise ActionRefused("already_verified", _("Die Kundin/der Kunde ist schon verifiziert."))
    text = _masked(note)
    moment = to_utc_naive(now)
    order = case.order
    if order is None and case.order_number_given:
        # A wrong postcode found no order: the one the customer named is the one the agent checked.
        order = order_by_number(case.order_number_given)
        case.order_id = order.id if order is not None else None
    if case.customer_id is None and order is not None:
        case.customer_id = order.customer_id
    case.verified = True
    _take(case, agent, moment)
    return _log(case, agent, "verify", moment, note=text)
