"""Queue e-mails and webhooks in the caller's transaction: flushed here, committed by the caller."""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse

from sqlalchemy import func, insert, select

from app.core.emails import InvalidEmail, ascii_email
from app.extensions import db
from app.outbox.models import (DEDUPE_KEY_LENGTH, KIND_EMAIL, KIND_WEBHOOK, RECIPIENT_LENGTH, SUBJECT_LENGTH,
                               OutboxMessage)
from app.privacy.redaction import mask_card_numbers

_HEADER_BREAKS = ("\r", "\n", "\x00")


THREAD_HEADERS = ("Message-ID", "In-Reply-To", "References", "Reply-To")


def queue_email(to: str, subject: str, body: str, dedupe_key: str | None = None,
                personal: bool = False, thread: dict[str, str] | None = None) -> OutboxMessage:
    """Queue a plain-text e-mail; raise ValueError for a malformed address or a header injection attempt.

    personal: a person's answer (an agent's reply), not an automatic notice — sent without Auto-Submitted,
    so that the customer's mail program treats it as a letter (and an out-of-office may answer it).
    thread: Message-ID, In-Reply-To, References and Reply-To of a mail about a case (app/cases/mail_thread.py)."""
    _refuse_header_breaks(to=to, subject=subject)
    extra = {"Auto-Submitted": "no"} if personal else {}
    for name, value in (thread or {}).items():
        if name not in THREAD_HEADERS:
            raise ValueError(f"{name} is not a thread header")
        _refuse_header_breaks(**{name: value})
        extra[name] = value
    try:
        recipient = ascii_email(to)
    except InvalidEmail as exc:
        raise ValueError("not a valid e-mail address") from exc
    subject = mask_card_numbers(subject.strip())
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[:SUBJECT_LENGTH - 1] + "…"
    return _add(kind=KIND_EMAIL, recipient=recipient, subject=subject, body=mask_card_numbers(body),
                headers=json.dumps(extra) if extra else None, dedupe_key=dedupe_key)


def queue_webhook(url: str, payload: dict, secret: str, dedupe_key: str | None = None) -> OutboxMessage:
    """Queue a JSON POST signed with `X-Signature: sha256=<HMAC-SHA256 of the body>`."""
    _refuse_header_breaks(url=url)
    parts = urllib.parse.urlsplit(url)
    # urllib would also open file:// and ftp:// URLs; a webhook is HTTP(S) only.
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > RECIPIENT_LENGTH:
        raise ValueError("a webhook URL must be an absolute http(s) URL")
    if not isinstance(payload, dict):
        raise ValueError("a webhook payload must be a JSON object")
    if not secret:
        raise ValueError("a webhook needs a signing secret")
    try:
        body = json.dumps(_mask_strings(payload), separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError("a webhook payload must be plain JSON data") from exc
    signature = hmac.new(secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Signature": f"sha256={signature}"}
    return _add(kind=KIND_WEBHOOK, recipient=url, subject=None, body=body, payload=body,
                headers=json.dumps(headers), dedupe_key=dedupe_key)


def outbox_counts() -> dict[str, int]:
    """How many messages wait, went out, and were given up."""
    total, sent, failed = db.session.execute(
        select(func.count(), func.count(OutboxMessage.sent_at), func.count(OutboxMessage.failed_at))).one()
    return {"queued": total - sent - failed, "sent": sent, "failed": failed}


def _refuse_header_breaks(**fields: str) -> None:
    for name, value in fields.items():
        if not isinstance(value, str):
            raise ValueError(f"{name} must be text")
        if any(char in value for char in _HEADER_BREAKS):
            raise ValueError(f"line breaks are not allowed in {name}")


def _mask_strings(value):
    # Mask card numbers in string values only: masking the serialized JSON could turn a long
    # numeric id into invalid JSON.
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {key: _mask_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_strings(item) for item in value]
    return value


def _add(dedupe_key: str | None, **values) -> OutboxMessage:
    if dedupe_key is None:
        message = OutboxMessage(**values)
        db.session.add(message)
        db.session.flush()
        return message
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_LENGTH:
        raise ValueError(f"a dedupe key has 1 to {DEDUPE_KEY_LENGTH} characters")
    db.session.flush()
    # ON CONFLICT DO NOTHING instead of catching IntegrityError: a failed INSERT would spoil the
    # caller's transaction on PostgreSQL, and savepoints are unreliable with pysqlite.
    db.session.execute(_insert_ignoring_duplicates().values(dedupe_key=dedupe_key, **values))
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).one()


def _insert_ignoring_duplicates():
    table = OutboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return insert(table)  # other databases: a duplicate key raises IntegrityError
