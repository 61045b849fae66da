"""Shared set-up of the agent console and chat tests: a small shop, customers, an agent, cases."""
from __future__ import annotations

import datetime as dt

import pytest

from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from tests.conftest import api_token, login
from tests.shop_factory import customer, document, event, order, shipment

# Monday 16 November 2026, 10:00 in Hamburg: the service is open.
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)
AGENT = ("agent@example.com", "agenten-passwort-1")
OTHER_AGENT = ("agentin@example.com", "agenten-passwort-2")

DEFECT_ITEMS = [{"sku": "NL-1", "name": "Steppjacke", "category": "Damenmode", "quantity": 1, "unit_price": "79.95",
                 "returnable": True},
                {"sku": "NL-3", "name": "Socken", "category": "Damenmode", "quantity": 1, "unit_price": "7.95",
                 "returnable": True}]


class Clock:
    """The time the contact and agent views see; tests move it forward."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment = self.moment + dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    moment = Clock(NOW)
    monkeypatch.setattr("app.contact.views.now", moment)
    return moment


def seed_shop_orders(app) -> None:
    """Kim (K-1) with a delivered, a lost and a damaged order; Jan (K-2) with his own (no accounts)."""
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [order("500001", status="delivered", items=DEFECT_ITEMS,
                   shipments=[shipment("00340434165000000001", "delivered",
                                       [event(dt.date(2026, 11, 12), "in_transit", "Im Paketzentrum bearbeitet"),
                                        event(dt.date(2026, 11, 13), "delivered", "Zugestellt an Nachbar Meier")])]),
             order("500002", status="lost",
                   shipments=[shipment("00340434165000000002", "lost",
                                       [event(dt.date(2026, 11, 10), "lost", "Sendung nicht auffindbar")])]),
             order("500009", cid="K-2", postcode="10115")]))


@pytest.fixture
def shop(app, make_user, clock):
    """Kim (K-1) with a delivered, a lost and a damaged order; Jan (K-2) with his own; two agents."""
    seed_shop_orders(app)
    make_user(customer_ref="K-1")
    make_user(email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")
    make_user(email=AGENT[0], password=AGENT[1], role="agent", name="Jonas Weber")
    make_user(email=OTHER_AGENT[0], password=OTHER_AGENT[1], role="agent", name="Mia Roth")
    return app


def post_json(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": api_token(client)})


def customer_client(app, email="kim.berg@example.com"):
    client = app.test_client()
    login(client, email)
    return client


def agent_client(app, who=AGENT):
    client = app.test_client()
    login(client, *who)
    return client


def callback_case(slot: str, **extra) -> dict:
    return {"topic": "lieferung-nicht-erhalten", "message": "Laut Verfolgung zugestellt, aber nicht da.",
            "channel": "phone", "order_number": "500001", "phone": "040 555 0101", "phone_consent": True,
            "callback_slot": slot, **extra}


def email_case(topic="sonstiges", **extra) -> dict:
    return {"topic": topic, "message": "Eine Frage per E-Mail, bitte melden.", "channel": "email", **extra}


def open_case(client, body) -> str:
    response = post_json(client, "/api/cases", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_number"]
