"""What every carrier adapter speaks: the requests, the answers and the failures, independent of any carrier's API."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from app.returns.label import LabelAddress


@dataclass(frozen=True)
class LabelRequest:
    """One return parcel to announce to a carrier.

    reference: our return number. Adapters send it as the carrier's customer reference and, where the API has
    one, as its idempotency key, so that a retried order never creates a second label."""

    reference: str
    sender: LabelAddress
    recipient: LabelAddress
    email: str | None = None
    weight_grams: int | None = None
    value_cents: int = 0
    want_qr: bool = True


@dataclass(frozen=True)
class CarrierLabel:
    """What the carrier issued: its shipment number (the return's tracking number), the label and the QR code."""

    shipment_number: str
    label_pdf: bytes | None
    qr_png: bytes | None = None
    # The carrier's own id of the order where it differs from the shipment number (needed to cancel, for example).
    carrier_reference: str | None = None


@dataclass(frozen=True)
class CarrierScan:
    """One tracking event as the help center stores it (app.shop.events.EventInput is built from it).

    time: naive UTC. status: one of app.shop.vocabulary's shipment statuses. code: the carrier's own event code,
    which decides what the scan means (app.tracking.scans)."""

    time: dt.datetime
    status: str
    text: str
    location: str | None = None
    code: str | None = None


class CarrierError(Exception):
    """Any failure talking to a carrier; the message is for logs and the operator, never for customers."""


class CarrierUnavailable(CarrierError):
    """Try again later: timeout, connection refused, 5xx, 429. retry_after: seconds the carrier asked us to wait."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class CarrierRateLimited(CarrierUnavailable):
    """The carrier's rate limit (HTTP 429); wait at least retry_after seconds before the next call."""


class CarrierNotAuthorised(CarrierError):
    """The credentials were refused (401/403): an operator must fix the configuration; retried later all the same."""


class CarrierRefused(CarrierError):
    """The carrier refused this request for good (invalid address, unknown receiver): retrying will not help.

    details: the carrier's own words per field, for the agent who has to sort it out."""

    def __init__(self, message: str, details: dict[str, str] | None = None, status: int | None = None):
        super().__init__(message)
        self.details = details or {}
        # The HTTP status of the refusal: a tracking poll reads 404 as "not known yet", not as a failure.
        self.status = status


@runtime_checkable
class ReturnLabels(Protocol):
    """Create and cancel return labels at a carrier."""

    name: str

    def create_return_label(self, request: LabelRequest) -> CarrierLabel: ...

    def cancel_return_label(self, label: CarrierLabel) -> None: ...


@runtime_checkable
class TrackingFeed(Protocol):
    """Fetch a carrier's tracking events for one of its shipment numbers (all events known so far)."""

    name: str

    def fetch_events(self, tracking_number: str) -> list[CarrierScan]: ...


@dataclass
class AdapterChoice:
    """What the policy file chose for one carrier: adapter names, resolved by app.carriers.registry."""

    label: str = "own"
    tracking: str = "webhook"
    options: dict[str, str] = field(default_factory=dict)
