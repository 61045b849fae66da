"""Carrier labels of returns: registered first, ordered once, retried until the carrier issues them.

A return whose carrier has a label adapter (policy file `label = "dhl_returns"`) is committed with a pending
label. Right after the commit the request makes one attempt with a short timeout; whatever fails there is
retried by `retry_due` (the outbox worker runs it between rounds, `flask returns labels` runs one pass) with
exponential backoff, and the customer gets a mail when the label is ready.

One order per return: before calling the carrier a request or worker takes the label's lease with one
conditional UPDATE (state pending, no live lease) and commits it; whoever does not get the lease does not call
the carrier. A lease outlives the longest carrier call, so a crashed worker's label is taken over later.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import or_, select, update

from app.carriers.base import CarrierError, CarrierLabel, CarrierNotAuthorised, CarrierRefused, LabelRequest
from app.carriers.registry import OWN_LABEL, build_label_adapter
from app.extensions import db
from app.returns.label import LabelAddress
from app.returns.models import ReturnLabel, ReturnRequest

log = logging.getLogger(__name__)

BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
# Longer than any carrier call (connect + read timeouts): a live lease is never taken over.
LEASE = dt.timedelta(minutes=5)
OWN = "own"


def _naive(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def adapter_name(ret: ReturnRequest) -> str | None:
    """The label adapter the policy file names for the return's carrier; None for our own label."""
    policy = current_app.extensions["helpcenter.returns_policy"]
    carrier = policy.carriers.get(ret.carrier) if ret.carrier else None
    if carrier is None or carrier.label_adapter == OWN_LABEL:
        return None
    return carrier.label_adapter


def start_label(ret: ReturnRequest, now: dt.datetime) -> ReturnLabel | None:
    """Register a pending carrier label with a new return that goes by parcel (flushed, committed by the caller)."""
    name = adapter_name(ret) if ret.carrier and not ret.returnless else None
    if name is None:
        return None
    label = ReturnLabel(adapter=name, state="pending", attempts=0, next_attempt_at=_naive(now),
                        created_at=_naive(now))
    ret.carrier_label = label
    db.session.flush()
    return label


def label_status(ret: ReturnRequest) -> str | None:
    """"pending", "ready", "failed" for a carrier label, "own" for ours, None for a return without parcel."""
    if ret.carrier is None:
        return None
    return ret.carrier_label.state if ret.carrier_label is not None else OWN


