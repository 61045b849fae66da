"""Upsert the shop's customers, orders and shipments, and its products' stock, from the documented JSON format.

Each record lands in its own savepoint: a bad record is reported with its position and skipped,
the good ones still land, and importing the same file twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.shop.carriers import CARRIERS
from app.shop.events import EventInput, parse_event, record_events
from app.shop.fields import RecordError, parse_time
from app.shop.models import Address, Customer, Order, OrderItem, Shipment
from app.shop.products import MAX_STOCK, VariantInput, save_product
from app.shop.vocabulary import ADDRESS_KINDS, ORDER_STATUSES, PAYMENT_METHODS, SHIPMENT_STATUSES

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[0-9A-Za-z -]{3,10}$")


@dataclass
class ImportReport:
    created: int = 0     # customers and orders
    updated: int = 0
    unchanged: int = 0
    products: Counter = field(default_factory=Counter)   # outcome → count, as for customers and orders
    variants: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)
    status_changes: list[tuple[Shipment, str]] = field(default_factory=list)

    def count(self, section: str, outcome) -> None:
        if section == "products":
            product, variants = outcome
            self.products[product] += 1
            self.variants.update(variants)
        else:
            setattr(self, outcome, getattr(self, outcome) + 1)


# Field parsing ----------------------------------------------------------------------------------

def _text(raw: dict, name: str, max_length: int = 200, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(f"'{name}' is missing")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RecordError(f"'{name}' must be text")
    value = str(value).strip()
    if len(value) > max_length or any(ord(c) < 32 for c in value):
        raise RecordError(f"'{name}' is too long or contains control characters")
    return value


def _choice(raw: dict, name: str, allowed) -> str:
    value = _text(raw, name, 40)
    if value not in allowed:
        raise RecordError(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _date(raw: dict, name: str) -> dt.date | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RecordError(f"'{name}' must be a date like 2026-11-22") from exc


def _cents(raw: dict, name: str) -> int:
    value = raw.get(name)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise RecordError(f"'{name}' must be an amount like \"89.90\"") from exc
    if isinstance(value, bool) or not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise RecordError(f"'{name}' must be an amount like \"89.90\"")
    return int(amount * 100)


def _address(raw, name: str) -> dict:
    if not isinstance(raw, dict):
        raise RecordError(f"'{name}' must be an object")
    postcode = _text(raw, "postcode", 10)
    if not _POSTCODE.match(postcode):
        raise RecordError(f"'{name}.postcode' is not a postcode")
    return {
        "name": _text(raw, "name"),
        "street": _text(raw, "street"),
        "postcode": postcode,
        "city": _text(raw, "city", 100),
        "country": (_text(raw, "country", 2, required=False) or "DE").upper(),
    }


def _list(raw: dict, name: str, required: bool = False) -> list:
    value = raw.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise RecordError(f"'{name}' must be a list")
    return value


def _assign(obj, values: dict) -> bool:
    """Set attributes; True if anything really changed (so a re-import stays 'unchanged')."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


# Records ----------------------------------------------------------------------------------------

def _upsert_customer(raw) -> str:
    if not isinstance(raw, dict):
        raise RecordError("must be an object")
    external_id = _text(raw, "id", 64)
    email = _text(raw, "email", 254).lower()
    if not _EMAIL.match(email):
        raise RecordError("'email' is not an e-mail address")
    values = {
        "email": email,
        "first_name": _text(raw, "first_name", 100),
        "last_name": _text(raw, "last_name", 100),
        "phone": _text(raw, "phone", 40, required=False),
    }
    addresses = []
    for position, item in enumerate(_list(raw, "addresses")):
        address = _address(item, f"addresses[{position}]")
        address["kind"] = _choice(item, "kind", ADDRESS_KINDS)
        addresses.append(address)

    customer = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
    created = customer is None
    if created:
        customer = Customer(external_id=external_id)
        db.session.add(customer)
    changed = _assign(customer, values)
    current = [{k: getattr(a, k) for k in ("kind", "name", "street", "postcode", "city", "country")}
               for a in customer.addresses]
    if current != addresses:
        customer.addresses = [Address(**a) for a in addresses]
        changed = True
    db.session.flush()
    return "created" if created else ("updated" if changed else "unchanged")


def _item_values(raw, position: int) -> dict:
    if not isinstance(raw, dict):
        raise RecordError(f"items[{position}] must be an object")
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 999:
        raise RecordError(f"items[{position}].quantity must be a whole number from 1 to 999")
    returnable = raw.get("returnable", True)
    if not isinstance(returnable, bool):
        raise RecordError(f"items[{position}].returnable must be true or false")
    return {
        "sku": _text(raw, "sku", 64),
        "name": _text(raw, "name"),
        "category": _text(raw, "category", 100),
        "size": _text(raw, "size", 40, required=False),
        "colour": _text(raw, "colour", 40, required=False),
        "quantity": quantity,
        "unit_price_cents": _cents(raw, "unit_price"),
        "returnable": returnable,
    }


def _shipment_values(raw, position: int) -> tuple[dict, list[EventInput]]:
    if not isinstance(raw, dict):
        raise RecordError(f"shipments[{position}] must be an object")
    skus = raw.get("skus")
    if skus is not None and (not isinstance(skus, list) or not all(isinstance(s, str) for s in skus)):
        raise RecordError(f"shipments[{position}].skus must be a list of SKUs")
    values = {
        "carrier": _choice(raw, "carrier", CARRIERS),
        "tracking_number": _text(raw, "tracking_number", 40),
        "status": _choice(raw, "status", SHIPMENT_STATUSES),
        "promised_from": _date(raw, "promised_from"),
        "promised_to": _date(raw, "promised_to"),
        "shipped_at": parse_time(raw["shipped_at"], "shipped_at") if raw.get("shipped_at") else None,
        "skus": json.dumps(skus) if skus is not None else None,
        "pickup_location": _text(raw, "pickup_location", 300, required=False),
        "pickup_deadline": _date(raw, "pickup_deadline"),
    }
    events = []
    for index, event in enumerate(_list(raw, "events")):
        try:
            events.append(parse_event(event))
        except ValueError as exc:
            raise RecordError(f"shipments[{position}].events[{index}]: {exc}") from exc
    return values, events


