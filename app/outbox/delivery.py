"""Send the due outbox messages: claim a batch under a lease, send each once, record the outcome."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.insights.models import utcnow
from app.outbox.models import ERROR_LENGTH, KIND_EMAIL, OutboxMessage
from app.outbox.transports import Envelope, build_email, describe_error, open_mailer, post_webhook

log = logging.getLogger(__name__)

# A claimed row belongs to its worker until the lease ends: a worker that was killed frees its rows
# within a minute. A live worker renews the lease of the rows it still holds as it goes.
LEASE = dt.timedelta(seconds=60)
# Renewed once a third of it is used, so a send starts with at least 40 s of lease left (SMTP and
# webhook steps time out after 10 s); only a message in flight when its worker died can go out twice,
# and then with the same Message-ID (Envelope.stable_id).
RENEW_AFTER = dt.timedelta(seconds=20)
# A round ends after this and the next one claims afresh (and notices a stop signal).
SEND_BUDGET = dt.timedelta(minutes=5)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600

_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed

    def __str__(self) -> str:
        return f"sent {self.sent}, retried {self.retried}, failed {self.failed}"


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s after the first failure, doubling with each further one, at most an hour."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def deliver_due(now: dt.datetime | None = None, batch: int = 50) -> DeliveryReport:
    """Send up to `batch` due messages and commit each outcome; safe to run in several workers at once.

    Uses a session of its own, so call it outside an open write transaction (SQLite would wait for it).
    """
    config = current_app.config
    mailer = open_mailer(config)  # an unknown backend fails here, before anything is claimed
    now = _naive_utc(now) if now is not None else utcnow()
    started = time.monotonic()
    counts = {"sent": 0, "retried": 0, "failed": 0}
    # Its own session: the claim and each outcome are committed, and a caller's work must never be.
    with Session(db.engine) as session:
        lease_end = now + LEASE
        remaining = _load(session, _claim(session, now, batch, lease_end))
        try:
            while remaining and time.monotonic() - started < SEND_BUDGET.total_seconds():
                clock = now + dt.timedelta(seconds=time.monotonic() - started)
                if lease_end - clock <= LEASE - RENEW_AFTER:
                    remaining, lease_end = _renew(session, remaining, lease_end, clock + LEASE)
                    if not remaining:
                        break
                envelope = remaining.pop(0)
                try:
                    _send(envelope, mailer, config, clock)
                # One broken message (or a bug in building it) must be retried and given up in the end,
                # not stop the worker and block every message queued behind it.
                except Exception as exc:
                    outcome = _record_failure(session, envelope, describe_error(exc), clock,
                                              config["HELPCENTER_OUTBOX_MAX_ATTEMPTS"])
                else:
                    _record_sent(session, envelope, clock)
                    outcome = "sent"
                counts[outcome] += 1
        finally:
            mailer.close()
            if remaining:
                _release(session, [envelope.id for envelope in remaining])
    return DeliveryReport(**counts)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _due(now: dt.datetime) -> tuple:
    return (OutboxMessage.next_attempt_at <= now, OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def _claim(session: Session, now: dt.datetime, batch: int, lease_end: dt.datetime) -> list[int]:
    """Lease up to `batch` due rows to this worker and commit; rows another worker holds are left alone."""
    candidates = (select(OutboxMessage.id).where(*_due(now))
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
    if session.get_bind().dialect.name == "sqlite":
        # No row locks in SQLite: each row is claimed by a conditional UPDATE that only one worker can win.
        claimed = []
        for message_id in session.scalars(candidates).all():
            result = session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
                                     .values(claimed_until=lease_end), execution_options=_NO_SYNC)
            if result.rowcount == 1:
                claimed.append(message_id)
    else:
        claimed = list(session.scalars(candidates.with_for_update(skip_locked=True)).all())
        if claimed:
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                            .values(claimed_until=lease_end), execution_options=_NO_SYNC)
    session.commit()
    return claimed


def _renew(session: Session, envelopes: list[Envelope], lease_end: dt.datetime,
           new_end: dt.datetime) -> tuple[list[Envelope], dt.datetime]:
    """Extend this worker's lease on the rows it still holds; drop rows whose lease it lost meanwhile."""
    ids = [envelope.id for envelope in envelopes]
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_until == lease_end)
                    .values(claimed_until=new_end), execution_options=_NO_SYNC)
    kept = set(session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids),
                                                               OutboxMessage.claimed_until == new_end)).all())
    session.commit()
    if len(kept) < len(ids):
        # Paused past its lease (e.g. a stopped process): another worker owns those rows now.
        log.warning("outbox: lease on %s messages ran out before they were sent", len(ids) - len(kept))
    return [envelope for envelope in envelopes if envelope.id in kept], new_end


def _load(session: Session, ids: list[int]) -> list[Envelope]:
    if not ids:
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
    envelopes = [Envelope(id=row.id, kind=row.kind, recipient=row.recipient, subject=row.subject, body=row.body,
                          headers=json.loads(row.headers) if row.headers else {}, created_at=row.created_at,
                          attempts=row.attempts) for row in rows]
    session.rollback()  # end the read transaction; nothing was written
    return envelopes


def _send(envelope: Envelope, mailer, config, clock: dt.datetime) -> None:
    if envelope.kind == KIND_EMAIL:
        sender = config["HELPCENTER_MAIL_FROM"]
        mailer.send(build_email(envelope, sender, clock), parseaddr(sender)[1], envelope.recipient)
    else:
        post_webhook(envelope)


def _record_sent(session: Session, envelope: Envelope, clock: dt.datetime) -> None:
    # Committed at once: a crash from here on must not send the message a second time.
    session.execute(update(OutboxMessage).where(OutboxMessage.id == envelope.id)
                    .values(sent_at=clock, next_attempt_at=None, claimed_until=None),
                    execution_options=_NO_SYNC)
    session.commit()
    log.info("outbox message %s sent (%s, after %s failed attempts)", envelope.id, envelope.kind, envelope.attempts)


def _record_failure(session: Session, envelope: Envelope, error: str, clock: dt.datetime, max_attempts: int) -> str:
    attempts = envelope.attempts + 1
    values = {"attempts": attempts, "claimed_until": None, "last_error": error[:ERROR_LENGTH]}
    if attempts >= max_attempts:
        values.update(failed_at=clock, next_attempt_at=None)
        outcome = "failed"
        log.error("outbox message %s given up after %s attempts: %s", envelope.id, attempts, error)
    else:
        values.update(next_attempt_at=clock + retry_delay(attempts))
        outcome = "retried"
        log.warning("outbox message %s attempt %s failed, retrying at %s: %s", envelope.id, attempts,
                    values["next_attempt_at"].isoformat(timespec="seconds"), error)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == envelope.id).values(**values),
                    execution_options=_NO_SYNC)
    session.commit()
    return outcome


def _release(session: Session, ids: list[int]) -> None:
    """Give back rows this round did not get to, so the next round need not wait for the lease."""
    try:
        session.rollback()
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
                        .values(claimed_until=None), execution_options=_NO_SYNC)
        session.commit()
    except SQLAlchemyError as exc:
        # Their lease runs out on its own; the next round after that picks them up.
        log.warning("outbox: could not release %s claimed messages (%s)", len(ids), type(exc).__name__)