def backoff(attempts: int) -> dt.timedelta:
    """1 min, 2, 4, 8 … after each failed attempt, never more than an hour."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


# --- one attempt --------------------------------------------------------------------------------


@dataclass
class Attempt:
    """What one attempt did: "ready", "failed", "waiting" (retried later), "not_authorised" or "skipped"."""

    outcome: str
    message: str = ""


def claim(label_id: int, now: dt.datetime) -> str | None:
    """Take the label's lease and commit it; None when it is not pending or someone else holds it."""
    now = _naive(now)
    token = secrets.token_hex(16)
    result = db.session.execute(
        update(ReturnLabel)
        .where(ReturnLabel.id == label_id, ReturnLabel.state == "pending",
               or_(ReturnLabel.lease_until.is_(None), ReturnLabel.lease_until < now))
        .values(lease_token=token, lease_until=now + LEASE, attempts=ReturnLabel.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if result.rowcount == 1 else None


def _label_request(ret: ReturnRequest) -> LabelRequest:
    policy = current_app.extensions["helpcenter.returns_policy"]
    order = ret.order
    carrier = policy.carriers.get(ret.carrier)
    return LabelRequest(
        reference=ret.number,
        sender=LabelAddress(order.ship_name, order.ship_street, order.ship_postcode, order.ship_city,
                            order.ship_country),
        recipient=policy.return_address,
        value_cents=sum(item.quantity * item.unit_price_cents for item in ret.items),
        want_qr=bool(carrier and carrier.paperless))


def _finish(label_id: int, token: str, **values) -> bool:
    """Write the attempt's result if this attempt still holds the lease (and give the lease back)."""
    result = db.session.execute(
        update(ReturnLabel).where(ReturnLabel.id == label_id, ReturnLabel.lease_token == token)
        .values(lease_token=None, lease_until=None, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def attempt(label_id: int, now: dt.datetime, *, read_timeout: float | None = None, mail: bool = False) -> Attempt:
    """Order the label once if this caller gets the lease; store what the carrier answered.

    read_timeout: a shorter wait for the attempt made while the customer waits. mail: tell the customer by
    e-mail when the label is ready (the retry job; right after the submit the page shows it)."""
    token = claim(label_id, now)
    if token is None:
        return Attempt("skipped")
    label = db.session.get(ReturnLabel, label_id)
    ret = label.return_request
    try:
        adapter = build_label_adapter(label.adapter, current_app.config)
        if adapter is None:
            raise CarrierRefused(f"label adapter {label.adapter!r} issues no labels")
        if read_timeout is not None and hasattr(adapter, "timeout"):
            adapter.timeout = (min(adapter.timeout[0], read_timeout), read_timeout)
        issued = adapter.create_return_label(_label_request(ret))
    except CarrierRefused as exc:
        return _failed(label, token, ret, exc, now)
    except CarrierError as exc:
        return _later(label, token, ret, exc, now)
    return _ready(label, token, ret, issued, now, mail)


def _ready(label: ReturnLabel, token: str, ret: ReturnRequest, issued: CarrierLabel, now: dt.datetime,
           mail: bool) -> Attempt:
    from app.returns.messages import queue_label_ready

    if not _finish(label.id, token, state="ready", label_pdf=issued.label_pdf, qr_png=issued.qr_png,
                   carrier_reference=(issued.carrier_reference or None) and issued.carrier_reference[:80],
                   last_error=None, ready_at=_naive(now)):
        db.session.rollback()
        log.warning("return %s: label %s arrived after the lease ran out; another attempt owns it now",
                    ret.number, issued.shipment_number)
        return Attempt("skipped")
    ret.tracking_number = issued.shipment_number
    if mail:
        queue_label_ready(ret)
    db.session.commit()
    log.info("return %s: %s issued label %s", ret.number, label.adapter, issued.shipment_number)
    return Attempt("ready")


def _failed(label: ReturnLabel, token: str, ret: ReturnRequest, exc: CarrierRefused, now: dt.datetime) -> Attempt:
    words = "; ".join(f"{k}: {v}" for k, v in exc.details.items()) or str(exc)
    _finish(label.id, token, state="failed", last_error=words[:500])
    db.session.commit()
    log.warning("return %s: %s refused the label: %s", ret.number, label.adapter, words)
    return Attempt("failed", words)


def _later(label: ReturnLabel, token: str, ret: ReturnRequest, exc: CarrierError, now: dt.datetime) -> Attempt:
    wait = backoff(label.attempts)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        wait = max(wait, dt.timedelta(seconds=retry_after))
    _finish(label.id, token, next_attempt_at=_naive(now) + wait, last_error=str(exc)[:500])
    db.session.commit()
    outcome = "not_authorised" if isinstance(exc, CarrierNotAuthorised) else "waiting"
    if outcome == "waiting":
        log.info("return %s: label not issued yet (%s), next attempt in %s", ret.number, exc, wait)
    return Attempt(outcome, str(exc))


def order_now(ret: ReturnRequest, now: dt.datetime) -> None:
    """The one attempt right after the submit: most customers see the label at once; failures stay pending.

    Never raises: the return is committed, and whatever went wrong here the retry job tries again."""
    label = ret.carrier_label
    if label is None or label.state != "pending":
        return
    label_id = label.id
    try:
        attempt(label_id, now, read_timeout=current_app.config.get("HELPCENTER_LABEL_SUBMIT_TIMEOUT") or 4.0)
    except Exception:  # noqa: BLE001 – the customer's return is stored; the job retries, the log keeps the cause
        db.session.rollback()
        log.exception("return %s: label attempt after submit failed; the label job retries it", ret.number)


# --- the retry job ------------------------------------------------------------------------------


@dataclass
class LabelReport:
    ready: int = 0
    failed: int = 0
    waiting: int = 0
    not_authorised: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.ready + self.failed + self.waiting + self.not_authorised

    def __str__(self) -> str:
        return (f"labels: ready {self.ready}, failed {self.failed}, waiting {self.waiting}, "
                f"credentials refused {self.not_authorised}")


def due_labels(now: dt.datetime, batch: int = 20) -> list[int]:
    """Pending labels whose next attempt is due, of returns still waiting for their parcel, oldest first."""
    now = _naive(now)
    return list(db.session.scalars(
        select(ReturnLabel.id).join(ReturnRequest, ReturnRequest.id == ReturnLabel.return_id)
        .where(ReturnLabel.state == "pending", ReturnLabel.next_attempt_at <= now,
               or_(ReturnLabel.lease_until.is_(None), ReturnLabel.lease_until < now),
               ReturnRequest.status == "registered")
        .order_by(ReturnLabel.next_attempt_at, ReturnLabel.id).limit(batch)))


def retry_due(now: dt.datetime | None = None, batch: int = 20) -> LabelReport:
    """One pass over the due pending labels; refused credentials are logged once per pass for the operator."""
    now = now or dt.datetime.now(dt.timezone.utc)
    report = LabelReport()
    ids = due_labels(now, batch)
    db.session.commit()
    for label_id in ids:
        result = attempt(label_id, now, mail=True)
        if result.outcome in ("ready", "failed", "waiting", "not_authorised"):
            setattr(report, result.outcome, getattr(report, result.outcome) + 1)
        if result.outcome == "not_authorised" and not report.notes:
            report.notes.append(result.message)
    if report.not_authorised:
        log.error("carrier refused the credentials for %d return label(s): %s – check the HELPCENTER_DHL_* "
                  "settings; the labels stay pending and are retried", report.not_authorised, report.notes[0])
    return report

