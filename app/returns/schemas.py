"""One schema per input of the returns center: the JSON API, the carrier webhook, the agent update and the forms.

The schemas check shapes and bytes (types, lengths, control characters, 64-bit numbers); what a
return needs beyond that (which items, reasons, quantities, stock) the returns service decides.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from flask_babel import gettext as _
from pydantic import Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from app.core.schemas import Int64, Line, OptionalBlank, Paragraphs, Schema
from app.shop.schemas import ShopTime

MAX_ITEMS = 50
SKU_LENGTH = 64
# The returns service words the 1000-character rule for the customer; this only bounds what is read.
MAX_COMMENT_READ = 5000

Sku = Line(SKU_LENGTH, min_length=1)


def _one_message(value: Any, handler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError("hc_exchange_for", _("Muss eine Artikelnummer oder ein Objekt "
                                                       "{Artikelnummer: neue Artikelnummer} sein.")) from None


# A SKU for every item, or {old SKU: new SKU}.
ExchangeFor = Annotated[Sku | Annotated[dict[Sku, Sku], Field(max_length=MAX_ITEMS)] | None,
                        WrapValidator(_one_message)]


# --- POST /api/returns ----------------------------------------------------------------------------

class ReturnItemBody(Schema):
    sku: Sku | None = Field(None, description="The order item's SKU")
    quantity: Int64 = Field(1, description="How many pieces go back")
    reason: Line(40) | None = Field(None, description="zu-gross, zu-klein, gefaellt-nicht, … (see README)")
    comment: Annotated[Paragraphs(MAX_COMMENT_READ) | None, OptionalBlank] = Field(
        None, description="Required for the reason 'sonstiges'; at most 1000 characters")
    exchange_for: Sku | None = Field(None, description="The SKU wanted instead (resolution 'exchange')")


class ReturnBody(Schema):
    """POST /api/returns."""

    order_number: Line(40, min_length=1)
    items: list[ReturnItemBody] = Field(min_length=1, max_length=MAX_ITEMS)
    resolution: Line(20) | None = Field(None, description="refund or exchange")
    carrier: Line(40) | None = Field(None, description="A carrier code from GET /api/orders/<number>/returnable")
    exchange_for: ExchangeFor = Field(None, description="A SKU, or {old_sku: new_sku}; or per item")

    def wanted_for(self, item: ReturnItemBody) -> str | None:
        """The exchange variant wanted for an item: its own field, else the body's map or SKU."""
        if item.exchange_for is not None:
            return item.exchange_for
        if isinstance(self.exchange_for, dict):
            return self.exchange_for.get(item.sku)
        return self.exchange_for


# --- carrier webhook and agent update -------------------------------------------------------------

class ReturnEventBody(Schema):
    """POST /api/returns/events: one carrier scan of a return parcel."""

    # A machine-to-machine 422 names the first bad field in "field", as the webhook always did.
    error_codes: ClassVar[dict[str, str]] = {"body": "invalid_request"}
    error_status: ClassVar[int] = 422

    return_number: Line(20, min_length=1)
    status: Line(30, min_length=1) = Field(description="in_transit or received")
    time: ShopTime = Field(description="ISO 8601; without an offset it is shop time (Europe/Berlin)")
    location: Annotated[Line(200) | None, OptionalBlank] = None


class ReturnStatusBody(Schema):
    """POST /api/returns/<number>/status: an agent moves the return on."""

    error_codes: ClassVar[dict[str, str]] = {"body": "invalid_request"}
    error_status: ClassVar[int] = 422

    status: Line(30, min_length=1) = Field(description="received, inspected, refunded, exchanged or cancelled")
    note: Annotated[Paragraphs(500) | None, OptionalBlank] = None


class LinkQuery(Schema):
    """The signed link from the confirmation e-mail (?t=…), for guests without a session."""

    t: Annotated[Line(200) | None, OptionalBlank] = Field(None, description="Token from the e-mail link")


# --- answers --------------------------------------------------------------------------------------

class ReturnCreated(Schema):
    """The return, with its label and QR links (null without a parcel)."""

    return_number: str
    status: str
    returnless: bool
    label_url: str | None
    qr_url: str | None
    # "pending" while the carrier issues the label, "ready" once it did, "failed" when it refused (our customer
    # service takes over), "own" for the help center's own Rücksendeschein; null without a parcel.
    label_status: Literal["pending", "ready", "failed", "own"] | None = None
    # The carrier's shipment number once its label is issued (DHL's shipmentNo).
    tracking_number: str | None = None


class ReturnedItem(Schema):
    sku: str
    quantity: int
    reason: str
    exchange_for: str | None


class ReturnEvent(Schema):
    status: str
    source: str
    time: str
    location: str | None


class ReturnDetail(ReturnCreated):
    """The return with its items and history."""

    order_number: str
    resolution: str
    carrier: str | None
    refund: str
    currency: str
    complaint_case: str | None
    items: list[ReturnedItem]
    created_at: str
    events: list[ReturnEvent]


class ScanAccepted(Schema):
    """The scan moved the return on (accepted) or was known already."""

    return_number: str
    status: str
    accepted: bool


class CarrierChoice(Schema):
    code: str
    name: str
    drop_off: str


class ExchangeOption(Schema):
    sku: str
    size: str | None
    colour: str | None
    in_stock: bool


class ReturnableItem(Schema):
    sku: str
    name: str
    quantity: int
    returnable_quantity: int
    eligible: bool
    reason_if_not: str | None
    reason_code: str | None
    exchange_options: list[ExchangeOption]


class Returnable(Schema):
    """What of the order can go back, with whom, and until when."""

    order_number: str
    return_window_ends: dt.date | None
    carriers: list[CarrierChoice]
    items: list[ReturnableItem]


# --- the form on /retouren/bestellung/<number> -----------------------------------------------------

FormQuantity = Annotated[int, Field(ge=0, le=999)]  # the select sends "1", "2", …


class ChosenItem(Schema):
    """One ticked row of the returns form (items-<n>-…)."""

    sku: Annotated[Sku | None, OptionalBlank] = None
    quantity: FormQuantity = 1
    reason: Annotated[Line(40) | None, OptionalBlank] = None
    comment: Annotated[Paragraphs(MAX_COMMENT_READ) | None, OptionalBlank] = None
    exchange_for: Annotated[Sku | None, OptionalBlank] = None


class ReturnFormInput(Schema):
    """The returns form: the ticked items, refund or exchange, the carrier and the per-form submission id."""

    items: list[ChosenItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    resolution: Annotated[Line(20) | None, OptionalBlank] = None
    carrier: Annotated[Line(40) | None, OptionalBlank] = None
    submission_id: Annotated[Line(64) | None, OptionalBlank] = None
    sizes_confirmed: Annotated[Line(1) | None, OptionalBlank] = None
