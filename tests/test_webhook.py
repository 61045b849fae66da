"""POST /api/shipments/events: signed carrier events, stored once, customers told if they asked."""
import datetime as dt
import hashlib
import hmac
import json

import pytest

from app.extensions import db
from app.shop.cli import apply_import
from app.shop.models import Shipment
from tests.shop_factory import customer, document, event, order, shipment

SECRET = "webhook-geheimnis"
TRACKING = "00340434169999999999"


@pytest.fixture
def hook_app(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_WEBHOOK_SECRET=SECRET)
    with app.app_context():
        apply_import(document([customer()], [order("400001", shipments=[
            shipment(TRACKING, "in_transit", [event(dt.date(2026, 11, 16), "in_transit")])])]))
    return app


def post(client, payload, secret=SECRET, prefix="sha256="):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/api/shipments/events", data=body, content_type="application/json",
                       headers={"X-Signature": prefix + signature})


EVENT = {"time": "2026-11-17T09:30:00+01:00", "status": "out_for_delivery", "location": "Hamburg",
         "text": "Die Sendung wurde in das Zustellfahrzeug geladen."}


def test_signed_event_is_stored_once_and_moves_the_status(hook_app):
    client = hook_app.test_client()
    first = post(client, {"tracking_number": TRACKING, "events": [EVENT]})
    assert first.status_code == 202 and first.get_json()["accepted"] == 1
    again = post(client, {"tracking_number": TRACKING, **EVENT})
    assert again.status_code == 200 and again.get_json() == {"tracking_number": TRACKING, "accepted": 0,
                                                             "duplicates": 1, "status": "out_for_delivery"}
    with hook_app.app_context():
        stored = db.session.scalar(db.select(Shipment).where(Shipment.tracking_number == TRACKING))
        assert stored.status == "out_for_delivery" and len(stored.events) == 2


def test_bad_signature_is_401_and_changes_nothing(hook_app):
    client = hook_app.test_client()
    assert post(client, {"tracking_number": TRACKING, "events": [EVENT]}, secret="falsch").status_code == 401
    assert client.post("/api/shipments/events", json={"tracking_number": TRACKING, "events": [EVENT]}).status_code == 401
    with hook_app.app_context():
        assert len(db.session.scalar(db.select(Shipment)).events) == 1


def test_no_secret_configured_accepts_nothing(make_app, fixture_index):
    client = make_app(index_dir=fixture_index).test_client()
    assert post(client, {"tracking_number": TRACKING, "events": [EVENT]}, secret="").status_code == 401


def test_unknown_tracking_number_is_404(hook_app):
    response = post(hook_app.test_client(), {"tracking_number": "GIBTESNICHT", "events": [EVENT]})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_tracking_number"


@pytest.mark.parametrize("payload", [
    [1, 2], {"events": [EVENT]}, {"tracking_number": TRACKING, "events": []},
    {"tracking_number": TRACKING, "events": [{**EVENT, "status": "teleportiert"}]},
    {"tracking_number": TRACKING, "events": [{**EVENT, "time": "morgen"}]},
    {"tracking_number": TRACKING, "events": [{**EVENT, "text": "x" * 501}]},
])
def test_malformed_events_get_422_and_nothing_is_stored(hook_app, payload):
    response = post(hook_app.test_client(), payload)
    assert response.status_code == 422 and response.is_json
    with hook_app.app_context():
        assert len(db.session.scalar(db.select(Shipment)).events) == 1


def test_opted_in_customer_gets_a_status_mail_through_the_outbox(hook_app, make_user):
    from app.accounts.models import User
    from app.outbox.models import OutboxMessage

    with hook_app.app_context():
        user = User(email="kim.berg@example.com", name="Kim Berg", role="customer", notify_status_changes=True,
                    customer_id=db.session.scalar(db.select(Shipment)).order.customer_id)
        user.set_password("richtig-gutes-passwort")
        db.session.add(user)
        db.session.commit()
    client = hook_app.test_client()
    post(client, {"tracking_number": TRACKING, "events": [EVENT]})
    post(client, {"tracking_number": TRACKING, "events": [EVENT]})
    with hook_app.app_context():
        mails = db.session.scalars(db.select(OutboxMessage)).all()
        assert len(mails) == 1
        assert mails[0].recipient == "kim.berg@example.com"
        assert mails[0].subject == "Ihre Bestellung 400001: In Zustellung"
        assert "/sendungsverfolgung/400001" in mails[0].body
