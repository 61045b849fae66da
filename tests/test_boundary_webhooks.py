"""The carrier webhooks as tables of odd input: the signature first, then the body; a 4xx, never a 500, nothing stored.

POST /api/shipments/events (shop parcels), POST /api/returns/events (return parcels) and POST
/api/shipments/aftership (AfterShip's base64 signature; its odd bodies are tabled in tests/test_aftership_webhook.py).
"""
import datetime as dt
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ReturnEvent
from app.shop.cli import apply_import
from app.shop.models import Shipment, ShipmentEvent
from tests.conftest import login
from tests.shop_factory import customer, document, event, order, shipment
from tests.test_returns import jacket, post_return, shop  # noqa: F401  (fixture)

SECRET = "webhook-geheimnis"
TRACKING = "00340434168888888888"
EVENT = {"time": "2026-11-17T09:30:00+01:00", "status": "out_for_delivery", "location": "Hamburg",
         "text": "Die Sendung wurde in das Zustellfahrzeug geladen."}


def _sign(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _post(client, url, payload, signature=None, raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    signature = _sign(raw) if signature is None else signature
    if signature is not False:
        headers["X-Signature"] = signature
    return client.post(url, data=raw, headers=headers)


@pytest.fixture
def hook_app(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_WEBHOOK_SECRET=SECRET)
    with app.app_context():
        apply_import(document([customer()], [order("400001", shipments=[
            shipment(TRACKING, "in_transit", [event(dt.date(2026, 11, 16), "in_transit")])])]))
    return app


def _stored(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (ShipmentEvent, ReturnEvent, OutboxMessage))


def _valid_hex(raw: bytes) -> str:
    return hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


# Headers as they arrive: werkzeug hands non-ASCII header bytes to the app as latin-1 text.
BODY = json.dumps({"tracking_number": TRACKING, "events": [EVENT]}).encode()
SIGNATURES = [
    ("missing", False, 401),
    ("empty", "", 401),
    ("prefix only", "sha256=", 401),
    ("short", "sha256=00", 401),
    ("one short", "sha256=" + _valid_hex(BODY)[:-1], 401),
    ("one long", "sha256=" + _valid_hex(BODY) + "0", 401),
    ("not hex", "sha256=" + "z" * 64, 401),
    ("umlauts", "sha256=" + "ä" * 64, 401),
    ("latin-1 bytes", "sha256=" + "\xff" * 64, 401),
    ("non-ASCII beside hex", "sha256=" + _valid_hex(BODY)[:-1] + "é", 401),
    ("other secret", _sign(BODY, "falsch"), 401),
    ("sha1 label", "sha1=" + _valid_hex(BODY), 401),
    ("NUL", "sha256=\x00" + _valid_hex(BODY)[1:], 400),
    ("very long", "sha256=" + "a" * 8000, 401),
]


@pytest.mark.parametrize("url", ["/api/shipments/events", "/api/returns/events"])
def test_bad_signature_headers_are_refused_before_the_body_is_read(hook_app, url):
    client = hook_app.test_client()
    before = _stored(hook_app)
    for label, signature, status in SIGNATURES:
        response = _post(client, url, None, signature=signature, raw=BODY)
        assert response.status_code == status, label
        assert response.is_json, label
        if status == 401:
            assert response.get_json()["error"]["code"] == "invalid_signature", label
    # Not even malformed JSON is looked at without a valid signature.
    assert _post(client, url, None, signature="sha256=00", raw=b"{not json").status_code == 401
    assert _stored(hook_app) == before


AFTERSHIP_SIGNATURES = [
    ("missing", False, 401),
    ("empty", "", 401),
    ("our hex scheme", _sign(BODY), 401),
    ("not base64", "!" * 44, 401),
    ("short", "AAAA", 401),
    ("umlauts", "ä" * 44, 401),
    ("latin-1 bytes", "\xff" * 44, 401),
    ("NUL", "\x00" + "A" * 43, 400),
    ("very long", "A" * 8000, 401),
]


def test_bad_aftership_signature_headers_are_refused_before_the_body_is_read(hook_app):
    client = hook_app.test_client()
    hook_app.config["HELPCENTER_AFTERSHIP_WEBHOOK_SECRET"] = SECRET
    before = _stored(hook_app)
    for label, signature, status in AFTERSHIP_SIGNATURES:
        headers = {"Content-Type": "application/json"}
        if signature is not False:
            headers["aftership-hmac-sha256"] = signature
        response = client.post("/api/shipments/aftership", data=b"{not json", headers=headers)
        assert response.status_code == status and response.is_json, label
    assert _stored(hook_app) == before


def test_valid_signatures_in_either_spelling_are_accepted(hook_app):
    client = hook_app.test_client()
    upper = "SHA256=" + _valid_hex(BODY).upper()
    assert _post(client, "/api/shipments/events", None, signature=upper, raw=BODY).status_code == 202
    bare = json.dumps({"tracking_number": TRACKING, **EVENT, "text": "noch einmal"}).encode()
    assert _post(client, "/api/shipments/events", None, signature=" " + _valid_hex(bare) + " ",
                 raw=bare).status_code == 202


# Times a carrier cannot mean: each a 422 naming the field, never a 500 from a calendar overflow.
BAD_TIMES = ["0000-01-01T00:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
             "10000-01-01T00:00:00", "1999-12-31T22:59:59+00:00", "2100-01-01T00:00:00+00:00",
             "2500-06-01T12:00:00", "2026-13-01T00:00:00", "2026-11-17T25:00:00", "morgen", "", " ",
             1e20, 10 ** 20, 2 ** 64, 1732000000, 1.5, True, None, ["2026-11-17T09:30:00"], {"iso": "2026"},
             "2026-11-17T09:30:00+25:00", "2026-11-17T09:30:00\u202e"]


def test_shipment_event_times_out_of_range(hook_app):
    client = hook_app.test_client()
    before = _stored(hook_app)
    for value in BAD_TIMES:
        response = _post(client, "/api/shipments/events", {"tracking_number": TRACKING,
                                                            "events": [{**EVENT, "time": value}]})
        assert response.status_code == 422, value
        error = response.get_json()["error"]
        assert error["field"] == "events" and "events.0.time" in error["fields"], (value, error)
    assert _stored(hook_app) == before


def test_return_scan_times_out_of_range(shop, client):
    shop.config["HELPCENTER_WEBHOOK_SECRET"] = SECRET
    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    before = _stored(shop)
    for value in BAD_TIMES:
        response = _post(client, "/api/returns/events", {"return_number": number, "status": "in_transit",
                                                          "time": value})
        assert response.status_code == 422, value
        error = response.get_json()["error"]
        assert error["field"] == "time" and "time" in error["fields"], (value, error)
    assert _stored(shop) == before


def test_a_time_without_offset_is_shop_time(hook_app):
    client = hook_app.test_client()
    naive = _post(client, "/api/shipments/events", {"tracking_number": TRACKING,
                                                     "events": [{**EVENT, "time": "2026-11-17T09:30:00"}]})
    assert naive.status_code == 202
    # The same scan with its offset written out is the same instant: a duplicate, not a second event.
    aware = _post(client, "/api/shipments/events", {"tracking_number": TRACKING, "events": [EVENT]})
    assert aware.status_code == 200 and aware.get_json()["duplicates"] == 1
    utc = _post(client, "/api/shipments/events", {"tracking_number": TRACKING,
                                                   "events": [{**EVENT, "time": "2026-11-17T08:30:00Z"}]})
    assert utc.get_json()["duplicates"] == 1


def _deep(levels):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


SHIPMENT_BODIES = [
    ({"tracking_number": TRACKING + "\x00", "events": [EVENT]}, 400, None),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "text": "a\x00b"}]}, 400, None),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "location": "Ham\x1bburg"}]}, 400, None),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "text": "a\x85b"}]}, 422, "events.0.text"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "location": "Ham\x9bburg"}]}, 422, "events.0.location"),
    ({"tracking_number": 10 ** 30, "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": 2 ** 64, "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": 1.5, "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": [TRACKING], "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": {"n": TRACKING}, "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": "9" * 41, "events": [EVENT]}, 422, "tracking_number"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "status": ["delivered"]}]}, 422, "events.0.status"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "status": 7}]}, 422, "events.0.status"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "text": {"de": "x"}}]}, 422, "events.0.text"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "location": 2 ** 64}]}, 422, "events.0.location"),
    ({"tracking_number": TRACKING, "events": [{**EVENT, "text": "x" * 501}]}, 422, "events.0.text"),
    ({"tracking_number": TRACKING, "events": [EVENT] * 201}, 422, "events"),
    ({"tracking_number": TRACKING, "events": "EVENT"}, 422, "events"),
    ({"tracking_number": TRACKING, "events": [EVENT, "kein Objekt"]}, 422, "events.1"),
    ({"tracking_number": TRACKING, "events": []}, 422, "events"),
    ({"tracking_number": TRACKING, "events": _deep(30)}, 400, None),
    ({"tracking_number": TRACKING}, 422, "events"),
    ([EVENT], 422, "body"),
]


