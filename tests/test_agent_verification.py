"""A case whose order was not proven shows the agent nothing of that order — page, JSON API, suggestions,
reply templates — until the agent records 'Kunde verifiziert' (CSRF-protected, in the audit trail)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.shop.models import Customer
from tests.agent_helpers import (AGENT, agent_client, clock, customer_client, email_case, open_case,  # noqa: F401
                                 shop)
from tests.conftest import csrf_token_from

# What the shop knows about Kim's order 500001 (and her other order and her earlier case).
ORDER_DATA = ["Steppjacke", "Socken", "00340434165000000001", "Zugestellt an Nachbar Meier", "Lindenstraße",
              "555 0101", "84,90", 'data-order="500001"', 'data-order="500002"', "data-case-order", "data-earlier",
              "data-suggestion", "piececode="]
UNPROVEN = {
    "wrong-postcode": dict(name="Kim Berg", email="kim.berg@example.com", order_number="500001", postcode="99999"),
    "other-email": dict(name="Kim Berg", email="k.berg@example.org", order_number="500001", postcode="20095"),
}


def _unproven_case(shop, kind) -> str:
    customer_client(shop)  # Kim has an account
    open_case(customer_client(shop), email_case("zahlung", message="Eine echte frühere Frage von Kim."))
    return open_case(shop.test_client(), email_case("lieferung-nicht-erhalten", message="Zugestellt, aber nicht da.",
                                                    desired_outcome="ersatz", **UNPROVEN[kind]))


def _page(agent, number, template=None) -> str:
    url = f"/agent/anfrage/{number}" + (f"?vorlage={template}" if template else "")
    response = agent.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _api_entry(agent, shop, number) -> dict:
    with shop.app_context():
        queue = db.session.scalar(select(Case.queue).where(Case.number == number))
    cases = agent.get(f"/api/agent/cases?queue={queue}").get_json()["cases"]
    return next(c for c in cases if c["case_number"] == number)


def _verify(agent, number, note="Rückruf unter der Nummer aus der Bestellung, Angaben stimmen."):
    token = csrf_token_from(agent, f"/agent/anfrage/{number}")
    return agent.post(f"/agent/anfrage/{number}/verifizieren", data={"csrf_token": token, "note": note})


@pytest.mark.parametrize("kind", list(UNPROVEN))
def test_an_unproven_case_shows_no_order_data_until_the_agent_verifies(shop, kind):
    number = _unproven_case(shop, kind)
    agent = agent_client(shop)

    for page in (_page(agent, number), _page(agent, number, "sendung"), _page(agent, number, "neuversand")):
        for data in ORDER_DATA:
            assert data not in page, data
        assert "nicht verifiziert" in page and 'data-verify' in page
        assert "Bestellung (nicht bestätigt)" in page
    reply = _page(agent, number, "sendung")
    # Without a verified order the shipment template promises nothing about the parcel.
    assert "den aktuellen Stand Ihrer Bestellung {order_number}" in reply and "{tracking_url}" in reply
    entry = _api_entry(agent, shop, number)
    assert entry["verified"] is False and entry["order_number"] == "500001"  # as the customer typed it
    assert not any(data in str(entry) for data in ORDER_DATA)

    done = _verify(agent, number)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/agent/anfrage/{number}")

    page = _page(agent, number)
    assert "Kunde verifiziert. Bestelldaten und Verlauf sind jetzt sichtbar." in page
    assert 'data-verify' not in page and "Bestellung (nicht bestätigt)" not in page
    for data in ("Steppjacke", "00340434165000000001", "Zugestellt an Nachbar Meier", 'data-order="500001"',
                 'data-order="500002"', "data-case-order", "data-earlier", "data-suggestion"):
        assert data in page, data
    audit = page.split("data-audit")[1]
    assert 'data-event="verify"' in audit and "Kunde verifiziert" in audit and "Jonas Weber" in audit
    assert "Rückruf unter der Nummer aus der Bestellung" in audit
    reply = _page(agent, number, "sendung")
    # Verified, it says what the parcel really did (500001 was delivered), never "unterwegs".
    assert "laut Zusteller wurde Ihre Bestellung 500001 am" in reply and "piececode=00340434165000000001" in reply
    assert "ist unterwegs" not in reply
    assert _api_entry(agent, shop, number)["verified"] is True
    with shop.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        kim = db.session.scalar(select(Customer).where(Customer.external_id == "K-1"))
        assert case.verified is True and case.order.number == "500001" and case.customer_id == kim.id
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        assert [(e.kind, e.actor.email) for e in events] == [("verify", AGENT[0])]


def test_verifying_twice_is_refused_and_recorded_once(shop):
    number = _unproven_case(shop, "wrong-postcode")
    agent = agent_client(shop)
    assert _verify(agent, number).status_code == 302
    again = _verify(agent, number)
    assert again.status_code == 302
    assert "schon verifiziert" in agent.get(again.headers["Location"]).get_data(as_text=True)
    with shop.app_context():
        assert len(db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "verify")).all()) == 1


@pytest.mark.parametrize("who, with_token, status", [
    ("anonymous", True, 302), ("customer", True, 403), ("agent", False, 400),
])
def test_only_an_agent_with_a_csrf_token_verifies(shop, who, with_token, status):
    number = _unproven_case(shop, "other-email")
    client = {"anonymous": shop.test_client, "customer": lambda: customer_client(shop),
              "agent": lambda: agent_client(shop)}[who]()
    data = {"note": "x", **({"csrf_token": csrf_token_from(client, "/")} if with_token else {})}
    response = client.post(f"/agent/anfrage/{number}/verifizieren", data=data)
    assert response.status_code == status
    if who == "anonymous":
        assert "/anmelden" in response.headers["Location"]
    with shop.app_context():
        assert db.session.scalar(select(Case.verified).where(Case.number == number)) is False
        assert db.session.scalars(select(CaseEvent)).all() == []


def test_a_proven_case_needs_no_verification(shop):
    number = open_case(shop.test_client(), email_case("lieferung-nicht-erhalten", message="Zugestellt, aber nicht da.",
                                                      name="Kim Berg", email="kim.berg@example.com",
                                                      order_number="500001", postcode="20095"))
    page = _page(agent_client(shop), number)
    assert "data-verify" not in page and "Steppjacke" in page and 'data-case-order' in page
