"""One schema per shop input: the import's records (customers, orders, shipments, products) and the carrier webhook.

Every field type carries the English message the import report and the webhook answer print
("'stock' must be a whole number from 0 to 1000000"); `app.shop.fields.record_error` adds the
record's place and the field's name.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (AfterValidator, BeforeValidator, Field, PlainValidator, StrictBool, StringConstraints,
                      ValidationError, WithJsonSchema, WrapValidator, model_validator)
from pydantic_core import PydanticCustomError

from app.core.emails import InvalidEmail, normalize_email
from app.core.schemas import OptionalBlank, Schema
from app.shop.carriers import CARRIERS
from app.shop.events import EventInput
from app.shop.fields import to_utc
from app.shop.vocabulary import ADDRESS_KINDS, ORDER_STATUSES, PAYMENT_METHODS, SHIPMENT_STATUSES

MAX_EVENTS = 200
MAX_CODE = 40  # the column's length (shipment_event.code)
MAX_STOCK = 1_000_000
MAX_CENTS = 10 ** 11  # a billion euros: far beyond any order, well inside a 64-bit column
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("hc_record", message)


def _says(messages: str | dict[str, str]) -> WrapValidator:
    """Word pydantic's refusal of a field as the import report prints it: one message, or one per error type."""
    def wrap(value: Any, handler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            kind = exc.errors(include_url=False)[0]["type"]
            text = messages if isinstance(messages, str) else messages.get(kind, messages["*"])
            raise _refuse(text) from None
    return WrapValidator(wrap)


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control character")
    return value


def _number_as_text(value: Any) -> Any:
    # Order numbers, customer ids and sizes are often sent as JSON numbers (not booleans, not floats).
    return str(value) if type(value) is int else value


def Text(max_length: int = 200, *, required: bool = True, numbers: bool = False):  # noqa: N802 - reads like a type
    """One line of text from the shop or a carrier: no control characters, at most max_length."""
    text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_no_controls),
                     _says({"string_type": "must be text", "string_too_short": "is missing",
                            "*": "is too long or contains control characters"}),
                     WithJsonSchema({"type": "string", "maxLength": max_length})]
    if numbers:
        text = Annotated[text, BeforeValidator(_number_as_text)]
    return text if required else Annotated[text | None, OptionalBlank]


def Choice(values):  # noqa: N802
    """One of the shop's codes."""
    allowed = tuple(values)
    return Annotated[Literal[allowed], _says(f"must be one of {', '.join(allowed)}")]


def Whole(low: int, high: int):  # noqa: N802
    """A whole JSON number in [low, high]: no text, no booleans, no floats."""
    return Annotated[int, Field(strict=True, ge=low, le=high), _says(f"must be a whole number from {low} to {high}")]


def _in_shop_years(day: dt.date) -> dt.date:
    if not 2000 <= day.year <= 2099:
        raise ValueError("out of range")
    return day


def _time(value: Any) -> dt.datetime:
    try:
        return to_utc(value)
    except ValueError as exc:
        raise _refuse(str(exc)) from None


def _email(value: Any) -> str:
    try:
        return normalize_email(value).lower()
    except InvalidEmail:
        raise _refuse("is not an e-mail address") from None


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


