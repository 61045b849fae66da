"""Turn a contact request into one verified, routed case — committed before anything else happens."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import format_datetime, force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from app.cases.access import case_page_link
from app.cases.availability import answer_due, chat_available, find_slot, next_opening, to_utc_naive
from app.cases.conversation import add_customer_message
from app.cases.models import Case, ContactDeflection
from app.cases.numbering import next_case_number
from app.cases.routing import RoutingConfig
from app.cases.topics import resolve_topic
from app.extensions import db
from app.idempotency import FieldErrors, commit_once, earlier_record, request_fingerprint
from app.i18n import date_pattern
from app.privacy.redaction import mask_card_numbers
from app.shop.fields import SHOP_TIMEZONE
from app.shop.orders import order_by_number, prove_order



class CaseInvalid(FieldErrors):
    """The request cannot become a case."""


@dataclass(frozen=True)
class CaseRequest:
    """A case as the customer asked for it, parsed by app/cases/schemas.py (CaseInput)."""

    topic: str | None
    message: str | None
    channel: str | None
    order_number: str | None = None
    skus: tuple[str, ...] = ()
    desired_outcome: str | None = None
    phone: str | None = None
    phone_consent: bool = False
    callback_slot: str | None = None
    name: str | None = None
    email: str | None = None
    postcode: str | None = None
    article_slug: str | None = None
    lang: str = "de"
    trail: list = field(default_factory=list)
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        return request_fingerprint(self, ignore=("trail", "idempotency_key", "lang"))


@dataclass(frozen=True)
class Submission:
    case: Case
    created: bool


def input_context(user) -> dict:
    """What the case schema needs to know about the visitor (app/cases/schemas.py)."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    customer = user.customer if signed_in and user.customer_id else None
    return {"signed_in": signed_in, "phone_on_file": bool(customer is not None and customer.phone)}


def request_from(data, lang: str, trail: list, idempotency_key: str | None) -> CaseRequest:
    """The case request from the parsed form or API body (app/cases/schemas.py CaseInput)."""
    return CaseRequest(
        topic=data.topic, message=data.message, channel=data.channel, order_number=data.order_number,
        skus=tuple(data.skus), desired_outcome=data.desired_outcome, phone=data.phone,
        phone_consent=data.phone_consent, callback_slot=data.callback_slot, name=data.name, email=data.email,
        postcode=data.postcode, article_slug=data.article, lang=lang, trail=trail, idempotency_key=idempotency_key)


def _validate(req: CaseRequest, user, config: RoutingConfig, now: dt.datetime, state: str):
    """What the schema could not decide alone: the order, its items, the slot, whether chat is open."""
    errors: dict[str, str] = {}
    topic = resolve_topic(req.topic)
    signed_in = bool(getattr(user, "is_authenticated", False))
    customer = user.customer if signed_in and user.customer_id else None
    name = user.name if signed_in else req.name
    email = user.email if signed_in else req.email

    order, verified = None, signed_in and customer is not None
    number = req.order_number
    if number:
        if signed_in and customer is not None:
            order = order_by_number(number)
            if order is None or order.customer_id != customer.id:
                errors["order_number"] = _("Diese Bestellung finden wir in Ihrem Konto nicht.")
                order = None
        elif not signed_in and req.postcode:
            order = prove_order(number, req.postcode)
            verified = order is not None
            if order is not None and email and order.customer.email.lower() != email.lower():
                # The pair is right, but the answer would go to another address: the agent checks.
                verified = False
    skus = req.skus
    if topic.needs_items and order is not None and not skus:
        errors["skus"] = _("Bitte wählen Sie die betroffenen Artikel.")
    if order is not None and skus and not set(skus) <= {item.sku for item in order.items}:
        errors["skus"] = _("Diese Artikel gehören nicht zur gewählten Bestellung.")

    phone, slot = None, None
    if req.channel == "phone":
        phone = req.phone or (customer.phone if customer is not None else None)
        slot = find_slot(config, now, state, req.callback_slot)
        if slot is None:
            errors["callback_slot"] = _("Bitte wählen Sie einen freien Termin für den Rückruf.")
    elif req.channel == "chat" and not chat_available(config, now, state):
        opening = next_opening(config, now, state)
        errors["channel"] = (_("Der Chat ist gerade nicht besetzt. Er öffnet wieder %(when)s.",
                               when=format_datetime(opening, date_pattern("weekday_time"))) if opening else
                             _("Der Chat ist gerade nicht besetzt."))
    if errors:
        raise CaseInvalid(errors)
    return topic, req.message, name, email, phone, slot, order, verified, skus, customer


