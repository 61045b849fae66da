"""'Sendungsstatus mitteilen' fits the parcel's actual state: never "unterwegs" for a late, delivered or lost one."""
import datetime as dt

import pytest

from app.shop.cli import apply_import
from tests.agent_helpers import agent_client, clock, customer_client, email_case, open_case, shop  # noqa: F401
from tests.shop_factory import customer, document, event, order, shipment

D = dt.date  # Monday 16 November 2026 is today (tests.agent_helpers.NOW)

ORDERS = {
    "510001": ("shipped", [shipment("00340434165100000001", "in_transit", [event(D(2026, 11, 16), "in_transit")],
                                    promised=(D(2026, 11, 17), D(2026, 11, 18)))]),
    "510002": ("shipped", [shipment("00340434165100000002", "in_transit", [event(D(2026, 11, 13), "in_transit")],
                                    promised=(D(2026, 11, 12), D(2026, 11, 13)))]),
    "510008": ("shipped", [shipment("00340434165100000008", "in_transit", [event(D(2026, 11, 6), "in_transit")],
                                    promised=(D(2026, 11, 6), D(2026, 11, 9)))]),
    "510003": ("delivered", [shipment("00340434165100000003", "delivered", [event(D(2026, 11, 13), "delivered")])]),
    "510004": ("lost", [shipment("00340434165100000004", "lost", [event(D(2026, 11, 10), "lost")])]),
    "510005": ("processing", []),
    "510006": ("delivery_failed", [shipment("00340434165100000006", "delivery_failed",
                                            [event(D(2026, 11, 16), "delivery_failed")])]),
    "510007": ("delivery_failed", [shipment("00340434165100000007", "delivery_failed",
                                            [event(D(2026, 11, 16), "delivery_failed",
                                                   "Zustellung nicht möglich, Anschrift unvollständig")])]),
}


@pytest.fixture
def orders(shop):
    with shop.app_context():
        apply_import(document([customer()], [order(number, status=status, placed=D(2026, 11, 9), shipments=parcels)
                                             for number, (status, parcels) in ORDERS.items()]))
    return shop


def _reply(app, order_number):
    number = open_case(customer_client(app), email_case("lieferung", order_number=order_number,
                                                        message="Wo ist meine Bestellung bitte?"))
    page = agent_client(app).get(f"/agent/anfrage/{number}?vorlage=sendung").get_data(as_text=True)
    return page.split('id="antwort"')[1].split("</textarea>")[0]


@pytest.mark.parametrize("order_number, expected", [
    ("510001", "Ihre Bestellung 510001 ist unterwegs."),
    ("510002", "Ihre Bestellung 510002 ist leider später dran als angekündigt."),
    ("510008", "Ihre Bestellung 510008 ist deutlich überfällig."),
    ("510003", "laut Zusteller wurde Ihre Bestellung 510003 am 13. November 2026 zugestellt."),
    ("510004", "der Zusteller hat Ihre Bestellung 510004 leider als verloren gemeldet."),
    ("510005", "Ihre Bestellung 510005 wird gerade gepackt und ist noch nicht beim Zusteller."),
    ("510006", "der Zusteller konnte Ihre Bestellung 510006 leider nicht zustellen."),
    ("510007", "nicht zustellen, weil die Anschrift unvollständig ist. Bitte nennen Sie uns die vollständige"),
])
def test_the_shipment_template_says_what_the_parcel_really_does(orders, order_number, expected):
    body = _reply(orders, order_number)
    assert expected in body
    if order_number != "510001":
        assert "unterwegs" not in body.replace("Sobald sie unterwegs ist", "")


def test_without_a_verified_order_the_template_promises_nothing(orders):
    guest = orders.test_client()
    number = open_case(guest, email_case(name="Gast", email="gast@example.com"))
    page = agent_client(orders).get(f"/agent/anfrage/{number}?vorlage=sendung").get_data(as_text=True)
    assert "den aktuellen Stand Ihrer Bestellung {order_number} sehen Sie hier: {tracking_url}" in page
    assert "ist unterwegs" not in page
