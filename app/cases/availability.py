"""When the service team is there: callback slots with capacity, chat while an agent is online."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app.cases.models import AgentPresence, Case
from app.cases.routing import RoutingConfig
from app.extensions import db
from app.shop.fields import SHOP_TIMEZONE
from app.tracking.calendar import public_holidays

# An agent's browser reports presence every 30 s; after this long without a sign we count them away.
PRESENCE_TIMEOUT = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # aware, Europe/Berlin
    end: dt.datetime
    free: int

    @property
    def key(self) -> str:
        return self.start.isoformat()


def to_utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _open_on(config: RoutingConfig, day: dt.date, state: str):
    if day in public_holidays(state, day.year):
        return None
    return config.service_hours.get(day.weekday())


def is_open(config: RoutingConfig, now: dt.datetime, state: str) -> bool:
    local = now.astimezone(SHOP_TIMEZONE)
    hours = _open_on(config, local.date(), state)
    return hours is not None and hours[0] <= local.time() < hours[1]


def next_opening(config: RoutingConfig, now: dt.datetime, state: str) -> dt.datetime | None:
    local = now.astimezone(SHOP_TIMEZONE)
    for offset in range(0, 15):
        day = local.date() + dt.timedelta(days=offset)
        hours = _open_on(config, day, state)
        if hours is None:
            continue
        opening = dt.datetime.combine(day, hours[0], SHOP_TIMEZONE)
        closing = dt.datetime.combine(day, hours[1], SHOP_TIMEZONE)
        if local < opening:
            return opening
        if local < closing:
            return local
    return None


def answer_due(config: RoutingConfig, start: dt.datetime, minutes: int, state: str) -> dt.datetime:
    """When an answer target of `minutes` ends if only service hours count (public holidays of `state` are closed).

    A request on Friday evening with a two-hour target is due on Monday morning, not on Friday night: the promise
    we make the customer must be one the team can keep. Aware in, aware (Europe/Berlin) out. Without any service
    hours in the routing file every minute counts, so a target always ends.
    """
    local = start.astimezone(SHOP_TIMEZONE)
    if not config.service_hours:
        return local + dt.timedelta(minutes=minutes)
    left = dt.timedelta(minutes=minutes)
    day = local.date()
    # Two years of days is far more than any target needs; the loop cannot run away on an odd file.
    for _ in range(730):
        hours = _open_on(config, day, state)
        if hours is not None:
            opening = dt.datetime.combine(day, hours[0], SHOP_TIMEZONE)
            closing = dt.datetime.combine(day, hours[1], SHOP_TIMEZONE)
            begin = max(opening, local)
            if begin < closing:
                if begin + left <= closing:
                    return begin + left
                left -= closing - begin
        day += dt.timedelta(days=1)
    return local + dt.timedelta(minutes=minutes)


def service_time_between(config: RoutingConfig, start: dt.datetime, end: dt.datetime, state: str) -> dt.timedelta:
    """How much of start → end fell into service hours (public holidays of `state` closed): the clock the answer
    targets run on, so a Friday-evening case answered on Monday morning took minutes, not a weekend.
    Aware or naive UTC in. Without service hours in the routing file every minute counts."""
    start, end = (m.replace(tzinfo=dt.timezone.utc) if m.tzinfo is None else m for m in (start, end))
    if end <= start:
        return dt.timedelta(0)
    if not config.service_hours:
        return end - start
    local_start, local_end = start.astimezone(SHOP_TIMEZONE), end.astimezone(SHOP_TIMEZONE)
    total = dt.timedelta(0)
    day = local_start.date()
    # A case open for longer than two years is not a service time; the loop cannot run away.
    for _ in range(731):
        if day > local_end.date():
            break
        hours = _open_on(config, day, state)
        if hours is not None:
            begin = max(dt.datetime.combine(day, hours[0], SHOP_TIMEZONE), local_start)
            finish = min(dt.datetime.combine(day, hours[1], SHOP_TIMEZONE), local_end)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def hours_by_days(config: RoutingConfig) -> list[tuple[int, int, dt.time, dt.time]]:
    """The weekly service hours as runs of weekdays with the same hours: [(0, 4, 08:00, 20:00), (5, 5, …)]."""
    runs: list[tuple[int, int, dt.time, dt.time]] = []
    for weekday in range(7):
        span = config.service_hours.get(weekday)
        if span is None:
            continue
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2:] == span:
            runs[-1] = (runs[-1][0], weekday, *span)
        else:
            runs.append((weekday, weekday, *span))
    return runs


def booked_per_slot(starts: list[dt.datetime]) -> dict[dt.datetime, int]:
    if not starts:
        return {}
    rows = db.session.execute(
        select(Case.callback_slot, func.count()).where(Case.callback_slot.in_(starts), Case.channel == "phone",
                                                       Case.status != "cancelled")
        .group_by(Case.callback_slot)
    )
    return {slot: count for slot, count in rows}


def callback_slots(config: RoutingConfig, now: dt.datetime, state: str, only_free: bool = True) -> list[Slot]:
    """Bookable slots from now + lead time for the configured days ahead, inside service hours."""
    local_now = now.astimezone(SHOP_TIMEZONE)
    earliest = local_now + dt.timedelta(minutes=config.min_lead_minutes)
    step = dt.timedelta(minutes=config.slot_minutes)
    candidates = []
    for offset in range(config.days_ahead + 1):
        day = local_now.date() + dt.timedelta(days=offset)
        hours = _open_on(config, day, state)
        if hours is None:
            continue
        start = dt.datetime.combine(day, hours[0], SHOP_TIMEZONE)
        closing = dt.datetime.combine(day, hours[1], SHOP_TIMEZONE)
        while start + step <= closing:
            if start >= earliest:
                candidates.append(start)
            start += step
    booked = booked_per_slot([to_utc_naive(s) for s in candidates])
    slots = [Slot(s, s + step, config.capacity - booked.get(to_utc_naive(s), 0)) for s in candidates]
    return [s for s in slots if s.free > 0] if only_free else slots


def find_slot(config: RoutingConfig, now: dt.datetime, state: str, value: str) -> Slot | None:
    """The slot a customer chose (ISO time), if it is still offered, whatever its free places."""
    try:
        wanted = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if wanted.tzinfo is None:
        wanted = wanted.replace(tzinfo=SHOP_TIMEZONE)
    for slot in callback_slots(config, now, state, only_free=False):
        if slot.start == wanted:
            return slot
    return None


def agents_online(now: dt.datetime) -> int:
    since = to_utc_naive(now - PRESENCE_TIMEOUT)
    return db.session.scalar(select(func.count()).select_from(AgentPresence)
                             .where(AgentPresence.status == "online", AgentPresence.last_seen_at >= since)) or 0


def chat_available(config: RoutingConfig, now: dt.datetime, state: str) -> bool:
    return is_open(config, now, state) and agents_online(now) > 0
