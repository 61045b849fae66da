"""Moving a return on: carrier scans (unterwegs, eingegangen) and an agent's check and refund."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.returns.messages import queue_shop_webhook, queue_status_mail
from app.returns.models import FINAL_STATUSES, STATUS_FLOW, ProductVariant, ReturnEvent, ReturnRequest

CARRIER_STATUSES = ("in_transit", "received")
AGENT_STATUSES = ("received", "inspected", "refunded", "exchanged", "refused", "cancelled")
ALLOWED = {"carrier": CARRIER_STATUSES, "agent": AGENT_STATUSES, "customer": ("cancelled",)}


class TransitionRefused(ValueError):
    """The return cannot take this status now; the message says why."""


class ChangedMeanwhile(TransitionRefused):
    """Someone else moved the return on since the agent opened it (two agents at once: one wins)."""


def _rank(status: str) -> int:
    return STATUS_FLOW.index(status)


def check_transition(ret: ReturnRequest, status: str, source: str) -> None:
    if status not in ALLOWED.get(source, ()):
        raise TransitionRefused(_("Dieser Status kann hier nicht gesetzt werden."))
    if ret.status in FINAL_STATUSES:
        raise TransitionRefused(_("Die Rücksendung ist abgeschlossen."))
    if status == "refused":
        # Refusing needs the goods in hand (or a complaint to decide): nothing to judge before that.
        if ret.status not in ("received", "inspected", "complaint"):
            raise TransitionRefused(_("Ablehnen lässt sich eine Rücksendung erst, wenn sie eingegangen ist."))
        return
    if status == "cancelled":
        if ret.status not in ("registered", "complaint"):
            raise TransitionRefused(_("Nur eine noch nicht verschickte Rücksendung kann storniert werden."))
        return
    if status in ("refunded", "exchanged") and status != {"refund": "refunded", "exchange": "exchanged"}[ret.resolution]:
        raise TransitionRefused(_("Die Rücksendung wurde mit einer anderen Lösung angemeldet."))
    if ret.status != "complaint" and _rank(status) <= _rank(ret.status):
        raise TransitionRefused(_("Die Rücksendung ist schon weiter."))
    if source == "carrier" and ret.status == "complaint":
        raise TransitionRefused(_("Zu einer Reklamation gibt es noch keine Sendung."))


def lock_return(ret: ReturnRequest) -> None:
    """Wait for other writers of this return and take its current status (PostgreSQL row lock)."""
    db.session.refresh(ret, attribute_names=["status"], with_for_update=True)


def advance(ret: ReturnRequest, status: str, source: str, occurred_at: dt.datetime, actor_id: int | None = None,
            note: str | None = None, location: str | None = None, seen_status: str | None = None) -> bool:
    """Record the step and move the return on; a repeated carrier event is ignored (returns False).

    The return's row is locked and read again first: two agents, or an agent and the customer, at
    once cannot both refund, or both cancel and release the exchange stock twice. `seen_status` is what
    the agent's page showed: when the return has moved since, the agent is told who was quicker.
    """
    lock_return(ret)
    if seen_status is not None and ret.status != seen_status:
        from app.returns.vocabulary import STATUS_LABELS

        raise ChangedMeanwhile(_("Die Rücksendung wurde inzwischen von jemand anderem auf „%(status)s“ gesetzt. "
                                 "Bitte prüfen Sie den neuen Stand.", status=STATUS_LABELS.get(ret.status, ret.status)))
    if source == "carrier":
        # Carriers resend scans; the same scan (status, time, place) counts once.
        fingerprint = hashlib.sha256(f"{status}|{occurred_at.isoformat()}|{location or ''}".encode()).hexdigest()
        known = db.session.scalar(select(ReturnEvent.id).where(ReturnEvent.return_id == ret.id,
                                                               ReturnEvent.fingerprint == fingerprint))
        if known is not None:
            return False
    else:
        fingerprint = uuid.uuid4().hex
    check_transition(ret, status, source)
    if status == "refused" and not (note or "").strip():
        raise TransitionRefused(_("Bitte geben Sie an, warum die Rücksendung abgelehnt wird."))
    if source == "agent":
        _audit_status_change(ret, ret.status, status, actor_id)
    db.session.add(ReturnEvent(return_id=ret.id, status=status, source=source, actor_id=actor_id,
                               note=note, location=location, occurred_at=occurred_at, fingerprint=fingerprint))
    ret.status = status
    db.session.flush()
    if status in ("cancelled", "refused"):
        _release_stock(ret)
    queue_status_mail(ret, note if status == "refused" else None)
    queue_shop_webhook(ret)
    return True


def _audit_status_change(ret: ReturnRequest, before: str, after: str, actor_id: int | None) -> None:
    """Staff moving a return on is written to the audit trail (the note stays with the return's events)."""
    from app.accounts.models import User
    from app.audit.trail import record

    actor = db.session.get(User, actor_id) if actor_id is not None else None
    record("return.status", "return", ret.number, f"status: {before} → {after}", actor=actor)


def _release_stock(ret: ReturnRequest) -> None:
    for item in ret.items:
        if item.exchange_sku:
            db.session.execute(update(ProductVariant).where(ProductVariant.sku == item.exchange_sku)
                               .values(stock=ProductVariant.stock + item.quantity))
