"""Upsert the shop's customers, orders and shipments, and its products' stock, from the documented JSON format.

Each record lands in its own savepoint: a bad record is reported with its position and skipped,
the good ones still land, and importing the same file twice changes nothing.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.shop.events import EventInput, record_events
from app.shop.fields import RecordError, record_error
from app.shop.models import Address, Customer, Order, OrderItem, Shipment
from app.shop.products import VariantInput, save_product
from app.shop.schemas import SECTIONS, CustomerRecord, ImportDocument, OrderRecord, ProductRecord, ShipmentRecord

R = TypeVar("R", bound=BaseModel)


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


# Parsing --------------------------------------------------------------------------------------

def _parse(model: type[R], raw) -> R:
    """One record through its schema; RecordError names the place and the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise record_error(exc) from None


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
    record = _parse(CustomerRecord, raw)
    external_id = record.id
    values = {"email": record.email, "first_name": record.first_name, "last_name": record.last_name,
              "phone": record.phone}
    addresses = [address.values() for address in record.addresses]

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


def _shipment_values(record: ShipmentRecord) -> tuple[dict, list[EventInput]]:
    values = {
        "carrier": record.carrier, "tracking_number": record.tracking_number, "status": record.status,
        "promised_from": record.promised_from, "promised_to": record.promised_to, "shipped_at": record.shipped_at,
        "skus": json.dumps(list(record.skus)) if record.skus is not None else None,
        "pickup_location": record.pickup_location, "pickup_deadline": record.pickup_deadline,
    }
    return values, [event.to_input() for event in record.events]


def _upsert_order(raw, report: ImportReport) -> str:
    record = _parse(OrderRecord, raw)
    number = record.number
    customer = db.session.scalar(select(Customer).where(Customer.external_id == record.customer_id))
    if customer is None:
        raise RecordError(f"unknown customer_id {record.customer_id!r}")
    values = {
        "customer_id": customer.id,
        "placed_at": record.placed_at,
        "status": record.status,
        "total_cents": record.total,
        "currency": (record.currency or "EUR").upper(),
        "payment_method": record.payment_method,
        **{f"ship_{key}": value for key, value in record.shipping_address.values().items()},
    }
    items = [item.values() for item in record.items]
    if len({i["sku"] for i in items}) != len(items):
        raise RecordError("'items' lists a SKU twice")
    shipments = [_shipment_values(s) for s in record.shipments]

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
        recorded = record_events(shipment, events, update_status=False)
        changed |= recorded.added > 0 or recorded.coded > 0
        if old_status is not None and old_status != shipment.status:
            report.status_changes.append((shipment, old_status))
    db.session.flush()
    return "created" if created else ("updated" if changed else "unchanged")


def _upsert_product(raw, claimed: dict[str, str]) -> tuple[str, Counter]:
    record = _parse(ProductRecord, raw)
    code, name = record.code, record.name
    variants = [VariantInput(sku=v.sku, size=v.size, colour=v.colour, stock=v.stock) for v in record.variants]
    if len({v.sku for v in variants}) != len(variants):
        raise RecordError("'variants' lists a SKU twice")
    if len({(v.size, v.colour) for v in variants}) != len(variants):
        raise RecordError("'variants' lists a size and colour twice")
    for variant in variants:
        if variant.sku in claimed:
            raise RecordError(f"SKU {variant.sku} is already listed under product {claimed[variant.sku]}")
    claimed.update((variant.sku, code) for variant in variants)
    return save_product(code, name, variants)


def _sections(document, report: ImportReport) -> ImportDocument:
    """The document's three lists; a section that is not a list is reported and left out, the others import."""
    try:
        return ImportDocument.model_validate(document)
    except ValidationError as exc:
        bad = {error["loc"][0] for error in exc.errors(include_url=False) if error["loc"]}
        if not bad or not isinstance(document, dict):
            report.errors.append(("document", "must be a JSON object with 'customers', 'orders' and/or 'products'"))
            return ImportDocument()
        for section in sorted(bad, key=SECTIONS.index):
            report.errors.append((section, "must be a list"))
        return ImportDocument.model_validate({k: v for k, v in document.items() if k not in bad})


def import_shop_data(document) -> ImportReport:
    """Upsert customers, orders with their items and shipments, then products' variants; flushes, the caller commits."""
    report = ImportReport()
    sections = _sections(document, report)
    claimed: dict[str, str] = {}  # SKU → the product that listed it first in this document
    for section, upsert in (("customers", lambda raw: _upsert_customer(raw)),
                            ("orders", lambda raw: _upsert_order(raw, report)),
                            ("products", lambda raw: _upsert_product(raw, claimed))):
        for position, raw in enumerate(getattr(sections, section)):
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