def test_odd_shipment_event_bodies(hook_app):
    client = hook_app.test_client()
    before = _stored(hook_app)
    for body, status, field in SHIPMENT_BODIES:
        response = _post(client, "/api/shipments/events", body)
        assert response.status_code == status, (field, response.get_json())
        if field:
            assert field in response.get_json()["error"]["fields"], (field, response.get_json())
    for raw in (b"", b"{", b"\xff\xfe", b"null", b'"text"', b"1e999"):
        assert _post(client, "/api/shipments/events", None, raw=raw).status_code in (400, 422), raw
    assert _stored(hook_app) == before
    with hook_app.app_context():
        assert db.session.scalar(select(Shipment)).status == "in_transit"


def test_odd_return_scan_bodies(shop, client):
    shop.config["HELPCENTER_WEBHOOK_SECRET"] = SECRET
    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    scan = {"return_number": number, "status": "in_transit", "time": "2026-11-17T09:12:00+01:00"}
    before = _stored(shop)
    for change, status, field in [
        ({"return_number": number + "\x00"}, 400, None),
        ({"status": "in_\x00transit"}, 400, None),
        ({"location": "Alt\x1bona"}, 400, None),
        ({"location": "Alt\x85ona"}, 422, "location"),
        ({"return_number": 5}, 422, "return_number"),
        ({"return_number": 2 ** 64}, 422, "return_number"),
        ({"return_number": [number]}, 422, "return_number"),
        ({"status": {"s": "in_transit"}}, 422, "status"),
        ({"status": 1.5}, 422, "status"),
        ({"location": 10 ** 30}, 422, "location"),
        ({"location": "x" * 201}, 422, "location"),
        ({"return_number": "R" * 10_000}, 422, "return_number"),
        ({"return_number": "R-2026-999999"}, 404, None),
        ({"status": "refunded"}, 409, None),
    ]:
        response = _post(client, "/api/returns/events", {**scan, **change})
        assert response.status_code == status, (change, response.get_json())
        if field:
            assert response.get_json()["error"]["field"] == field
    assert _post(client, "/api/returns/events", {"return_number": number, "x": _deep(30)}).status_code == 400
    assert _post(client, "/api/returns/events", ["nope"]).status_code == 422
    assert _stored(shop) == before
