"""Field parsing shared by the shop import and the carrier webhook."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHOP_TIMEZONE = ZoneInfo("Europe/Berlin")


class RecordError(ValueError):
    """A record that cannot be imported; the message says why."""


def parse_time(value, name: str) -> dt.datetime:
    """ISO 8601 time → naive UTC; a time without offset is shop time (Europe/Berlin)."""
    if not isinstance(value, str):
        raise RecordError(f"'{name}' must be an ISO 8601 time")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"'{name}' must be an ISO 8601 time, got {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHOP_TIMEZONE)
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def local_date(utc_naive: dt.datetime) -> dt.date:
    """The shop's calendar day of a stored (naive UTC) time."""
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).date()


def shop_today() -> dt.date:
    return dt.datetime.now(SHOP_TIMEZONE).date()