def expected_response(case: Case) -> str:
    """What the customer may expect, in words: the callback time, or the answer time of the queue."""
    if case.channel == "phone" and case.callback_slot:
        start = case.callback_slot.replace(tzinfo=dt.timezone.utc)
        return _("Wir rufen Sie am %(when)s an.", when=format_datetime(start, date_pattern("day_at_time")))
    if case.channel == "chat":
        return _("Ein Mitarbeiter ist gleich im Chat für Sie da.")
    due = case.sla_due_at.replace(tzinfo=dt.timezone.utc)
    return _("Sie erhalten unsere Antwort per E-Mail bis spätestens %(when)s.",
             when=format_datetime(due, date_pattern("day_time")))


def _queue_messages(case: Case, config: RoutingConfig) -> None:
    from app.cases.mail_thread import thread_headers
    from app.outbox.service import queue_email, queue_webhook

    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    with force_locale(case.lang):
        link = case_page_link(case.number)
        body = _("Hallo %(name)s,\n\nvielen Dank für Ihre Nachricht. Ihre Anfrage hat die Nummer %(number)s.\n\n"
                 "So melden wir uns: %(expected)s\n\nIhre Nachricht:\n%(message)s\n\n"
                 "Den Stand Ihrer Anfrage sehen Sie hier: %(link)s\n\nIhr Kundenservice von %(shop)s",
                 name=case.contact_name, number=case.number, expected=expected_response(case),
                 message=case.message, link=link, shop=shop)
        subject = _("Ihre Anfrage %(number)s bei %(shop)s", number=case.number, shop=shop)
    queue_email(case.contact_email, subject, body, dedupe_key=f"case-ack:{case.number}",
                thread=thread_headers(case))
    queue = config.queues[case.queue]
    if queue.webhook_url:
        queue_webhook(queue.webhook_url, case_payload(case), queue.webhook_secret or "",
                      dedupe_key=f"case-webhook:{case.number}")


def case_payload(case: Case) -> dict:
    return {
        "case_number": case.number, "topic": case.topic, "channel": case.channel, "queue": case.queue,
        "priority": case.priority, "verified": case.verified, "order_number": case.order.number if case.order else None,
        "message": case.message, "created_at": case.created_at.isoformat() + "Z",
        "callback_slot": case.callback_slot.isoformat() + "Z" if case.callback_slot else None,
    }


