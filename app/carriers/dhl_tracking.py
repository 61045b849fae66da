"""DHL Shipment Tracking – Unified API: the scans of one DHL shipment number, polled (tracking = "dhl").

Built against DHL's published reference (developer.dhl.com/api-reference/shipment-tracking, OpenAPI
"dpdhl-utapi" 1.x): GET {base}/track/shipments?trackingNumber=…&service=parcel-de&language=de with the header
DHL-API-Key; the answer is {"shipments": [{"id", "service", "status", "events": [{"timestamp",
"location": {"address": {"addressLocality", …}}, "statusCode", "status", "description"}, …]}]}, newest event
first. statusCode is one of pre-transit, transit, delivered, failure, unknown; errors are problem+json
({"status", "title", "detail"}): 401 for a wrong key, 404 "No result found" for a number DHL does not know (yet:
new shipments appear after 10–30 minutes), 429 when the key's rate limit is used up.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import requests

from app.carriers.base import CarrierRefused, CarrierScan, CarrierUnavailable
from app.carriers.http import DEFAULT_TIMEOUT, call, json_body
from app.carriers.registry import register_tracking
from app.config import ConfigError

log = logging.getLogger(__name__)

NAME = "dhl"
PATH = "/track/shipments"
# The German parcel network (DHL Paket): its texts in German, as the customers read them on dhl.de.
SERVICE = "parcel-de"
LANGUAGE = "de"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")

# statusCode -> our shipment status. "unknown" says nothing: the scan keeps the status the parcel had before.
_STATUS = {"pre-transit": "label_created", "transit": "in_transit", "delivered": "delivered",
           "failure": "delivery_failed"}
# DHL's statusCode has no "out for delivery" and no "ready for pickup": its texts say it ("Die Sendung wurde in das
# Zustellfahrzeug geladen", "… liegt in der Filiale zur Abholung bereit"; English with language=en).
_OUT_FOR_DELIVERY = ("zustellfahrzeug geladen", "in zustellung", "out for delivery", "loaded onto the delivery vehicle")
_READY_FOR_PICKUP = ("zur abholung bereit", "abholbereit", "ready for pick-up", "ready for pickup",
                     "available for pick-up", "available for pickup")
# A "delivered" scan that went to the sender is a parcel back at the shop ("… an den Absender zugestellt").
_AT_SENDER = ("an den absender", "zum absender", "returned to shipper", "returned to sender")


def _clean(value, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub(" ", value).strip()
    return value[:limit] or None


def _status(code: str | None, text: str, before: str) -> str:
    words = text.casefold()
    status = _STATUS.get(code or "", before)
    if status == "in_transit" and any(p in words for p in _READY_FOR_PICKUP):
        return "ready_for_pickup"
    if status == "in_transit" and any(p in words for p in _OUT_FOR_DELIVERY):
        return "out_for_delivery"
    if status == "delivered" and any(p in words for p in _AT_SENDER):
        return "returned"
    return status


def parse_shipments(body, tracking_number: str) -> list[CarrierScan]:
    """The scans of the answer's shipment(s) for this number, oldest first; odd events are skipped, not fatal."""
    from app.shop.fields import to_utc

    if not isinstance(body, dict) or not isinstance(body.get("shipments"), list):
        raise CarrierUnavailable("DHL: answer without a shipments list")
    shipments = [s for s in body["shipments"] if isinstance(s, dict)]
    # Without `service` DHL may add other divisions' shipments; the one with our number is ours.
    own = [s for s in shipments if str(s.get("id")) == tracking_number] or shipments
    raw = []
    for shipment in own:
        for event in shipment.get("events") or []:
            if not isinstance(event, dict):
                continue
            try:
                occurred = to_utc(event.get("timestamp"))
            except ValueError:
                log.info("DHL: event without a readable timestamp skipped")
                continue
            text = _clean(event.get("description"), 500) or _clean(event.get("status"), 500)
            if text is None:
                continue
            address = (event.get("location") or {}).get("address") if isinstance(event.get("location"), dict) else None
            location = _clean(address.get("addressLocality"), 200) if isinstance(address, dict) else None
            code = _clean(event.get("statusCode"), 40)
            raw.append((occurred, text, location, code))
    raw.sort(key=lambda item: item[0])
    scans, before = [], "label_created"
    for occurred, text, location, code in raw:
        status = _status(code, text, before)
        scans.append(CarrierScan(time=occurred, status=status, text=text, location=location, code=code))
        before = status
    return scans


class DhlTracking:
    """One DHL-API-Key, one requests session; fetch_events answers [] for a number DHL does not know (yet)."""

    name = NAME

    def __init__(self, base_url: str, api_key: str, session: requests.Session | None = None,
                 service: str = SERVICE, language: str = LANGUAGE,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.url = base_url.rstrip("/") + PATH
        self.api_key = api_key
        self.session = session or requests.Session()
        self.service = service
        self.language = language
        self.timeout = timeout

    def fetch_events(self, tracking_number: str) -> list[CarrierScan]:
        params = {"trackingNumber": tracking_number, "service": self.service, "language": self.language}
        try:
            response = call(self.session, "GET", self.url, carrier="DHL", refused_statuses=(400, 404),
                            timeout=self.timeout, params=params,
                            headers={"DHL-API-Key": self.api_key, "Accept": "application/json"})
        except CarrierRefused as exc:
            if exc.status == 404:
                return []
            raise
        body = json_body(response, "DHL")
        return parse_shipments(body, tracking_number)


def build(config: Mapping) -> DhlTracking:
    key = config.get("HELPCENTER_DHL_TRACKING_API_KEY", "")
    if not key:
        raise ConfigError('HELPCENTER_DHL_TRACKING_API_KEY must be set: the returns policy file names tracking = "dhl" '
                          "(DHL Shipment Tracking – Unified API, a key from developer.dhl.com)")
    return DhlTracking(config.get("HELPCENTER_DHL_TRACKING_BASE_URL") or "https://api-eu.dhl.com", key)


register_tracking(NAME, build)
