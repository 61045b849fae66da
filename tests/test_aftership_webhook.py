"""POST /api/shipments/aftership: AfterShip Tracking's webhook, signed as AfterShip signs it, stored once."""
import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ReturnRequest
from app.shop.cli import apply_import
from app.shop.models import Order, Shipment
from tests.conftest import login
from tests.shop_factory import customer, document, event, order, shipment

SECRET = "aftership-webhook-secret"
URL = "/api/shipments/aftership"
NUMBER = "H1000000000001"
FIXTURES = Path(__file__).parent / "fixtures" / "carriers" / "aftership"


def example(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign(raw: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def post(client, raw: bytes, signature: str | None = "sign"):
    headers = {} if signature is None else {"aftership-hmac-sha256": sign(raw) if signature == "sign" else signature}
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


@pytest.fixture
def hook_app(make_app, fixture_index, make_user):
    app = make_app(index_dir=fixture_index, HELPCENTER_AFTERSHIP_WEBHOOK_SECRET=SECRET)
    with app.app_context():
        apply_import(document([customer()], [order("800001", shipments=[
            shipment(NUMBER, "in_transit", [event(dt.date(2026, 11, 16), "in_transit", "Eingeliefert")],
                     carrier="Hermes")])]))
    user_id = make_user(customer_ref="K-1")
    with app.app_context():
        from app.accounts.models import User

        db.session.get(User, user_id).notify_status_changes = True
        db.session.commit()
    return app


def stored(app):
    with app.app_context():
        found = db.session.scalar(select(Shipment).where(Shipment.tracking_number == NUMBER))
        return found.status, [(e.status, e.text, e.location, e.code) for e in found.events]


def mails(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_the_documented_example_is_stored_once(hook_app):
    client = hook_app.test_client()
    first = post(client, example("tracking_update.json"))
    assert first.status_code == 202
    assert first.get_json() == {"tracking_number": NUMBER, "accepted": 1, "duplicates": 0, "status": "in_transit"}
    again = post(client, example("tracking_update.json"))
    assert again.status_code == 200 and again.get_json()["duplicates"] == 1
    status, events = stored(hook_app)
    assert status == "in_transit" and len(events) == 2
    assert events[-1] == ("in_transit", "Die Sendung wurde im Hermes Logistikzentrum sortiert.", "Hamburg",
                          "InTransit_001")
    assert mails(hook_app) == 0  # no new status, no mail


def test_an_exception_subtag_decides_the_advice(hook_app):
    client = hook_app.test_client()
    response = post(client, example("exception_returning.json"))
    assert response.status_code == 202 and response.get_json()["accepted"] == 2
    status, events = stored(hook_app)
    assert status == "delivery_failed" and events[-1][2:] == ("Hamburg", "Exception_010")
    assert mails(hook_app) == 1
    assert post(client, example("exception_returning.json")).status_code == 200
    assert mails(hook_app) == 1
    login(client)
    # The text says only "nicht zugestellt"; AfterShip's subtag says it goes back to the sender.
    assert client.get("/api/orders/800001/tracking").get_json()["advice"]["state"] == "returned"


def test_delivered_and_the_mail_once(hook_app):
    client = hook_app.test_client()
    assert post(client, example("delivered.json")).status_code == 202
    assert stored(hook_app)[0] == "delivered" and mails(hook_app) == 1
    assert post(client, example("delivered.json")).status_code == 200 and mails(hook_app) == 1


@pytest.mark.parametrize("tag,subtag,status", [
    ("InfoReceived", "InfoReceived_001", "label_created"),
    ("OutForDelivery", "OutForDelivery_001", "out_for_delivery"),
    ("AvailableForPickup", "AvailableForPickup_001", "ready_for_pickup"),
    ("AttemptFail", "AttemptFail_002", "delivery_failed"),
    ("Exception", "Exception_004", "in_transit"),
    ("Exception", "Exception_011", "returned"),
    ("Exception", "Exception_012", "damaged"),
    ("Exception", "Exception_013", "lost"),
])
def test_tags_and_subtags_become_our_statuses(hook_app, tag, subtag, status):
    checkpoint = {"checkpoint_time": "2026-11-18T10:00:00+01:00", "message": "Statusmeldung", "tag": tag,
                  "subtag": subtag}
    body = {"event": "tracking_update",
            "msg": {"tracking_number": NUMBER, "tag": tag, "subtag": subtag, "checkpoints": [checkpoint]}}
    response = post(hook_app.test_client(), json.dumps(body).encode())
    assert response.status_code == 202 and response.get_json()["status"] == status


def test_an_expired_checkpoint_is_no_scan(hook_app):
    body = {"event": "tracking_update", "msg": {"tracking_number": NUMBER, "tag": "Expired", "checkpoints": [
        {"checkpoint_time": "2026-11-18T10:00:00", "tag": "Expired", "subtag": "Expired_001"}]}}
    response = post(hook_app.test_client(), json.dumps(body).encode())
    assert response.status_code == 200 and response.get_json()["accepted"] == 0


@pytest.mark.parametrize("signature", [None, "", "sign-with-wrong-secret", "not base64 !", "ÄÖÜ", "c2hvcnQ=",
                                       "sha256=" + "0" * 64])
def test_a_missing_or_wrong_signature_is_401_and_stores_nothing(hook_app, signature):
    raw = example("tracking_update.json")
    if signature == "sign-with-wrong-secret":
        signature = sign(raw, "falsch")
    response = post(hook_app.test_client(), raw, signature=signature)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_signature"
    assert len(stored(hook_app)[1]) == 1


def test_the_signature_is_over_the_raw_bytes(hook_app):
    raw = example("tracking_update.json")
    reformatted = json.dumps(json.loads(raw)).encode()
    response = post(hook_app.test_client(), reformatted, signature=sign(raw))
    assert response.status_code == 401


def test_no_secret_configured_accepts_nothing(make_app, fixture_index):
    client = make_app(index_dir=fixture_index).test_client()
    raw = example("tracking_update.json")
    assert post(client, raw, signature=sign(raw, "")).status_code == 401


def test_an_unknown_tracking_number_is_404(hook_app):
    raw = example("tracking_update.json").replace(NUMBER.encode(), b"GIBTESNICHT")
    response = post(hook_app.test_client(), raw)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_tracking_number"


def test_a_return_parcel_moves_its_return_on(hook_app):
    with hook_app.app_context():
        order_row = db.session.scalar(select(Order).where(Order.number == "800001"))
        db.session.add(ReturnRequest(number="R-800001", order_id=order_row.id, customer_id=order_row.customer_id,
                                     status="registered", resolution="refund", carrier="hermes",
                                     tracking_number="H2000000000002"))
        db.session.commit()
    client = hook_app.test_client()
    raw = example("delivered.json").replace(NUMBER.encode(), b"H2000000000002")
    response = post(client, raw)
    assert response.status_code == 202 and response.get_json()["status"] == "received"
    assert post(client, raw).status_code == 200
    with hook_app.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == "R-800001"))
        assert [e.status for e in ret.events] == ["in_transit", "received"]


def _deep(levels):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


CHECKPOINT = {"checkpoint_time": "2026-11-18T10:00:00", "message": "Zugestellt", "tag": "Delivered"}


@pytest.mark.parametrize("body,status", [
    ([1, 2], 422),
    ({"event": "tracking_update"}, 422),
    ({"msg": None}, 422),
    ({"msg": {"checkpoints": [CHECKPOINT]}}, 422),
    ({"msg": {"tracking_number": 10 ** 30}}, 404),  # a number as JSON number is read as text: not ours
    ({"msg": {"tracking_number": [NUMBER]}}, 422),
    ({"msg": {"tracking_number": "9" * 41}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": "keine"}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": ["kein Objekt"]}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "checkpoint_time": "morgen"}]}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "checkpoint_time": 1763456520}]}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "message": {"de": "x"}}]}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "tag": 7}]}}, 422),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [CHECKPOINT] * 201}}, 422),
    ({"msg": {"tracking_number": NUMBER + "\x00"}}, 400),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "message": "a\x00b"}]}}, 400),
    ({"msg": {"tracking_number": NUMBER, "x": _deep(30)}}, 400),
    # Long or odd carrier words are cut and cleaned, not refused: AfterShip would resend them for days.
    ({"msg": {"tracking_number": NUMBER, "checkpoints": [{**CHECKPOINT, "message": "x" * 5000,
                                                          "location": "Ham\x85burg"}]}}, 202),
    ({"msg": {"tracking_number": NUMBER, "checkpoints": None, "slug": None, "tag": None}}, 200),
])
def test_odd_bodies_get_a_4xx_never_a_500(hook_app, body, status):
    raw = json.dumps(body).encode()
    response = post(hook_app.test_client(), raw)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and ("error" in response.get_json()) == (status >= 400)


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b"\xff\xfe", b'{"msg": {"tracking_number": "H1"}} trailing'])
def test_broken_json_is_a_4xx(hook_app, raw):
    assert post(hook_app.test_client(), raw).status_code in (400, 422)
