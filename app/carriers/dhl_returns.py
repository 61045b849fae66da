"""DHL Parcel DE Returns API (DHL Retoure Online): one return order per return, label PDF and QR code back.

Built against DHL's published OpenAPI document "Parcel DE Returns API" (pp-parcel-returns.yaml, info.version
1.1.0; developer.dhl.com/api-reference/dhl-parcel-de-returns-post-parcel-germany, page version 1.0.9):

- POST {base}/orders?labelType=BOTH|SHIPMENT_LABEL|QR_LABEL with a ReturnOrder (receiverId, customerReference,
  shipper{name1, addressStreet, addressHouse, postalCode, city}, itemValue{currency, value});
  201 answers a ReturnOrderConfirmation (shipmentNo, label.b64 = PDF, qrLabel.b64 = PNG, routingCode, sstatus).
- Errors are RFC 7807 problem+json {title, status, detail}: 400 (e.g. an invalid postcode), 401, 403, 422, 429.
- Authorisation, either: the API key in the header `dhl-api-key` plus basic auth with the business customer
  portal user; or OAuth2 password flow at /parcel/de/account/auth/ropc/v1/token (client_id = API key,
  client_secret, username, password) and the token as Bearer.

The API offers no idempotency key and no way to cancel a return order; app/returns/labels.py makes sure one
return orders one label, and an unused DHL return label is simply never handed in.
"""
from __future__ import annotations

import base64
import binascii
import re
import threading
import time
import urllib.parse
from collections.abc import Mapping

import requests

from app.carriers.base import CarrierLabel, CarrierRefused, CarrierUnavailable, LabelRequest
from app.carriers.http import call
from app.carriers.registry import register_labels
from app.config import ConfigError

NAME = "dhl_returns"
ORDERS_PATH = "/orders"
TOKEN_PATH = "/parcel/de/account/auth/ropc/v1/token"
CONNECT_TIMEOUT = 5.0
# Field lengths from the reference (ContactAddress, ReturnOrder).
NAME_MAX, STREET_MAX, HOUSE_MAX, CITY_MAX, REFERENCE_MAX = 50, 50, 10, 40, 50
# "Hauptstraße 12a", "Am Hang 3-5", "Allee 7 / 2": the street, then the house number at the end.
_HOUSE = re.compile(r"^(?P<street>.*?\D)[\s,]*(?P<house>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")