def _upsert_order(raw, report: ImportReport) -> str:
    if not isinstance(raw, dict):
        raise RecordError("must be an object")
    number = _text(raw, "number", 40)
    customer = db.session.scalar(select(Customer).where(Customer.external_id == _text(raw, "customer_id", 64)))
    if customer is None:
        raise RecordError(f"unknown customer_id {raw.get('customer_id')!r}")
    address = _address(raw.get("shipping_address"), "shipping_address")
    values = {
        "customer_id": customer.id,
        "placed_at": parse_time(raw.get("placed_at"), "placed_at"),
        "status": _choice(raw, "status", ORDER_STATUSES),
        "total_cents": _cents(raw, "total"),
        "currency": (_text(raw, "currency", 3, required=False) or "EUR").upper(),
        "payment_method": _choice(raw, "payment_method", PAYMENT_METHODS),
        **{f"ship_{key}": value for key, value in address.items()},
    }
    items = [_item_values(item, i) for i, item in enumerate(_list(raw, "items", required=True))]
    if not items:
        raise RecordError("'items' must not be empty")
    if len({i["sku"] for i in items}) != len(items):
        raise RecordError("'items' lists a SKU twice")
    shipments = [_shipment_values(s, i) for i, s in enumerate(_list(raw, "shipments"))]

    order = db.session.scalar(select(Order).where(Order.number == number))
    created = order is None
    if created:
        order = Order(number=number)
        db.session.add(order)
    changed = _assign(order, values)

    existing_items = {i.sku: i for i in order.items}
    for item_values in items:
        item = existing_items.pop(item_values["sku"], None)
        if item is None:
            order.items.append(OrderItem(**item_values))
            changed = True
        else:
            changed |= _assign(item, item_values)
    for stale in existing_items.values():
        order.items.remove(stale)
        changed = True
    db.session.flush()

    for shipment_values, events in shipments:
        shipment = db.session.scalar(select(Shipment).where(Shipment.tracking_number == shipment_values["tracking_number"]))
        if shipment is not None and shipment.order_id != order.id:
            raise RecordError(f"tracking number {shipment_values['tracking_number']} belongs to another order")
        if shipment is None:
            shipment = Shipment(order=order, **shipment_values)
            db.session.add(shipment)
            db.session.flush()
            changed = True
            old_status = None
        else:
            old_status = shipment.status
            changed |= _assign(shipment, shipment_values)
        added, _duplicates = record_events(shipment, events, update_status=False)
        changed |= added > 0
        if old_status is not None and old_status != shipment.status:
            report.status_changes.append((shipment, old_status))
    db.session.flush()
    return "created" if created else ("updated" if changed else "unchanged")


def _variant(raw) -> VariantInput:
    if not isinstance(raw, dict):
        raise RecordError("must be an object")
    stock = raw.get("stock")
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
        raise RecordError(f"'stock' must be a whole number from 0 to {MAX_STOCK}")
    return VariantInput(sku=_text(raw, "sku", 64), size=_text(raw, "size", 40, required=False),
                        colour=_text(raw, "colour", 40, required=False), stock=stock)


def _upsert_product(raw, claimed: dict[str, str]) -> tuple[str, Counter]:
    if not isinstance(raw, dict):
        raise RecordError("must be an object")
    code, name = _text(raw, "code", 64), _text(raw, "name")
    variants = []
    for position, item in enumerate(_list(raw, "variants", required=True)):
        try:
            variants.append(_variant(item))
        except RecordError as exc:
            raise RecordError(f"variants[{position}]: {exc}") from exc
    if not variants:
        raise RecordError("'variants' must not be empty")
    if len({v.sku for v in variants}) != len(variants):
        raise RecordError("'variants' lists a SKU twice")
    if len({(v.size, v.colour) for v in variants}) != len(variants):
        raise RecordError("'variants' lists a size and colour twice")
    for variant in variants:
        if variant.sku in claimed:
            raise RecordError(f"SKU {variant.sku} is already listed under product {claimed[variant.sku]}")
    claimed.update((variant.sku, code) for variant in variants)
    return save_product(code, name, variants)


def import_shop_data(document) -> ImportReport:
    """Upsert customers, orders with their items and shipments, then products' variants; flushes, the caller commits."""
    report = ImportReport()
    if not isinstance(document, dict):
        report.errors.append(("document", "must be a JSON object with 'customers', 'orders' and/or 'products'"))
        return report
    claimed: dict[str, str] = {}  # SKU → the product that listed it first in this document
    for section, upsert in (("customers", lambda raw: _upsert_customer(raw)),
                            ("orders", lambda raw: _upsert_order(raw, report)),
                            ("products", lambda raw: _upsert_product(raw, claimed))):
        records = document.get(section, [])
        if not isinstance(records, list):
            report.errors.append((section, "must be a list"))
            continue
        for position, raw in enumerate(records):
            changes_before = len(report.status_changes)
            try:
                with db.session.begin_nested():
                    outcome = upsert(raw)
            except (RecordError, IntegrityError) as exc:
                del report.status_changes[changes_before:]
                reason = str(exc) if isinstance(exc, RecordError) else "conflicts with another record"
                report.errors.append((f"{section}[{position}]", reason))
            else:
                report.count(section, outcome)
    return report
