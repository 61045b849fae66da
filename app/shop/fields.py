"""Field parsing shared by the shop import and the carrier webhooks: shop time, and record messages."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import ValidationError

SHOP_TIMEZONE = ZoneInfo("Europe/Berlin")
# Times a shop or a carrier can mean: a year 0, 10000 or an epoch of 1e20 is a broken sender, not a scan.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


class RecordError(ValueError):
    """A record that cannot be imported; the message says why."""


def to_utc(value) -> dt.datetime:
    """ISO 8601 text → naive UTC; a time without offset is shop time (Europe/Berlin).

    ValueError (with an English reason) for anything else: numbers, far-off years, bad offsets.
    """
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time")
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHOP_TIMEZONE)
    try:
        utc = parsed.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        # 0001-01-01T00:00+01:00 and 9999-12-31T23:59-01:00 fall off the calendar when converted.
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError("must be an ISO 8601 time between the years 2000 and 2099")
    return utc.replace(tzinfo=None)


def parse_time(value, name: str) -> dt.datetime:
    """to_utc with RecordError naming the field."""
    try:
        return to_utc(value)
    except ValueError as exc:
        raise RecordError(f"'{name}' {exc}") from None


def record_error(exc: ValidationError) -> RecordError:
    """pydantic's first complaint about an import record as one line naming the place and field.

    ("shipments", 0, "events", 1, "time") → "shipments[0].events[1]: 'time' must be an ISO 8601 time".
    """
    error = exc.errors(include_url=False)[0]
    location = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
    message = _record_message(error)
    if not location:
        return RecordError(message)
    *where, name = location
    if isinstance(name, int):
        # The item itself is wrong (not a field of it): "items[2] must be an object".
        return RecordError(f"{_path(where + [name])} {message}")
    prefix = f"{_path(where)}: " if where else ""
    return RecordError(f"{prefix}'{name}' {message}")


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _record_message(error: dict) -> str:
    kind = error["type"]
    if kind.startswith("hc_"):
        return error["msg"]
    if kind == "missing":
        return "is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be an object"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_short":
        return "must not be empty"
    if kind == "too_long":
        return f"must have at most {(error.get('ctx') or {}).get('max_length')} entries"
    if kind == "literal_error":
        return f"must be one of {(error.get('ctx') or {}).get('expected')}"
    if kind == "value_error" and error.get("ctx", {}).get("error") is not None:
        return str(error["ctx"]["error"])
    return "is not valid"


def local_date(utc_naive: dt.datetime) -> dt.date:
    """The shop's calendar day of a stored (naive UTC) time."""
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).date()


def shop_today() -> dt.date:
    return dt.datetime.now(SHOP_TIMEZONE).date()
