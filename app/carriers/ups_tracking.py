"""UPS Track API: the scans of one UPS tracking number, polled (tracking = "ups").

Built against UPS's published OpenAPI documents (github.com/UPS-API/api-documentation, Tracking.yaml "UPS
TrackService API" and OAuthClientCredentials.yaml): a bearer token from POST {base}/security/v1/oauth/token
(client id and secret as HTTP Basic, grant_type=client_credentials; answer {"access_token", "expires_in", …}),
then GET {base}/api/track/v1/details/{inquiryNumber}?locale=de_DE with the headers transId and transactionSrc.
The answer is {"trackResponse": {"shipment": [{"package": [{"trackingNumber", "activity": [{"date": YYYYMMDD,
"time": HHMMSS, "gmtDate", "gmtTime", "gmtOffset", "location": {"address": {"city", …}}, "status": {"type",
"code", "description"}}]}]}]}}, most recent activity first; errors are {"response": {"errors": [{"code",
"message"}]}}, 404 for a number UPS does not know.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Mapping
from urllib.parse import quote

import requests

from app.carriers.base import CarrierNotAuthorised, CarrierRefused, CarrierScan, CarrierUnavailable
from app.carriers.http import DEFAULT_TIMEOUT, call, json_body
from app.carriers.registry import register_tracking
from app.config import ConfigError

NAME = "ups"
TOKEN_PATH = "/security/v1/oauth/token"
TRACK_PATH = "/api/track/v1/details/"
LOCALE = "de_DE"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")

# Status types of the Track API: M manifest (label), P pickup, I in transit, O out for delivery, D delivered,
# X exception, RS returned to shipper. An exception decides nothing by itself (scans.py): its words do.
_TYPES = {"M": "label_created", "P": "in_transit", "I": "in_transit", "O": "out_for_delivery", "D": "delivered",
          "RS": "returned"}
_OUT_FOR_DELIVERY = ("out for delivery", "in zustellung", "zustellfahrzeug", "wird heute zugestellt")
_ACCESS_POINT = ("access point",)
_FAILED = ("not available", "nicht anwesend", "nicht angetroffen", "attempt", "zustellversuch",
           "could not be delivered", "nicht zugestellt", "refused", "verweigert", "incorrect", "address", "adresse", "anschrift", "returned to",
           "zurück an")


def _clean(value, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub(" ", value).strip()
    return value[:limit] or None


def _time(activity: dict) -> dt.datetime | None:
    """GMT date and time when UPS gives them, else the local date and time read as shop time."""
    from app.shop.fields import to_utc

    def digits(value, width):
        text = re.sub(r"\D", "", value) if isinstance(value, str) else ""
        return text.zfill(width) if text and len(text) <= width else None

    gmt_date, gmt_time = digits(activity.get("gmtDate"), 8), digits(activity.get("gmtTime"), 6)
    date, clock = (gmt_date, gmt_time) if gmt_date and gmt_time else (digits(activity.get("date"), 8),
                                                                       digits(activity.get("time"), 6))
    if not date or not clock:
        return None
    text = f"{date[:4]}-{date[4:6]}-{date[6:]}T{clock[:2]}:{clock[2:4]}:{clock[4:]}"
    try:
        return to_utc(text + ("+00:00" if gmt_date and gmt_time else ""))
    except ValueError:
        return None


def _status(kind: str | None, text: str) -> str:
    words = text.casefold()
    if any(p in words for p in _ACCESS_POINT) and kind in ("I", "X", "D"):
        return "ready_for_pickup"
    if kind == "X":
        return "delivery_failed" if any(p in words for p in _FAILED) else "in_transit"
    status = _TYPES.get(kind or "", "in_transit")
    if status == "in_transit" and any(p in words for p in _OUT_FOR_DELIVERY):
        return "out_for_delivery"
    return status


def parse_track_response(body, tracking_number: str) -> list[CarrierScan]:
    """The activities of the answer's package(s) for this number as scans, oldest first; odd ones are skipped."""
    try:
        shipments = body["trackResponse"]["shipment"]
        if not isinstance(shipments, list):
            raise TypeError
    except (KeyError, TypeError):
        raise CarrierUnavailable("UPS: answer without trackResponse.shipment") from None
    packages = [p for s in shipments if isinstance(s, dict) for p in (s.get("package") or []) if isinstance(p, dict)]
    own = [p for p in packages if p.get("trackingNumber") == tracking_number] or packages
    scans = []
    for package in own:
        for activity in package.get("activity") or []:
            if not isinstance(activity, dict):
                continue
            status = activity.get("status") if isinstance(activity.get("status"), dict) else {}
            occurred, text = _time(activity), _clean(status.get("description"), 500)
            if occurred is None or text is None:
                continue
            address = (activity.get("location") or {}).get("address") if isinstance(activity.get("location"),
                                                                                   dict) else None
            location = _clean(address.get("city"), 200) if isinstance(address, dict) else None
            kind = _clean(status.get("type"), 40)
            scans.append(CarrierScan(time=occurred, status=_status(kind, text), text=text, location=location,
                                     code=kind))
    return sorted(scans, key=lambda scan: scan.time)