def submit_case(req: CaseRequest, user, config: RoutingConfig, now: dt.datetime, state: str,
                visit: str | None = None) -> Submission:
    """Validate, verify, route and store one case with its acknowledgement in one transaction.

    The caller commits. A repeated idempotency key returns the first case; the same key with a
    different request raises IdempotencyConflict.
    """
    fingerprint = req.fingerprint()
    existing = earlier_record(Case, req.idempotency_key, fingerprint)
    if existing is not None:
        return Submission(existing, False)
    topic, message, name, email, phone, slot, order, verified, skus, customer = _validate(req, user, config, now, state)
    order_value = order.total_cents / 100 if order is not None else None
    route = config.route(req.channel, topic.slug, verified, order_value)
    created = to_utc_naive(now)
    number = next_case_number(now.astimezone(SHOP_TIMEZONE).year)
    if slot is not None:
        # The number's row lock serialises bookings, so this count is the truth for this slot.
        fresh = find_slot(config, now, state, slot.start.isoformat())
        if fresh is None or fresh.free <= 0:
            raise CaseInvalid({"callback_slot": _("Dieser Termin ist gerade ausgebucht. Bitte wählen Sie einen anderen.")})
    if slot is not None:
        due = config.callback_due(to_utc_naive(slot.start))
    else:  # the queue's target counts service hours only, so the acknowledgement names a time we are there
        due = to_utc_naive(answer_due(config, now, route.queue.sla_minutes, state))
    case = Case(
        number=number, topic=topic.slug, message=mask_card_numbers(message), channel=req.channel,
        desired_outcome=req.desired_outcome if topic.asks_outcome else None, queue=route.queue.slug,
        priority=route.priority, sla_due_at=due, verified=verified,
        user_id=user.id if getattr(user, "is_authenticated", False) else None,
        customer_id=customer.id if customer is not None else (order.customer_id if verified and order else None),
        order_id=order.id if order is not None else None, order_number_given=req.order_number,
        skus=json.dumps(list(skus)) if skus else None, contact_name=name, contact_email=email.lower(),
        contact_phone=phone, phone_consent_at=created if req.channel == "phone" else None,
        callback_slot=to_utc_naive(slot.start) if slot is not None else None,
        article_slug=req.article_slug, trail=json.dumps(req.trail[-40:]) if req.trail else None,
        idempotency_key=req.idempotency_key, request_fingerprint=fingerprint, lang=req.lang, created_at=created,
        visit=visit,
    )
    db.session.add(case)
    db.session.flush()
    # The case's text is also the first message of its conversation (app/cases/conversation.py).
    add_customer_message(case, case.message, (), "form", now=now,
                         user=user if getattr(user, "is_authenticated", False) else None)
    _queue_messages(case, config)
    if visit:
        db.session.execute(update(ContactDeflection).where(ContactDeflection.visit == visit).values(converted=True))
    return Submission(case, True)


def open_case_by_email(*, name: str, email: str, topic: str, text: str, now: dt.datetime, config: RoutingConfig,
                       lang: str, opening) -> Case:
    """A new unverified e-mail case for a mail we cannot tie to a case (app/inbound/): routed like the form's
    e-mail cases, answered within the queue's service-hours target, acknowledged through the outbox.

    opening(case) stores the first message (with the mail's Message-ID, so the acknowledgement answers it)."""
    state = current_app.config["HELPCENTER_FEDERAL_STATE"]
    route = config.route("email", topic, False, None)
    number = next_case_number(now.astimezone(SHOP_TIMEZONE).year)
    case = Case(number=number, topic=topic, message=mask_card_numbers(text), channel="email", queue=route.queue.slug,
                priority=route.priority, sla_due_at=to_utc_naive(answer_due(config, now, route.queue.sla_minutes, state)),
                verified=False, contact_name=" ".join(name.split())[:200] or email, contact_email=email.lower(),
                lang=lang if lang in ("de", "en") else "de", created_at=to_utc_naive(now))
    db.session.add(case)
    db.session.flush()
    opening(case)
    _queue_messages(case, config)
    return case


def _attach(case: Case, uploads) -> None:
    """The checked uploads, bytes included, as attachments of the case's first message."""
    from app.cases.models import CaseAttachment

    first = case.messages[0] if case.messages else None
    for upload in uploads:
        attachment = CaseAttachment.stored(upload)
        case.attachments.append(attachment)
        attachment.message = first
    db.session.flush()


def submit_and_commit(req: CaseRequest, user, config: RoutingConfig, now: dt.datetime, state: str,
                      visit: str | None = None, uploads=()) -> Submission:
    """submit_case with its attachments, then commit; a concurrent twin with the same idempotency key
    yields the first case. The attachments' bytes are rows of the same transaction: nothing to undo."""

    def submit() -> Submission:
        submission = submit_case(req, user, config, now, state, visit)
        if submission.created and uploads:
            _attach(submission.case, uploads)
        return submission

    return commit_once(submit, Case, req.idempotency_key, req.fingerprint(),
                       on_twin=lambda case: Submission(case, False))
