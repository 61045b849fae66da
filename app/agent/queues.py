"""The queues as agents see them: what waits, the oldest, and how much time is left before each SLA."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.cases.availability import to_utc_naive
from app.cases.models import Case
from app.cases.routing import CHANNELS, PRIORITIES, RoutingConfig
from app.extensions import db

OPEN_STATUSES = ("new", "open")


@dataclass(frozen=True)
class SlaTimer:
    # "scheduled" (a callback before its slot), "due" (time left), "overdue" (past due, no answer yet),
    # "met" / "missed" (answered in/after time)
    state: str
    minutes: int  # minutes left (due, scheduled) or past (overdue/missed); 0 for met
    due_at: dt.datetime | None = None  # naive UTC, as stored
    slot_start: dt.datetime | None = None  # a callback's booked slot (naive UTC); None for other channels
    slot_end: dt.datetime | None = None
    before_slot: bool = False  # a callback whose slot has not started: it cannot be done yet

    @property
    def late(self) -> bool:
        return self.state in ("overdue", "missed")


@dataclass(frozen=True)
class QueueSummary:
    slug: str
    name: str
    channels: tuple[str, ...]
    sla_minutes: int
    count: int
    unclaimed: int
    overdue: int
    oldest_created_at: dt.datetime | None
    next_due_at: dt.datetime | None


def due_at(case: Case, config: RoutingConfig) -> dt.datetime:
    """When the first answer is due: a callback at its slot's end plus the grace (computed from the slot, so
    cases booked before this rule count the same), everything else by its queue's target."""
    if case.channel == "phone" and case.callback_slot is not None:
        return config.callback_due(case.callback_slot)
    return case.sla_due_at


def callback_window(case: Case, config: RoutingConfig) -> tuple[dt.datetime, dt.datetime] | None:
    """The booked slot as (start, end), naive UTC; None when the case is not a callback."""
    if case.channel != "phone" or case.callback_slot is None:
        return None
    return case.callback_slot, case.callback_slot + dt.timedelta(minutes=config.slot_minutes)


def sla_timer(case: Case, now: dt.datetime, config: RoutingConfig) -> SlaTimer:
    """Time left to the first answer, or by how much it is (or was) late; a callback waits for its slot."""
    moment = to_utc_naive(now)
    due = due_at(case, config)
    window = callback_window(case, config)
    start, end = window if window is not None else (None, None)
    early = start is not None and moment < start
    if case.first_response_at is not None:
        late = case.first_response_at - due
        if late.total_seconds() > 0:
            return SlaTimer("missed", int(late.total_seconds() // 60), due, start, end, early)
        return SlaTimer("met", 0, due, start, end, early)
    if early:
        return SlaTimer("scheduled", int((due - moment).total_seconds() // 60), due, start, end, early)
    left = (due - moment).total_seconds()
    if left >= 0:
        return SlaTimer("due", int(left // 60), due, start, end)
    return SlaTimer("overdue", int(-left // 60), due, start, end)


def queue_channels(config: RoutingConfig) -> dict[str, tuple[str, ...]]:
    """Which channels can land in each queue, read from the routing rules (no channel condition: all)."""
    channels: dict[str, set[str]] = {slug: set() for slug in config.queues}
    for conditions, queue in config.rules:
        channels[queue].update(conditions.channels or CHANNELS)
    return {slug: tuple(c for c in CHANNELS if c in found) for slug, found in channels.items()}


def open_cases(queue: str | None = None, holder_id: int | None = None) -> list[Case]:
    query = select(Case).where(Case.status.in_(OPEN_STATUSES)).options(selectinload(Case.order),
                                                                       selectinload(Case.assigned_to))
    if queue is not None:
        query = query.where(Case.queue == queue)
    if holder_id is not None:
        query = query.where(Case.assigned_to_id == holder_id)
    return list(db.session.scalars(query))


def work_order(case: Case) -> tuple:
    """Callbacks by their booked slot (they are appointments), then the rest by priority and SLA."""
    if case.channel == "phone" and case.callback_slot is not None:
        return (0, case.callback_slot, 0, case.created_at, case.id)
    return (1, dt.datetime.min, -PRIORITIES.index(case.priority), case.sla_due_at, case.id)


def cases_in_queue(queue: str) -> list[Case]:
    """The open cases of one queue in the order agents should take them."""
    return sorted(open_cases(queue), key=work_order)


def held_by(agent) -> list[Case]:
    """The open cases this agent holds, across the queues, in working order."""
    return sorted(open_cases(holder_id=agent.id), key=work_order)


def callbacks() -> list[Case]:
    """Every open callback across the queues, by its booked slot."""
    return sorted((c for c in open_cases() if c.channel == "phone"), key=work_order)


def _summary(slug: str, config: RoutingConfig, channels: tuple[str, ...], cases: list[Case],
             now: dt.datetime) -> QueueSummary:
    queue = config.queues[slug]
    waiting = [c for c in cases if c.first_response_at is None]
    return QueueSummary(
        slug=slug, name=queue.name, channels=channels, sla_minutes=queue.sla_minutes,
        count=len(cases), unclaimed=sum(1 for c in cases if c.assigned_to_id is None),
        overdue=sum(1 for c in waiting if sla_timer(c, now, config).state == "overdue"),
        oldest_created_at=min((c.created_at for c in cases), default=None),
        next_due_at=min((due_at(c, config) for c in waiting), default=None),
    )


def summaries(config: RoutingConfig, now: dt.datetime) -> list[QueueSummary]:
    """Every queue of the routing file with its open cases counted, in the file's order."""
    cases = open_cases()
    channels = queue_channels(config)
    return [_summary(slug, config, channels[slug], [c for c in cases if c.queue == slug], now)
            for slug in config.queues]


def by_channel(config: RoutingConfig, now: dt.datetime) -> dict[str, list[QueueSummary]]:
    """Per channel the queues it is routed to, each counting only that channel's open cases."""
    cases = open_cases()
    channels = queue_channels(config)
    return {channel: [_summary(slug, config, (channel,),
                               [c for c in cases if c.queue == slug and c.channel == channel], now)
                      for slug in config.queues if channel in channels[slug]]
            for channel in CHANNELS}


def queue_name(slug: str) -> str:
    """The queue's name from the routing file, as agents read it (a queue removed since keeps its slug)."""
    queue = current_app.extensions["helpcenter.routing"].queues.get(slug)
    return queue.name if queue is not None else slug
