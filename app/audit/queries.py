"""Reading the audit trail: the filter the /admin pages and the CSV export share, pages, CSV rows."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.csv_export import csv_lines as _csv_lines
from app.extensions import db

PAGE_SIZE = 50
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class TrailFilter:
    """Who (actor label: e-mail, "cli", "system"), kind of object, action, object reference, Berlin days."""

    person: str | None = None
    object_type: str | None = None
    action: str | None = None
    object_ref: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None


@dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def _utc_start_of(day: dt.date) -> dt.datetime:
    """Midnight in Berlin as the naive UTC moment the table stores."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=BERLIN)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _filtered(query, given: TrailFilter):
    if given.person:
        query = query.where(func.lower(AuditEvent.actor_label) == given.person.lower())
    if given.object_type:
        query = query.where(AuditEvent.object_type == given.object_type)
    if given.action:
        query = query.where(AuditEvent.action == given.action)
    if given.object_ref:
        query = query.where(func.lower(AuditEvent.object_ref) == given.object_ref.lower())
    if given.first_day:
        query = query.where(AuditEvent.created_at >= _utc_start_of(given.first_day))
    if given.last_day:
        query = query.where(AuditEvent.created_at < _utc_start_of(given.last_day + dt.timedelta(days=1)))
    return query


def _newest_first(query):
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def trail_page(given: TrailFilter, page: int = 1) -> TrailPage:
    """One page of the filtered trail, newest first; a page past the end shows the last one."""
    total = db.session.scalar(_filtered(select(func.count()).select_from(AuditEvent), given))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(db.session.scalars(_newest_first(_filtered(select(AuditEvent), given))
                                     .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return TrailPage(events=events, page=page, pages=pages, total=total)


def known_actions() -> list[str]:
    """The actions the trail holds, for the filter's choice."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def events_about(object_type: str, object_ref: str, limit: int = 20) -> list[AuditEvent]:
    return list(db.session.scalars(_newest_first(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_ref == object_ref)).limit(limit)))


def berlin_time(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


def csv_lines(given: TrailFilter, header: list[str], batch: int = 500) -> Iterator[str]:
    """The filtered trail as CSV for German Excel (app/core/csv_export.py), newest first, a chunk at a time."""
    def rows():
        # Read while the response streams (a generator): the query runs inside stream_with_context.
        query = _newest_first(_filtered(select(AuditEvent), given)).execution_options(yield_per=batch)
        for event in db.session.scalars(query):
            yield (berlin_time(event.created_at), event.actor_label, event.action, event.object_type,
                   event.object_ref, event.detail)

    return _csv_lines(header, rows(), batch)