_tokens: dict[tuple, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def split_street(line: str) -> tuple[str, str]:
    """The street line as DHL wants it: street name and house number apart ("" when there is no number)."""
    line = " ".join(line.split())
    match = _HOUSE.match(line)
    if not match:
        return line, ""
    return match["street"].strip(" ,"), match["house"].replace(" ", "")


class DhlReturns:
    """Return labels from DHL Retoure Online."""

    name = NAME

    def __init__(self, base_url: str, api_key: str, user: str, password: str, receiver_id: str,
                 api_secret: str = "", timeout: float = 20.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key, self.api_secret = api_key, api_secret
        self.user, self.password = user, password
        self.receiver_id = receiver_id
        self.timeout = (CONNECT_TIMEOUT, timeout)
        self.session = session or requests.Session()

    # --- the contract ------------------------------------------------------------------------------

    def order_body(self, request: LabelRequest) -> dict:
        """The ReturnOrder for one return: our return number is the customer reference printed on the label."""
        sender = request.sender
        street, house = split_street(sender.street)
        if not house:
            raise CarrierRefused("dhl_returns: the sender's street has no house number",
                                 details={"shipper.addressHouse": sender.street})
        body = {
            "receiverId": self.receiver_id,
            "customerReference": request.reference[:REFERENCE_MAX],
            "shipmentReference": request.reference[:REFERENCE_MAX],
            "shipper": {"name1": sender.name[:NAME_MAX], "addressStreet": street[:STREET_MAX],
                        "addressHouse": house[:HOUSE_MAX], "postalCode": sender.postcode,
                        "city": sender.city[:CITY_MAX]},
            "itemValue": {"currency": "EUR", "value": round(request.value_cents / 100, 2)},
        }
        if request.email:
            body["shipper"]["email"] = request.email
        if request.weight_grams:
            body["itemWeight"] = {"uom": "g", "value": request.weight_grams}
        return body

    def create_return_label(self, request: LabelRequest) -> CarrierLabel:
        """Order one return label (PDF, and the QR code for printer-free drop-off when wanted)."""
        label_type = "BOTH" if request.want_qr else "SHIPMENT_LABEL"
        response = call(self.session, "POST", f"{self.base_url}{ORDERS_PATH}", carrier=NAME, timeout=self.timeout,
                        refused_statuses=(400, 404, 409, 422), params={"labelType": label_type},
                        json=self.order_body(request), headers=self._auth_headers(), auth=self._basic_auth())
        return self._confirmation(response, request.want_qr)

    def cancel_return_label(self, label: CarrierLabel) -> None:
        """DHL's returns API has no cancellation: a label nobody hands in is never used (nothing to undo)."""

    # --- answers -----------------------------------------------------------------------------------

    @staticmethod
    def _confirmation(response: requests.Response, want_qr: bool) -> CarrierLabel:
        try:
            body = response.json()
        except ValueError:
            raise CarrierUnavailable("dhl_returns: the confirmation is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("shipmentNo"), str) or not body["shipmentNo"]:
            raise CarrierUnavailable("dhl_returns: the confirmation has no shipmentNo")
        pdf = _document(body, "label", b"%PDF")
        qr = _document(body, "qrLabel", b"\x89PNG") if want_qr else None
        if pdf is None and qr is None:
            raise CarrierUnavailable("dhl_returns: the confirmation has neither label nor QR code")
        return CarrierLabel(shipment_number=body["shipmentNo"][:40], label_pdf=pdf, qr_png=qr,
                            carrier_reference=body.get("routingCode") if isinstance(body.get("routingCode"), str)
                            else None)

    # --- authorisation -----------------------------------------------------------------------------

    def _basic_auth(self):
        return None if self.api_secret else (self.user, self.password)

    def _auth_headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_secret:
            headers["Authorization"] = f"Bearer {self._token()}"
        else:
            headers["dhl-api-key"] = self.api_key
        return headers

    def _token_url(self) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}{TOKEN_PATH}"

    def _token(self) -> str:
        """An OAuth2 access token (password flow), kept until shortly before it expires."""
        key = (self._token_url(), self.api_key, self.user)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        response = call(self.session, "POST", self._token_url(), carrier=NAME, timeout=self.timeout,
                        refused_statuses=(), data={"grant_type": "password", "username": self.user,
                                                   "password": self.password, "client_id": self.api_key,
                                                   "client_secret": self.api_secret})
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in") or 60)
        except (ValueError, KeyError, TypeError):
            raise CarrierUnavailable("dhl_returns: the token answer has no access_token") from None
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(lifetime - 60, 10))
        return token


def _document(body: dict, key: str, magic: bytes) -> bytes | None:
    """A Document's b64 bytes, checked to be what it says (a PDF label, a PNG QR code)."""
    document = body.get(key)
    if document is None:
        return None
    encoded = document.get("b64") if isinstance(document, dict) else None
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise CarrierUnavailable(f"dhl_returns: {key}.b64 is not base64") from None
    if not data.startswith(magic):
        raise CarrierUnavailable(f"dhl_returns: {key} is not the expected document type")
    return data


REQUIRED = ("HELPCENTER_DHL_API_KEY", "HELPCENTER_DHL_RETURNS_USER", "HELPCENTER_DHL_RETURNS_PASSWORD",
            "HELPCENTER_DHL_RETURNS_RECEIVER_ID")


def from_config(config: Mapping) -> DhlReturns:
    """The adapter from HELPCENTER_DHL_* settings; ConfigError names the first one missing."""
    for name in REQUIRED:
        if not config.get(name):
            raise ConfigError(f"{name} must be set: a carrier in the returns policy uses label = \"{NAME}\"")
    return DhlReturns(config.get("HELPCENTER_DHL_RETURNS_BASE_URL") or "", config["HELPCENTER_DHL_API_KEY"],
                      config["HELPCENTER_DHL_RETURNS_USER"], config["HELPCENTER_DHL_RETURNS_PASSWORD"],
                      config["HELPCENTER_DHL_RETURNS_RECEIVER_ID"],
                      api_secret=config.get("HELPCENTER_DHL_API_SECRET") or "",
                      timeout=float(config.get("HELPCENTER_DHL_RETURNS_TIMEOUT") or 20.0))


register_labels(NAME, from_config)
