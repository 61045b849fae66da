"""One way to call a carrier's HTTP API: timeouts, and every failure turned into a CarrierError subclass."""
from __future__ import annotations

import datetime as dt
import email.utils
import logging

import requests

from app.carriers.base import CarrierNotAuthorised, CarrierRateLimited, CarrierRefused, CarrierUnavailable

log = logging.getLogger(__name__)

# Connect, read: a carrier that does not answer within these holds a worker, not a customer.
DEFAULT_TIMEOUT = (5.0, 20.0)
# A Retry-After beyond this is treated as this: the poller comes back, it does not sleep for a day.
MAX_RETRY_AFTER = 3600.0


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def call(session: requests.Session, method: str, url: str, *, carrier: str,
         timeout: tuple[float, float] = DEFAULT_TIMEOUT, refused_statuses: tuple[int, ...] = (400, 404, 409, 422),
         **kwargs) -> requests.Response:
    """Send one request; return the response for 2xx, raise the matching CarrierError otherwise.

    refused_statuses: answers that mean "this request will never succeed" (CarrierRefused, with the body's text
    for the agent); 401/403 are CarrierNotAuthorised, 429 CarrierRateLimited, 5xx and network failures
    CarrierUnavailable. Credentials and bodies are never logged."""
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise CarrierUnavailable(f"{carrier}: no answer within {timeout[1]:.0f} s") from exc
    except requests.RequestException as exc:
        raise CarrierUnavailable(f"{carrier}: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = _short_detail(response)
    if status == 429:
        raise CarrierRateLimited(f"{carrier}: rate limit (429)",
                                 retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise CarrierNotAuthorised(f"{carrier}: credentials refused ({status})")
    if status in refused_statuses:
        raise CarrierRefused(f"{carrier}: refused ({status}) {detail}".strip(), status=status)
    raise CarrierUnavailable(f"{carrier}: answered {status}",
                             retry_after=retry_after_seconds(response.headers.get("Retry-After")))


def json_body(response: requests.Response, carrier: str):
    """The answer's JSON; an answer that is not JSON (a proxy's error page) is CarrierUnavailable."""
    try:
        return response.json()
    except ValueError:
        raise CarrierUnavailable(f"{carrier}: answer is not JSON") from None


def _short_detail(response: requests.Response) -> str:
    """The carrier's own error words (problem+json title/detail), short, for logs and agents."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("title", "detail", "message") if isinstance(body.get(k), (str, int))]
    return " – ".join(parts)[:300]
