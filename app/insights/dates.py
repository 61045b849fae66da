"""The date range every insights view and report shares: Berlin days from ?from= to ?to= (both included)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.core.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_DAYS = 28
MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2199, 12, 31)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MESSAGES = {
    "day": _l("Bitte ein Datum im Format JJJJ-MM-TT angeben."),
    "order": _l("„Bis“ liegt vor „von“. Bitte prüfen Sie den Zeitraum."),
    "span": _l("Der Zeitraum darf höchstens %(days)d Tage lang sein.", days=MAX_DAYS),
}


def berlin_today(now: dt.datetime) -> dt.date:
    """Today in Berlin for an aware moment (or a naive one in UTC, as the tables store them)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(BERLIN).date()


def utc_start_of(day: dt.date) -> dt.datetime:
    """Midnight in Berlin as the naive UTC moment the tables store."""
    return dt.datetime.combine(day, dt.time(), tzinfo=BERLIN).astimezone(dt.timezone.utc).replace(tzinfo=None)


def berlin_day_of(moment: dt.datetime) -> dt.date:
    """The Berlin day of a stored (naive UTC) moment."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(BERLIN).date()


@dataclass(frozen=True)
class DateRange:
    """Berlin days from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """The first moment, naive UTC (compare with stored columns: start <= created_at < end)."""
        return utc_start_of(self.first)

    @property
    def end(self) -> dt.datetime:
        return utc_start_of(self.last + dt.timedelta(days=1))

    def previous(self) -> DateRange:
        """The range of the same length just before this one: what a trend compares with."""
        return DateRange(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    def each_day(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]

    def as_query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def default_range(today: dt.date) -> DateRange:
    """The last 28 days up to and including today."""
    return DateRange(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)


def _day(value, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _ISO_DAY.match(value.strip()):
        raise InvalidInput({name: MESSAGES["day"]})
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput({name: MESSAGES["day"]}) from None
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput({name: MESSAGES["day"]})
    return day


def parse_range(args, today: dt.date) -> DateRange:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD as a range; either may be left out (to: today, from: 28 days before `to`).

    Raises InvalidInput (422, one message per field) for anything else: not a day, "to" before "from",
    or more than MAX_DAYS days.
    """
    first, last = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if last is None:
        # "From" alone: 28 days from there, but not past today (a range into the future shows nothing).
        last = today if first is None else max(first, min(today, first + dt.timedelta(days=DEFAULT_DAYS - 1)))
    if first is None:
        first = last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput({"to": MESSAGES["order"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput({"to": MESSAGES["span"]})
    return DateRange(first, last)
