"""A customer's rights over their data: everything stored about them (Art. 15/20) and erasure (Art. 17).

A person is found by e-mail address: their accounts, the shop customer records with that address or
linked to one of the accounts, and what hangs off those (orders, cases, returns, withdrawals, e-mails).
Nothing is found through someone else's record, so an export never carries another customer's values.

Erasure keeps what the shop must keep: withdrawal declarations exactly as received (proof under
§ 356a BGB, stored unchangeably) and the money facts of returns and orders (numbers, items, amounts,
status — accounting records), with the person taken out of them.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User, new_session_token
from app.cases.attachments import ATTACHMENT_FOLDER
from app.cases.models import Case
from app.core.uploads import remove_legacy_files
from app.extensions import db
from app.outbox.models import KIND_EMAIL, OutboxMessage
from app.privacy.retention import ERASED
from app.returns.models import ReturnItem, ReturnRequest
from app.returns.photos import PHOTO_FOLDER
from app.shop.models import Customer, Order, Shipment
from app.withdrawal.models import Withdrawal

ERASED_DOMAIN = "erased.invalid"


def email_key(email: str) -> str:
    return (email or "").strip().lower()


@dataclass
class Subject:
    """Everything stored about one person, loaded once."""

    email: str
    users: list[User] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.users or self.customers or self.orders or self.cases or self.returns or self.withdrawals
                    or self.messages)


def find_subject(email: str) -> Subject:
    """Load the person's records; matching on the address is case-insensitive."""
    key = email_key(email)
    subject = Subject(email=key)
    if not key:
        return subject
    subject.users = list(db.session.scalars(select(User).where(func.lower(User.email) == key).order_by(User.id)))
    user_ids = [u.id for u in subject.users]
    linked = [u.customer_id for u in subject.users if u.customer_id is not None]
    subject.customers = list(db.session.scalars(
        select(Customer).where(or_(func.lower(Customer.email) == key, Customer.id.in_(linked)))
        .options(selectinload(Customer.addresses)).order_by(Customer.id)))
    customer_ids = [c.id for c in subject.customers]
    subject.orders = list(db.session.scalars(
        select(Order).where(Order.customer_id.in_(customer_ids))
        .options(selectinload(Order.items), selectinload(Order.shipments).selectinload(Shipment.events))
        .order_by(Order.placed_at, Order.id)))
    subject.cases = list(db.session.scalars(
        select(Case).where(or_(Case.user_id.in_(user_ids), Case.customer_id.in_(customer_ids),
                               func.lower(Case.contact_email) == key))
        .options(selectinload(Case.attachments), selectinload(Case.events), selectinload(Case.messages),
                 selectinload(Case.order))
        .order_by(Case.created_at, Case.id)))
    subject.returns = list(db.session.scalars(
        select(ReturnRequest).where(or_(ReturnRequest.customer_id.in_(customer_ids),
                                        ReturnRequest.user_id.in_(user_ids)))
        .options(selectinload(ReturnRequest.items).selectinload(ReturnItem.photos),
                 selectinload(ReturnRequest.events), selectinload(ReturnRequest.order))
        .order_by(ReturnRequest.created_at, ReturnRequest.id)))
    subject.withdrawals = list(db.session.scalars(
        select(Withdrawal).where(or_(Withdrawal.user_id.in_(user_ids), func.lower(Withdrawal.contact_email) == key))
        .order_by(Withdrawal.declared_at, Withdrawal.id)))
    subject.messages = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == KIND_EMAIL, func.lower(OutboxMessage.recipient) == key)
        .order_by(OutboxMessage.id)))
    return subject


# --- export (Art. 15 and 20) -------------------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _json_list(text: str | None):
    if not text:
        return []
    try:
        return json.loads(text)
    except ValueError:
        return text


def _upload(record) -> dict:
    return {"filename": record.filename, "content_type": record.content_type, "size": record.size,
            "sha256": record.sha256, "uploaded_at": _iso(record.created_at)}


