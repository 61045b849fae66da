"""Retention: what the help center keeps how long, and the purge that enforces it (DSGVO Art. 5(1)(e)).

Every period is read from one place, `periods()`, by the purge *and* by the pages that promise it (the
contact form's consent note, the Datenschutz page), so the promise and the deletion cannot drift apart.

The purge is a set of conditional UPDATE/DELETE statements: running it again, or twice at the same
time on two machines, finds nothing more to do. An upload's bytes live in its row (revision 0020) and go
with it. Files left from before are removed after the rows that name them are gone; a file without a row
is swept later, on every node that runs the purge.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from app.audit.models import AuditEvent
from app.cases.attachments import ATTACHMENT_FOLDER
from app.cases.models import Case, CaseAttachment, CaseEvent, CaseMessage, ContactDeflection
from app.core.uploads import remove_legacy_files, upload_dir
from app.extensions import db
from app.insights.models import SearchLog
from app.outbox.models import OutboxMessage
from app.records import stored_upload_tables
from app.returns.models import FINAL_STATUSES, ReturnItem, ReturnPhoto, ReturnRequest
from app.returns.photos import PHOTO_FOLDER

log = logging.getLogger("app.privacy")

ERASED = "[gelöscht]"
# A file younger than this may belong to an upload whose transaction has not committed yet.
ORPHAN_GRACE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RetentionPeriods:
    """Days after which data goes; 0 keeps it (the purge skips that kind)."""

    phone_days: int           # callback numbers, counted from the case's resolution (the contact form's promise)
    search_log_days: int      # search log entries
    trail_days: int           # self-service trails on cases and opened suggestions, counted from the visit
    attachment_days: int      # contact attachments and return photos, counted from the case's/return's end
    outbox_days: int          # addresses and text of sent or given-up e-mails and webhooks
    case_days: int            # resolved cases as a whole, counted from their resolution
    audit_days: int = 730     # the staff audit trail (who did what, when)


ENV_NAMES = {
    "phone_days": "HELPCENTER_RETENTION_PHONE_DAYS",
    "search_log_days": "HELPCENTER_RETENTION_SEARCH_LOG_DAYS",
    "trail_days": "HELPCENTER_RETENTION_TRAIL_DAYS",
    "attachment_days": "HELPCENTER_RETENTION_ATTACHMENT_DAYS",
    "outbox_days": "HELPCENTER_RETENTION_OUTBOX_DAYS",
    "case_days": "HELPCENTER_RETENTION_CASE_DAYS",
    "audit_days": "HELPCENTER_RETENTION_AUDIT_DAYS",
}


def apply_phone_override(routing, config):
    """The routing file's phone_retention_days, replaced by HELPCENTER_RETENTION_PHONE_DAYS when that is set."""
    days = config.get("HELPCENTER_RETENTION_PHONE_DAYS")
    return routing if days is None else replace(routing, phone_retention_days=days)


def periods(app=None) -> RetentionPeriods:
    """The configured periods; the phone period is the one the contact form shows."""
    app = app or current_app
    config = app.config
    return RetentionPeriods(
        phone_days=app.extensions["helpcenter.routing"].phone_retention_days,
        **{name: config[env] for name, env in ENV_NAMES.items() if name != "phone_days"},
    )


