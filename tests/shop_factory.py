"""Build shop import documents for tests: small, explicit, relative to a given day."""
from __future__ import annotations

import datetime as dt


def customer(cid="K-1", email="kim.berg@example.com", first="Kim", last="Berg", postcode="20095"):
    return {"id": cid, "email": email, "first_name": first, "last_name": last, "phone": "+49 40 555 0101",
            "addresses": [{"kind": "shipping", "name": f"{first} {last}", "street": "Lindenstraße 12",
                           "postcode": postcode, "city": "Hamburg", "country": "DE"}]}


def at(day: dt.date, hour: int = 10) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, 0).isoformat() + "+01:00"


def event(day: dt.date, status: str, text: str = "Scan", hour: int = 10, location: str | None = "Paketzentrum Hamburg"):
    return {"time": at(day, hour), "status": status, "location": location, "text": text}


def shipment(tracking: str, status: str, events: list, carrier: str = "DHL", promised=None, shipped: dt.date | None = None,
             **extra):
    doc = {"carrier": carrier, "tracking_number": tracking, "status": status, "events": events, **extra}
    if promised:
        doc["promised_from"], doc["promised_to"] = promised[0].isoformat(), promised[1].isoformat()
    if shipped:
        doc["shipped_at"] = at(shipped, 18)
    return doc


def order(number="100001", cid="K-1", status="shipped", placed: dt.date | None = None, shipments=(), postcode="20095",
          items=None):
    placed = placed or dt.date(2026, 11, 2)
    return {
        "number": number, "customer_id": cid, "placed_at": at(placed, 9), "status": status, "total": "84.90",
        "currency": "EUR", "payment_method": "paypal",
        "shipping_address": {"name": "Kim Berg", "street": "Lindenstraße 12", "postcode": postcode, "city": "Hamburg",
                             "country": "DE"},
        "items": items or [{"sku": "NL-1", "name": "Steppjacke", "category": "Damenmode", "size": "M", "colour": "Navy",
                            "quantity": 1, "unit_price": "79.95", "returnable": True}],
        "shipments": list(shipments),
    }


def document(customers, orders):
    return {"customers": list(customers), "orders": list(orders)}