def export_subject(subject: Subject, now: dt.datetime) -> dict:
    """Everything stored about the person as plain JSON values."""
    own_orders = {o.id for o in subject.orders}

    def order_number(order_id, order, given=None):
        # Another customer's order a guest named is not theirs to see: only what they typed.
        return order.number if order_id in own_orders and order is not None else given

    return {
        "email": subject.email,
        "exported_at": _iso(now),
        "accounts": [{"email": u.email, "name": u.name, "role": u.role, "created_at": _iso(u.created_at),
                      "last_login_at": _iso(u.last_login_at),
                      "notification_settings": {"status_changes_by_email": u.notify_status_changes}}
                     for u in subject.users],
        "customer_records": [{"customer_number": c.external_id, "email": c.email, "first_name": c.first_name,
                              "last_name": c.last_name, "phone": c.phone, "created_at": _iso(c.created_at),
                              "addresses": [{"kind": a.kind, "name": a.name, "street": a.street,
                                             "postcode": a.postcode, "city": a.city, "country": a.country}
                                            for a in c.addresses]}
                             for c in subject.customers],
        "orders": [{"number": o.number, "placed_at": _iso(o.placed_at), "status": o.status,
                    "total_cents": o.total_cents, "currency": o.currency, "payment_method": o.payment_method,
                    "shipping_address": {"name": o.ship_name, "street": o.ship_street, "postcode": o.ship_postcode,
                                         "city": o.ship_city, "country": o.ship_country},
                    "items": [{"sku": i.sku, "name": i.name, "size": i.size, "colour": i.colour,
                               "quantity": i.quantity, "unit_price_cents": i.unit_price_cents} for i in o.items],
                    "shipments": [{"carrier": s.carrier, "tracking_number": s.tracking_number, "status": s.status,
                                   "shipped_at": _iso(s.shipped_at), "promised_from": _iso(s.promised_from),
                                   "promised_to": _iso(s.promised_to), "pickup_location": s.pickup_location,
                                   "events": [{"at": _iso(e.occurred_at), "status": e.status,
                                               "location": e.location, "text": e.text} for e in s.events]}
                                  for s in o.shipments]}
                   for o in subject.orders],
        "cases": [{"number": c.number, "topic": c.topic, "channel": c.channel, "status": c.status,
                   "created_at": _iso(c.created_at), "resolved_at": _iso(c.resolved_at), "outcome": c.outcome,
                   "message": c.message, "desired_outcome": c.desired_outcome, "skus": c.skus,
                   "order_number": order_number(c.order_id, c.order, c.order_number_given),
                   "contact": {"name": c.contact_name, "email": c.contact_email, "phone": c.contact_phone,
                               "phone_consent_at": _iso(c.phone_consent_at)},
                   "callback": {"slot": _iso(c.callback_slot)} if c.callback_slot else None,
                   "self_service_trail": _json_list(c.trail),
                   "attachments": [_upload(a) for a in c.attachments],
                   "history": [{"kind": e.kind, "outcome": e.outcome, "note": e.note, "at": _iso(e.created_at)}
                               for e in c.events],
                   "chat": [{"from": m.sender, "text": m.body, "at": _iso(m.created_at)} for m in c.chat_messages],
                   "conversation": [{"from": m.author, "channel": m.channel, "visibility": m.visibility,
                                     "text": m.body, "event": m.event, "outcome": m.outcome,
                                     "at": _iso(m.created_at)} for m in c.messages if m.channel != "chat"],
                   "survey": ({"score": c.survey_score, "comment": c.survey_comment,
                               "answered_at": _iso(c.survey_answered_at)} if c.survey_answered_at else None)}
                  for c in subject.cases],
        "returns": [{"number": r.number, "order_number": order_number(r.order_id, r.order), "status": r.status,
                     "resolution": r.resolution, "carrier": r.carrier, "refund_cents": r.refund_cents,
                     "created_at": _iso(r.created_at),
                     "items": [{"sku": i.sku, "name": i.name, "quantity": i.quantity,
                                "unit_price_cents": i.unit_price_cents, "reason": i.reason, "comment": i.comment,
                                "exchange_sku": i.exchange_sku, "photos": [_upload(p) for p in i.photos]}
                               for i in r.items],
                     "history": [{"status": e.status, "source": e.source, "note": e.note, "location": e.location,
                                  "at": _iso(e.occurred_at)} for e in r.events]}
                    for r in subject.returns],
        "withdrawals": [{"number": w.number, "order_number": w.order_number_given, "name": w.contact_name,
                         "email": w.contact_email, "whole_order": w.whole_order, "items": _json_list(w.items),
                         "reason": w.reason, "declaration": w.declaration_text, "declared_at": _iso(w.declared_at)}
                        for w in subject.withdrawals],
        "emails": [{"subject": m.subject, "text": m.body, "queued_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
                   for m in subject.messages],
        "not_linked_to_you": (
            "Suchanfragen, Artikelbewertungen und Aufrufzahlen speichern wir ohne Bezug zu einer Person; "
            "Ihre Selbsthilfe-Schritte stehen bei der Anfrage, der sie beigefügt wurden."),
    }


# --- erasure (Art. 17) -------------------------------------------------------------------------

@dataclass(frozen=True)
class ErasureReport:
    accounts: int = 0
    customer_records: int = 0
    addresses: int = 0
    orders: int = 0
    cases: int = 0
    chat_messages: int = 0
    attachments: int = 0
    photos: int = 0
    returns: int = 0
    emails: int = 0
    kept_withdrawals: int = 0

    @property
    def erased(self) -> int:
        return sum(v for k, v in self.__dict__.items() if k != "kept_withdrawals")

    def summary(self) -> str:
        return " ".join(f"{name}={value}" for name, value in self.__dict__.items())


def erase_subject(subject: Subject, now: dt.datetime) -> tuple[ErasureReport, list[tuple[str, str]]]:
    """Erase or anonymise the person's records (flushed, not committed); returns the report and the legacy files
    to remove (uploads from before revision 0020; the bytes of the others go with their rows).

    Accounts stay as locked tombstones (no address, no name, no usable password, every session ended),
    because kept withdrawal declarations refer to them.
    """
    files: list[tuple[str, str]] = []
    counts = {"kept_withdrawals": len(subject.withdrawals)}
    for user in subject.users:
        user.email = f"geloescht-{user.id}@{ERASED_DOMAIN}"
        user.name = ""
        user.password_hash = "!"  # matches no password: no sign-in, no reset (the address is gone)
        user.session_token = new_session_token()
        user.customer_id = None
        user.notify_status_changes = False
    counts["accounts"] = len(subject.users)
    counts["addresses"] = 0
    for customer in subject.customers:
        customer.email = f"geloescht-{customer.id}@{ERASED_DOMAIN}"
        customer.first_name = customer.last_name = ""
        customer.phone = None
        counts["addresses"] += len(customer.addresses)
        customer.addresses.clear()
    counts["customer_records"] = len(subject.customers)
    for order in subject.orders:
        # The order's money facts stay (accounting); who it went to does not.
        order.ship_name = order.ship_street = order.ship_postcode = order.ship_city = ""
    counts["orders"] = len(subject.orders)
    counts["chat_messages"] = counts["attachments"] = 0
    for case in subject.cases:
        counts["chat_messages"] += len(case.chat_messages)
        counts["attachments"] += len(case.attachments)
        files += [(ATTACHMENT_FOLDER, a.storage_name) for a in case.attachments]
        # The whole conversation goes (the chat is part of it); the case keeps only its bare facts.
        case.messages.clear()
        case.attachments.clear()
        for event in case.events:
            event.note = None
        case.message = ERASED
        case.contact_name = case.contact_email = ""
        case.contact_phone = case.phone_consent_at = case.skus = case.trail = case.survey_comment = None
        case.order_number_given = case.idempotency_key = case.request_fingerprint = None
        case.user_id = case.customer_id = case.order_id = None
    counts["cases"] = len(subject.cases)
    counts["photos"] = 0
    for ret in subject.returns:
        # Kept for the books: number, order, items, amounts, status. Gone: photos, comments, notes, the account.
        for item in ret.items:
            counts["photos"] += len(item.photos)
            files += [(PHOTO_FOLDER, p.storage_name) for p in item.photos]
            item.photos.clear()
            item.comment = None
        for event in ret.events:
            event.note = None
        if ret.carrier_label is not None:
            # The carrier's label and QR code print the customer's name and address; the shipment number stays.
            ret.carrier_label.label_pdf = ret.carrier_label.qr_png = None
        ret.user_id = ret.idempotency_key = ret.request_fingerprint = None
    counts["returns"] = len(subject.returns)
    for message in subject.messages:
        message.recipient, message.subject, message.body = ERASED, None, ""
        message.payload = message.headers = message.last_error = None
        if message.next_attempt_at is not None:  # not sent yet: it never will be
            message.next_attempt_at, message.claimed_until, message.failed_at = None, None, now
    counts["emails"] = len(subject.messages)
    _erase_from_audit_trail(subject)
    db.session.flush()
    return ErasureReport(**counts), files


def _erase_from_audit_trail(subject: Subject) -> None:
    """The trail keeps what staff did, but not the person's address as the object or the actor."""
    from app.audit.models import AuditEvent

    db.session.execute(update(AuditEvent).where(func.lower(AuditEvent.object_ref) == subject.email)
                       .values(object_ref=ERASED).execution_options(synchronize_session=False))
    db.session.execute(update(AuditEvent).where(func.lower(AuditEvent.actor_label) == subject.email)
                       .values(actor_label=ERASED).execution_options(synchronize_session=False))


def audit_reference(subject: Subject) -> str:
    """How the audit trail names the person without personal data: shop customer numbers, else account ids."""
    refs = [c.external_id for c in subject.customers if c.external_id] or [f"#{u.id}" for u in subject.users]
    return ", ".join(refs)[:254] or "–"


def remove_files(files: list[tuple[str, str]]) -> None:
    """Delete the legacy files of erased uploads on this node; called after the commit that removed their rows
    (another node's copies go with its next purge: app/privacy/retention.py sweep_orphan_files)."""
    remove_legacy_files(files)
