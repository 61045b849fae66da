"""One schema per input of the tracking flow: the guest lookup (JSON and form), the not-received checklist."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from app.core.schemas import Line, Schema

ORDER_NUMBER_LENGTH = 40
POSTCODE_LENGTH = 10


class GuestLookup(Schema):
    """A guest proves an order with its number and the delivery postcode (the form on /sendungsverfolgung
    and /retouren)."""

    order_number: Line(ORDER_NUMBER_LENGTH, min_length=1) = Field(description="As in the order confirmation")
    postcode: Line(POSTCODE_LENGTH, min_length=1) = Field(description="Postcode of the delivery address")


class LookupBody(GuestLookup):
    """POST /api/tracking/lookup."""

    # The lookup always answered 400 for a body it could not read; it keeps that status.
    error_codes: ClassVar[dict[str, str]] = {"body": "invalid_request"}
    error_status: ClassVar[int] = 400


class NotReceivedAnswer(Schema):
    """One step of the 'Paket nicht erhalten?' checklist: found it (ja) or not (nein)."""

    found: Literal["ja", "nein"]


class StepQuery(Schema):
    """?schritt=<1…5> or ende; anything else starts at step 1."""

    schritt: Line(10) | None = None

    @property
    def number(self) -> int:
        return int(self.schritt) if self.schritt and self.schritt.isdigit() and len(self.schritt) < 3 else 1

    @property
    def at_end(self) -> bool:
        return self.schritt == "ende"


# --- answers --------------------------------------------------------------------------------------

class OrderLine(Schema):
    sku: str
    name: str
    quantity: int


class OrderSummary(Schema):
    number: str
    placed_at: str
    status: str
    total: str = Field(description="Decimal euros, e.g. \"89.90\"")
    currency: str
    items: list[OrderLine]


class OrderList(Schema):
    """The signed-in customer's orders, newest first."""

    orders: list[OrderSummary]


class DeliveryWindow(Schema):
    from_: str = Field(alias="from")
    to: str


class TrackingEvent(Schema):
    time: str
    status: str
    location: str | None
    text: str


class ShipmentTracking(Schema):
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str
    events: list[TrackingEvent]


class NextStep(Schema):
    label: str
    url: str


class Advice(Schema):
    state: str
    text: str
    next_step: NextStep | None


class Tracking(Schema):
    """Where the order is, when it comes, and the one next step."""

    order_number: str
    status: str
    expected_delivery: DeliveryWindow | None
    shipments: list[ShipmentTracking]
    advice: Advice