class UpsTracking:
    """One UPS app (client id and secret); its bearer token is kept until shortly before it expires."""

    name = NAME

    def __init__(self, base_url: str, client_id: str, client_secret: str, session: requests.Session | None = None,
                 locale: str = LOCALE, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.base = base_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.session = session or requests.Session()
        self.locale, self.timeout = locale, timeout
        self._token: str | None = None
        self._token_until = 0.0
        self._lock = threading.Lock()

    def _bearer(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() >= self._token_until:
                response = call(self.session, "POST", self.base + TOKEN_PATH, carrier="UPS", timeout=self.timeout,
                                data={"grant_type": "client_credentials"}, auth=(self.client_id, self.client_secret),
                                headers={"Accept": "application/json"})
                try:
                    body = response.json()
                    token, lifetime = body["access_token"], float(body.get("expires_in") or 3600)
                except (ValueError, KeyError, TypeError):
                    raise CarrierUnavailable("UPS: token answer without access_token") from None
                self._token, self._token_until = token, time.monotonic() + max(lifetime - 60, 0)
            return self._token

    def fetch_events(self, tracking_number: str) -> list[CarrierScan]:
        url = self.base + TRACK_PATH + quote(tracking_number, safe="")
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._bearer(renew=attempt == 2)}", "Accept": "application/json",
                       "transId": uuid.uuid4().hex, "transactionSrc": "helpcenter"}
            try:
                response = call(self.session, "GET", url, carrier="UPS", timeout=self.timeout,
                                refused_statuses=(400, 404), params={"locale": self.locale}, headers=headers)
                break
            except CarrierNotAuthorised:
                if attempt == 2:
                    raise  # a fresh token was refused too: the app's credentials or rights are wrong
            except CarrierRefused as exc:
                if exc.status == 404:
                    return []
                raise
        body = json_body(response, "UPS")
        return parse_track_response(body, tracking_number)


def build(config: Mapping) -> UpsTracking:
    client_id = config.get("HELPCENTER_UPS_TRACKING_CLIENT_ID", "")
    secret = config.get("HELPCENTER_UPS_TRACKING_CLIENT_SECRET", "")
    if not client_id or not secret:
        raise ConfigError('HELPCENTER_UPS_TRACKING_CLIENT_ID and HELPCENTER_UPS_TRACKING_CLIENT_SECRET must be set: '
                          'the returns policy file names tracking = "ups" (UPS Track API, an app on developer.ups.com)')
    return UpsTracking(config.get("HELPCENTER_UPS_TRACKING_BASE_URL") or "https://onlinetools.ups.com", client_id,
                       secret)


register_tracking(NAME, build)
