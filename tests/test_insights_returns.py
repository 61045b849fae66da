"""The returns report for purchasing: rate and reasons per product (sizes and colours together), comments,
sizes exchanged from → to; sortable; CSV; no customer or order in the output."""
from __future__ import annotations

import datetime as dt
import re

from app.extensions import db
from app.returns.models import ProductVariant, ReturnItem, ReturnRequest
from app.shop.models import Customer, Order, OrderItem
from tests.insights_helpers import insights, moment, signed_in  # noqa: F401 - insights is a fixture

RANGE = "from=2026-11-02&to=2026-11-08"
MON, BEFORE, AFTER = dt.date(2026, 11, 2), dt.date(2026, 10, 28), dt.date(2026, 11, 10)
NAMES = {"J": "Steppjacke", "H": "Jeans Slim", "SOCKEN": "Socken"}


def _order(customer, number, placed, items):
    order = Order(number=number, customer_id=customer.id, placed_at=placed, status="delivered", total_cents=1000,
                  payment_method="paypal", ship_name="Kim Berg", ship_street="Lindenstraße 12", ship_postcode="20095",
                  ship_city="Hamburg")
    for sku, quantity in items:
        size = sku.split("-")[1]
        order.items.append(OrderItem(sku=sku, name=NAMES[sku.split("-")[0]], category="Mode", size=size,
                                     quantity=quantity, unit_price_cents=5000))
    db.session.add(order)
    db.session.flush()
    return order


def _return(order, status, lines):
    ret = ReturnRequest(number=f"R-{order.number}", order_id=order.id, customer_id=order.customer_id, status=status,
                        resolution="refund", created_at=moment(MON, 12))
    by_sku = {item.sku: item for item in order.items}
    for sku, product, reason, comment, exchange in lines:
        item = by_sku[sku]
        ret.items.append(ReturnItem(order_item_id=item.id, sku=sku, product_code=product, name=item.name,
                                    category="Mode", quantity=1, unit_price_cents=5000, reason=reason,
                                    comment=comment, exchange_sku=exchange))
    db.session.add(ret)


def _returns_week(app):
    with app.app_context():
        for sku, product in (("J-S", "JACKE"), ("J-M", "JACKE"), ("J-L", "JACKE"), ("H-32", "HOSE"),
                             ("H-34", "HOSE")):
            db.session.add(ProductVariant(sku=sku, product_code=product, name=NAMES[sku[0]], size=sku[2:], stock=5))
        kim = Customer(external_id="K-1", email="kim.berg@example.com", first_name="Kim", last_name="Berg")
        db.session.add(kim)
        db.session.flush()
        o1 = _order(kim, "700001", moment(MON, 9), [("J-M", 2), ("H-32", 1)])
        o2 = _order(kim, "700002", moment(MON, 10), [("J-L", 1), ("SOCKEN-1", 3)])
        o3 = _order(kim, "700003", moment(MON, 11), [("H-34", 1)])
        o0 = _order(kim, "700000", moment(BEFORE, 9), [("J-M", 1)])
        _order(kim, "700009", moment(AFTER, 9), [("J-S", 5)])
        _return(o1, "received", [("J-M", "JACKE", "zu-klein", "Fällt klein aus, Kundennr. 55555", "J-L"),
                                 ("H-32", "HOSE", "gefaellt-nicht", None, None)])
        _return(o2, "refunded", [("J-L", "JACKE", "zu-klein", None, None)])
        _return(o3, "cancelled", [("H-34", "HOSE", "defekt", None, None)])
        _return(o0, "refunded", [("J-M", "JACKE", "zu-gross", None, None)])
        db.session.commit()


def test_return_rate_reasons_comments_and_exchanges_per_product(insights):
    _returns_week(insights)
    body = signed_in(insights, "lead").get(f"/api/insights/returns?{RANGE}").get_data(as_text=True)
    for personal in ("Kim", "Berg", "kim.berg", "700001", "Lindenstraße", "55555"):
        assert personal not in body
    import json

    f = json.loads(body)["figures"]
    assert f["sold"] == {"current": 8, "previous": 1, "change_percent": 700.0}
    assert f["returned"]["current"] == 3 and f["rate"] == {"current": 37.5, "previous": 100.0,
                                                            "change_points": -62.5}
    assert f["reasons"] == [["zu-klein", "Zu klein", 2], ["gefaellt-nicht", "Gefällt mir nicht", 1]]
    assert [(p["product"], p["name"], p["sold"], p["returned"], p["top_reason"]) for p in f["products"]] == [
        ("JACKE", "Steppjacke", 3, 2, "zu-klein"), ("HOSE", "Jeans Slim", 2, 1, "gefaellt-nicht"),
        ("SOCKEN-1", "Socken", 3, 0, None)]
    assert f["products"][0]["reasons"] == {"zu-klein": 2}
    assert [p["rate"] for p in f["products"]] == [66.7, 50.0, 0.0]
    assert [(e["product"], e["from_size"], e["to_size"], e["pieces"]) for e in f["exchanges"]] == [
        ("JACKE", "M", "L", 1)]
    assert [(c["product"], c["reason"], c["comment"]) for c in f["comments"]] == [
        ("JACKE", "Zu klein", "Fällt klein aus, Kundennr. [Nummer]")]


def test_the_products_table_sorts_and_exports(insights):
    _returns_week(insights)
    lead = signed_in(insights, "lead")
    html = lead.get(f"/agent/kennzahlen?{RANGE}").get_data(as_text=True)
    assert re.findall(r'<tr data-product="([^"]+)">', html) == ["JACKE", "HOSE", "SOCKEN-1"]
    assert re.search(r'<tr data-product="JACKE">.*?<td data-rate>.*?66.7 %</td>', html, re.S)
    assert "<td data-exchange>M → L</td>" in html
    by_name = lead.get(f"/agent/kennzahlen?{RANGE}&sortierung=name").get_data(as_text=True)
    assert re.findall(r'<tr data-product="([^"]+)">', by_name) == ["HOSE", "SOCKEN-1", "JACKE"]
    odd = lead.get(f"/agent/kennzahlen?{RANGE}&sortierung=%3Cb%3E").get_data(as_text=True)
    assert re.findall(r'<tr data-product="([^"]+)">', odd) == ["JACKE", "HOSE", "SOCKEN-1"]
    text = lead.get(f"/agent/kennzahlen/returns/produkte.csv?{RANGE}").get_data(as_text=True)
    lines = text.split("\r\n")
    assert lines[0].startswith("\ufeffProdukt;Artikelnummer;Verkauft;Zurück;Rücksendequote (%);Häufigster Grund;"
                               "Zu groß;Zu klein;")
    assert lines[1] == "Steppjacke;JACKE;3;2;66.7;Zu klein;0;2;0;0;0;0;0;0;0"
    assert lines[3] == "Socken;SOCKEN-1;3;0;0.0;;0;0;0;0;0;0;0;0;0"