# Money as a decimal string in euros ("89.90"; a JSON number is read the same), at most a billion.
Cents = Annotated[Decimal, Field(ge=0, le=MAX_CENTS // 100, decimal_places=2, allow_inf_nan=False),
                  AfterValidator(_cents), _says('must be an amount like "89.90"'),
                  WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"})]
ShopDate = Annotated[Annotated[dt.date, AfterValidator(_in_shop_years), _says("must be a date like 2026-11-22")]
                     | None, OptionalBlank]
# ISO 8601 with offset, or shop time (Europe/Berlin) without; stored as naive UTC.
ShopTime = Annotated[dt.datetime, PlainValidator(_time), WithJsonSchema({"type": "string", "format": "date-time"})]
OptionalShopTime = Annotated[ShopTime | None, OptionalBlank]
Flag = Annotated[StrictBool, _says("must be true or false")]
RecordEmail = Annotated[str, PlainValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z -]{3,10}$"),
                     _says({"string_type": "must be text", "*": "is not a postcode"})]
NoneAsEmpty = BeforeValidator(_none_as_empty)


class Record(Schema):
    """An import record: unknown fields ignored, no whitespace games."""


# --- import records -----------------------------------------------------------------------------

class AddressRecord(Record):
    name: Text(200)
    street: Text(200)
    postcode: Postcode
    city: Text(100)
    country: Text(2, required=False) = None

    def values(self) -> dict:
        return {"name": self.name, "street": self.street, "postcode": self.postcode, "city": self.city,
                "country": (self.country or "DE").upper()}


class CustomerAddressRecord(AddressRecord):
    kind: Choice(ADDRESS_KINDS)

    def values(self) -> dict:
        return {**super().values(), "kind": self.kind}


class CustomerRecord(Record):
    id: Text(64, numbers=True)
    email: RecordEmail
    first_name: Text(100)
    last_name: Text(100)
    phone: Text(40, required=False) = None
    addresses: Annotated[list[CustomerAddressRecord], NoneAsEmpty] = []


class ItemRecord(Record):
    sku: Text(64, numbers=True)
    name: Text(200)
    category: Text(100)
    size: Text(40, required=False, numbers=True) = None
    colour: Text(40, required=False) = None
    quantity: Whole(1, 999)
    unit_price: Cents
    returnable: Flag = True

    def values(self) -> dict:
        return {"sku": self.sku, "name": self.name, "category": self.category, "size": self.size,
                "colour": self.colour, "quantity": self.quantity, "unit_price_cents": self.unit_price,
                "returnable": self.returnable}


class EventRecord(Record):
    """One carrier scan."""

    time: ShopTime = Field(description="ISO 8601; without an offset it is shop time (Europe/Berlin)")
    status: Choice(SHIPMENT_STATUSES)
    location: Text(200, required=False) = None
    text: Text(500)
    code: Text(MAX_CODE, required=False, numbers=True) = Field(
        None, description="The carrier's own event code for this scan (GLS \"17\", UPS \"RS\", Hermes "
                          "\"RETURN_TO_SENDER\" …), as the carrier sends it; a known code decides what the scan "
                          "means for the tracking advice, otherwise the text does. Not part of the scan's identity: "
                          "the same scan sent again with its code is a duplicate and gets the code added.")

    def to_input(self) -> EventInput:
        return EventInput(self.time, self.status, self.location, self.text, self.code)


class ShipmentRecord(Record):
    carrier: Choice(CARRIERS)
    tracking_number: Text(40, numbers=True)
    status: Choice(SHIPMENT_STATUSES)
    promised_from: ShopDate = None
    promised_to: ShopDate = None
    shipped_at: OptionalShopTime = None
    skus: list[Text(64, numbers=True)] | None = None
    pickup_location: Text(300, required=False) = None
    pickup_deadline: ShopDate = None
    events: Annotated[list[EventRecord], NoneAsEmpty] = []


class OrderRecord(Record):
    number: Text(40, numbers=True)
    customer_id: Text(64, numbers=True)
    placed_at: ShopTime
    status: Choice(ORDER_STATUSES)
    total: Cents
    currency: Text(3, required=False) = None
    payment_method: Choice(PAYMENT_METHODS)
    shipping_address: AddressRecord
    items: list[ItemRecord] = Field(min_length=1)
    shipments: Annotated[list[ShipmentRecord], NoneAsEmpty] = []


class VariantRecord(Record):
    sku: Text(64, numbers=True)
    size: Text(40, required=False, numbers=True) = None
    colour: Text(40, required=False) = None
    stock: Whole(0, MAX_STOCK)


class ProductRecord(Record):
    code: Text(64, numbers=True)
    name: Text(200)
    variants: list[VariantRecord] = Field(min_length=1)


SECTIONS = ("customers", "orders", "products")


class ImportDocument(Record):
    """`flask shop import FILE.json`: each section a list; its records are parsed one by one, each on its own."""

    customers: list[Any] = []
    orders: list[Any] = []
    products: list[Any] = []


# --- the carrier webhook ------------------------------------------------------------------------

class ShipmentEventsBody(Record):
    """POST /api/shipments/events: a carrier's scans for one tracking number (or one scan sent flat)."""

    # The one 422 of a machine-to-machine endpoint names the first bad field in "field", as before.
    error_codes: ClassVar[dict[str, str]] = {"body": "invalid_request"}
    error_status: ClassVar[int] = 422

    tracking_number: Text(40)
    events: list[EventRecord] = Field(min_length=1, max_length=MAX_EVENTS)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if isinstance(data, dict) and "events" not in data and "status" in data:
            return {"tracking_number": data.get("tracking_number"), "events": [data]}
        return data


class ShipmentEventsAnswer(Schema):
    """The events were stored (202) or were all known already (200)."""

    tracking_number: str
    accepted: int
    duplicates: int
    status: str


# --- AfterShip Tracking's webhook ---------------------------------------------------------------

def _carrier_line(limit: int):
    def clean(value: Any) -> Any:
        # AfterShip passes the carriers' words on as they come: long ones are cut, line breaks become spaces,
        # empty ones and nulls are no value. Anything but text is refused.
        if value is None:
            return None
        if not isinstance(value, str):
            raise _refuse("must be text")
        value = _CONTROL.sub(" ", value).strip()[:limit].strip()
        return value or None
    return Annotated[str | None, PlainValidator(clean),
                     WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})]


class AfterShipCheckpoint(Record):
    """One checkpoint of an AfterShip tracking (only the fields the help center reads)."""

    checkpoint_time: ShopTime = Field(description="The carrier's time; without an offset it is read as shop time")
    message: _carrier_line(500) = None
    location: _carrier_line(200) = None
    city: _carrier_line(100) = None
    tag: _carrier_line(40) = None
    subtag: _carrier_line(40) = None
    subtag_message: _carrier_line(200) = None


class AfterShipTracking(Record):
    """The tracking object in `msg`: the number, the carrier (`slug`), its delivery status and its checkpoints."""

    tracking_number: Text(40, numbers=True)
    slug: _carrier_line(60) = None
    tag: _carrier_line(40) = None
    subtag: _carrier_line(40) = None
    checkpoints: Annotated[list[AfterShipCheckpoint], NoneAsEmpty] = Field([], max_length=MAX_EVENTS)


class AfterShipBody(Record):
    """POST /api/shipments/aftership: AfterShip Tracking's webhook (events tracking_update, edd_revise,
    tracking_pending_time), signed with aftership-hmac-sha256."""

    error_codes: ClassVar[dict[str, str]] = {"body": "invalid_request"}
    error_status: ClassVar[int] = 422

    event: _carrier_line(60) = None
    event_id: _carrier_line(60) = None
    msg: AfterShipTracking
