"""Every way a guest proves an order — tracking page, returns page, tracking API, contact form, case API,
withdrawal — draws on one budget per address: guesses spent in one flow are missing in all others.
Signed-in customers are not counted and not stopped."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.cases.models import Case
from app.extensions import db
from tests.agent_helpers import clock, customer_client, post_json, shop  # noqa: F401
from tests.conftest import csrf_token_from

TOO_MANY = "Zu viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es dann erneut."
BUDGET_PER_MINUTE = 10


def _tracking_page(client, postcode):
    token = csrf_token_from(client, "/sendungsverfolgung")
    return client.post("/sendungsverfolgung", data={"order_number": "500001", "postcode": postcode, "csrf_token": token})


def _returns_page(client, postcode):
    token = csrf_token_from(client, "/retouren")
    return client.post("/retouren", data={"order_number": "500001", "postcode": postcode, "csrf_token": token})


def _tracking_api(client, postcode):
    return client.post("/api/tracking/lookup", json={"order_number": "500001", "postcode": postcode})


def _contact_form(client, postcode):
    token = csrf_token_from(client, "/kontakt")
    return client.post("/kontakt", data={
        "csrf_token": token, "topic": "lieferung", "message": "Wann kommt meine Bestellung denn an?",
        "channel": "email", "name": "Kim Berg", "email": "kim.berg@example.com", "order_number": "500001",
        "postcode": postcode})


def _case_api(client, postcode):
    return post_json(client, "/api/cases", {
        "topic": "lieferung", "message": "Wann kommt meine Bestellung denn an?", "channel": "email",
        "name": "Kim Berg", "email": "kim.berg@example.com", "order_number": "500001", "postcode": postcode})


def _withdrawal(client, postcode):
    # The withdrawal form names the order by number and e-mail; the postcode plays no part.
    token = csrf_token_from(client, "/widerruf")
    return client.post("/widerruf", data={"csrf_token": token, "order_number": "500001", "name": "Kim Berg",
                                          "email": f"kim.{postcode}@example.com"})


FLOWS = {"tracking-page": _tracking_page, "returns-page": _returns_page, "tracking-api": _tracking_api,
         "contact-form": _contact_form, "case-api": _case_api, "withdrawal": _withdrawal}
JSON_FLOWS = ("tracking-api", "case-api")


@pytest.mark.parametrize("spent_in", list(FLOWS))
def test_guesses_in_one_flow_use_up_the_budget_of_every_other(shop, spent_in):
    guest = shop.test_client()
    statuses = [FLOWS[spent_in](guest, f"9{i:04d}").status_code for i in range(BUDGET_PER_MINUTE)]
    assert 429 not in statuses and 500 not in statuses
    for name, flow in FLOWS.items():
        refused = flow(shop.test_client(), "20095")  # even the right postcode, from this address
        assert refused.status_code == 429, name
        if name in JSON_FLOWS:
            assert refused.get_json()["error"]["code"] in ("rate_limited", "too_many_requests"), name
        else:
            assert TOO_MANY in refused.get_data(as_text=True), name
    with shop.app_context():
        cases = db.session.scalar(select(func.count()).select_from(Case))
    assert cases == (BUDGET_PER_MINUTE if spent_in in ("contact-form", "case-api") else 0)


def test_a_signed_in_customer_is_not_counted_nor_stopped(shop):
    guest = shop.test_client()
    for i in range(BUDGET_PER_MINUTE):
        _tracking_api(guest, f"9{i:04d}")
    assert _contact_form(shop.test_client(), "20095").status_code == 429
    kim = customer_client(shop)  # the same address (the test client's), signed in
    token = csrf_token_from(kim, "/kontakt")
    form = kim.post("/kontakt", data={"csrf_token": token, "topic": "lieferung", "order_number": "500001",
                                      "message": "Wann kommt meine Bestellung denn an?", "channel": "email",
                                      "postcode": "20095"})
    assert form.status_code == 302
    api = post_json(kim, "/api/cases", {"topic": "lieferung", "message": "Und die andere Bestellung?",
                                        "channel": "email", "order_number": "500002", "postcode": "20095"})
    assert api.status_code == 201 and api.get_json()["verified"] is True
    assert kim.get("/sendungsverfolgung/500001").status_code == 200
    token = csrf_token_from(kim, "/widerruf")
    withdrawal = kim.post("/widerruf", data={"csrf_token": token, "order_number": "500001", "name": "Kim Berg",
                                             "email": "kim.berg@example.com"})
    assert withdrawal.status_code == 200


@pytest.mark.parametrize("flow, body", [
    ("contact-form", {"order_number": "500001"}),
    ("contact-form", {"postcode": "20095"}),
    ("contact-form", {}),
    ("case-api", {"order_number": "500001"}),
    ("case-api", {"postcode": "20095"}),
    ("case-api", {"order_number": "", "postcode": "20095"}),
], ids=["form-number-only", "form-postcode-only", "form-neither", "api-number-only", "api-postcode-only",
        "api-empty-number"])
def test_a_guest_who_names_no_order_is_not_counted(shop, flow, body):
    for i in range(BUDGET_PER_MINUTE):
        _tracking_api(shop.test_client(), f"9{i:04d}")
    client = shop.test_client()
    base = {"topic": "sonstiges", "message": "Eine allgemeine Frage zum Versand.", "channel": "email",
            "name": "Kim Berg", "email": "kim.berg@example.com"}
    if flow == "contact-form":
        response = client.post("/kontakt", data={"csrf_token": csrf_token_from(client, "/kontakt"), **base, **body})
        assert response.status_code == 302
    else:
        response = post_json(client, "/api/cases", {**base, **body})
        assert response.status_code == 201
