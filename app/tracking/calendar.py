"""German working days: Monday to Friday without the public holidays of the shop's federal state."""
from __future__ import annotations

import datetime as dt
import functools

import holidays

FEDERAL_STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH")


@functools.lru_cache(maxsize=64)
def public_holidays(state: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Germany(subdiv=state, years=year).keys())


def is_working_day(day: dt.date, state: str) -> bool:
    return day.weekday() < 5 and day not in public_holidays(state, day.year)


def add_working_days(start: dt.date, count: int, state: str) -> dt.date:
    """The working day `count` working days after start (count 0: start itself or the next working day)."""
    day = start
    while not is_working_day(day, state):
        day += dt.timedelta(days=1)
    for _ in range(count):
        day += dt.timedelta(days=1)
        while not is_working_day(day, state):
            day += dt.timedelta(days=1)
    return day


def working_days_between(start: dt.date, end: dt.date, state: str) -> int:
    """How many working days lie after start up to and including end (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, state):
            count += 1
    return count