@dataclass(frozen=True)
class PurgeReport:
    phone_numbers: int = 0
    search_logs: int = 0
    trails: int = 0
    suggestions: int = 0
    attachments: int = 0
    photos: int = 0
    outbox_messages: int = 0
    cases: int = 0
    orphan_files: int = 0
    audit_events: int = 0
    sso_tokens: int = 0

    @property
    def total(self) -> int:
        return sum(self.__dict__.values())

    def summary(self) -> str:
        return " ".join(f"{name}={value}" for name, value in self.__dict__.items())


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def purge(now: dt.datetime, retention: RetentionPeriods) -> PurgeReport:
    """Remove everything older than its period, commit, then delete the files of removed rows."""
    now = _naive_utc(now)

    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    counts: dict[str, int] = {}
    files: list[tuple[str, str]] = []
    if retention.phone_days:
        counts["phone_numbers"] = db.session.execute(
            update(Case).where(Case.contact_phone.is_not(None), Case.status == "resolved",
                               Case.resolved_at < before(retention.phone_days))
            .values(contact_phone=None).execution_options(synchronize_session=False)).rowcount
    if retention.search_log_days:
        counts["search_logs"] = db.session.execute(
            delete(SearchLog).where(SearchLog.created_at < before(retention.search_log_days))).rowcount
    if retention.trail_days:
        counts["trails"] = db.session.execute(
            update(Case).where(Case.trail.is_not(None), Case.created_at < before(retention.trail_days))
            .values(trail=None).execution_options(synchronize_session=False)).rowcount
        counts["suggestions"] = db.session.execute(
            delete(ContactDeflection).where(ContactDeflection.opened_at < before(retention.trail_days))).rowcount
    if retention.attachment_days:
        cutoff = before(retention.attachment_days)
        ended_cases = select(Case.id).where(Case.status == "resolved", Case.resolved_at < cutoff)
        counts["attachments"], names = _delete_uploads(CaseAttachment, CaseAttachment.case_id.in_(ended_cases))
        files += [(ATTACHMENT_FOLDER, name) for name in names]
        ended_returns = (select(ReturnItem.id).join(ReturnRequest, ReturnItem.return_id == ReturnRequest.id)
                         .where(ReturnRequest.status.in_(FINAL_STATUSES), ReturnRequest.updated_at < cutoff))
        counts["photos"], names = _delete_uploads(ReturnPhoto, ReturnPhoto.item_id.in_(ended_returns))
        files += [(PHOTO_FOLDER, name) for name in names]
    if retention.outbox_days:
        cutoff = before(retention.outbox_days)
        counts["outbox_messages"] = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.recipient != ERASED,
                   or_(OutboxMessage.sent_at < cutoff, OutboxMessage.failed_at < cutoff))
            .values(recipient=ERASED, subject=None, body="", payload=None, headers=None, last_error=None)
            .execution_options(synchronize_session=False)).rowcount
    if retention.case_days:
        counts["cases"], names = delete_cases(and_(Case.status == "resolved",
                                                   Case.resolved_at < before(retention.case_days)))
        files += [(ATTACHMENT_FOLDER, name) for name in names]
    if retention.audit_days:
        counts["audit_events"] = db.session.execute(
            delete(AuditEvent).where(AuditEvent.created_at < before(retention.audit_days))).rowcount
    # A used single-sign-on token id is remembered only until its token could not be accepted any more
    # (its expiry plus the clock skew the hand-off allows): the hand-off's own rule, not a second one.
    from app.sso.jwt_handoff import purge_used_token_ids

    counts["sso_tokens"] = purge_used_token_ids(now)
    db.session.commit()
    remove_legacy_files(files)
    counts["orphan_files"] = sweep_orphan_files()
    report = PurgeReport(**counts)
    # Counts only: what was removed is personal data, so it is not written to the log.
    log.info("privacy purge: %s", report.summary())
    return report


def _delete_uploads(model, condition) -> tuple[int, list[str]]:
    """Delete upload rows; returns how many and the file names this run (not a concurrent one) removed."""
    names = list(db.session.scalars(delete(model).where(condition).returning(model.storage_name)
                                    .execution_options(synchronize_session=False)))
    return len(names), names


def delete_cases(condition) -> tuple[int, list[str]]:
    """Delete the cases matching condition with their trail, chat and attachments; returns count and file names."""
    ids = select(Case.id).where(condition).scalar_subquery()
    _, names = _delete_uploads(CaseAttachment, CaseAttachment.case_id.in_(ids))
    db.session.execute(update(ReturnRequest).where(ReturnRequest.complaint_case_id.in_(ids))
                       .values(complaint_case_id=None).execution_options(synchronize_session=False))
    for child in (CaseMessage, CaseEvent):
        db.session.execute(delete(child).where(child.case_id.in_(ids)).execution_options(synchronize_session=False))
    count = db.session.execute(delete(Case).where(condition).execution_options(synchronize_session=False)).rowcount
    return count, names


def sweep_orphan_files(grace_seconds: int = ORPHAN_GRACE_SECONDS) -> int:
    """Remove files from before revision 0020 that no row needs any more: the row is gone (a purge that stopped
    after its commit, an erasure run on another node) or holds the bytes itself (an import that stopped)."""
    removed = 0
    for folder, model in stored_upload_tables():
        directory: Path = upload_dir(folder)
        if not directory.is_dir():
            continue  # a node installed after revision 0020 never had any
        known = set(db.session.scalars(select(model.storage_name).where(model.data.is_(None))))
        db.session.rollback()
        oldest = time.time() - grace_seconds
        for path in directory.iterdir():
            if path.is_file() and path.name not in known and path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
