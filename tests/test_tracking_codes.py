"""Issue #12: the carriers' event codes decide what a scan means, not only its status and wording.

A scan may carry its carrier's code (`code` in the shop import and the carrier webhook). A documented code of that
carrier decides the advice on the tracking page even when the German text says something else; an unknown code
(or a carrier's generic one) leaves the reading to the wording as before. The code is not part of a scan's
identity: the same scan sent again with its code is a duplicate that gets the code.
"""
import datetime as dt
import hashlib
import hmac
import html
import json
import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.shop.cli import apply_import
from app.shop.models import Shipment, ShipmentEvent
from app.tracking import scans
from tests.conftest import FIXTURE_CONTENT, _base_config, login
from tests.shop_factory import customer, document, event, order, shipment

DAY = dt.date(2026, 11, 16)
SECRET = "webhook-geheimnis"
TRACKING = "00340434167777777777"

ADDRESS = "weil die Anschrift unvollständig ist"
REFUSED = "Die Annahme des Pakets wurde verweigert."
RETURNED = "Ihr Paket ist auf dem Weg zurück zu uns."
PICKUP = "Ihr Paket liegt abholbereit"
DEPOT = "Ihr Paket liegt beim Zusteller im Depot."
NOT_MET = "Der Zusteller hat Sie nicht angetroffen. Meist liegt eine Benachrichtigungskarte"
ON_TIME = "Alles im Plan"


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    """The tracking page sees Monday 16 November: scans from the days before are recent, windows still ahead."""
    monkeypatch.setattr("app.tracking.views.shop_today", lambda: DAY)


def coded(day, status, text, code, hour=10):
    return {**event(day, status, text, hour=hour), "code": code}


# --- the reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize("carrier,code,text,meaning", [
    ("GLS", "18", "Die Zustellung war nicht möglich.", scans.ADDRESS_INCOMPLETE),
    ("GLS", "017", "Der Empfänger wurde nicht angetroffen.", scans.REFUSED),  # leading zero, misleading text
    ("GLS", "56", "Scan", scans.AT_PICKUP_POINT),
    ("GLS", "12", "Die Sendung wurde im Depot eingelagert.", scans.NOT_MET),
    ("UPS", "RS", "Das Paket ist unterwegs.", scans.RETURNED_TO_SENDER),
    ("UPS", "rs", "Scan", scans.RETURNED_TO_SENDER),
    ("Hermes", "RETURN_TO_SENDER", "Die Sendung wurde im Depot eingelagert.", scans.RETURNED_TO_SENDER),
    ("Hermes", "READY_FOR_COLLECTION", "Die Sendung ist unterwegs.", scans.AT_PICKUP_POINT),
    ("DPD", "ParcelShop", "Der Empfänger wurde nicht angetroffen.", scans.AT_PICKUP_POINT),
    ("DPD", "Warehouse", "Zustellung nicht möglich.", scans.HELD_AT_DEPOT),
])
def test_a_documented_code_decides_over_the_wording(carrier, code, text, meaning):
    assert scans.meaning(text, code, carrier) == meaning


@pytest.mark.parametrize("carrier,code,text,meaning", [
    ("GLS", "999", "Die Anschrift ist unvollständig.", scans.ADDRESS_INCOMPLETE),   # unknown code
    ("DHL", "failure", "Der Empfänger wurde nicht angetroffen.", scans.NOT_MET),    # DHL's generic statusCode
    ("UPS", "X", "Die Annahme wurde verweigert.", scans.REFUSED),                   # UPS's generic exception
    ("Hermes", "DELIVERY_FAILED", "Zustellung nicht möglich.", None),               # says no reason
    ("Hermes", "RS", "Die Sendung wird an den Absender zurückgeschickt.", scans.RETURNED_TO_SENDER),  # UPS's code
    ("GLS", None, "Die Annahme wurde verweigert.", scans.REFUSED),                  # no code: as before
    ("GLS", "17", "Scan", scans.REFUSED),
    (None, "17", "Scan", None),                                                     # no carrier, no table
])
def test_an_unknown_or_generic_code_leaves_it_to_the_wording(carrier, code, text, meaning):
    assert scans.meaning(text, code, carrier) == meaning


# --- the tracking page ---------------------------------------------------------------------------

def _advice(page: str) -> str:
    """The "So geht es weiter" box as the customer reads it (the timeline below repeats the carrier's text)."""
    box = re.search(r'<section class="advice[^"]*"[^>]*>(.*?)</section>', page, re.S)
    assert box, page
    return html.unescape(re.sub(r"<[^>]+>", " ", box.group(1)))


def _page(app, client, make_user, parcel, number="200100"):
    """The advice on the signed-in customer's tracking page for an order with this one parcel."""
    with app.app_context():
        apply_import(document([customer()], [order(number, placed=DAY - dt.timedelta(days=4), shipments=[parcel])]))
    make_user(customer_ref="K-1")
    login(client)
    response = client.get(f"/sendungsverfolgung/{number}")
    assert response.status_code == 200
    return _advice(response.get_data(as_text=True))


@pytest.mark.parametrize("carrier,status,text,code,says,never", [
    # GLS: "not possible" says nothing; code 18 is "address information needed".
    ("GLS", "delivery_failed", "Die Zustellung war nicht möglich.", "18", ADDRESS, "nicht angetroffen"),
    # GLS: the text claims a missed recipient, code 17 says the parcel was refused.
    ("GLS", "delivery_failed", "Der Empfänger wurde nicht angetroffen.", "17", REFUSED, "nicht angetroffen"),
    # DPD: the driver's text says nobody was home, the code says the parcel is held at the warehouse.
    ("DPD", "delivery_failed", "Der Empfänger wurde nicht angetroffen.", "Warehouse", DEPOT, "Benachrichtigungskarte"),
    # Hermes: a failed attempt whose text reads like "on the way"; the code says it goes back to the sender.
    ("Hermes", "delivery_failed", "Die Sendung ist unterwegs.", "RETURN_TO_SENDER", RETURNED, "nicht angetroffen"),
    # UPS: the text mentions an Access Point, the code says: returned to shipper.
    ("UPS", "delivery_failed", "Zustellung an UPS Access Point geplant.", "RS", RETURNED, "Abholstelle"),
])
def test_a_failed_attempt_is_advised_by_the_carriers_code(app, client, make_user, carrier, status, text, code,
                                                          says, never):
    page = _page(app, client, make_user, shipment("T-CODE-1", status, [
        event(DAY - dt.timedelta(days=2), "in_transit"), coded(DAY - dt.timedelta(days=1), status, text, code)],
        carrier=carrier))
    assert says in page and never not in page


@pytest.mark.parametrize("carrier,code,text,says", [
    # The shop still reports "in_transit", but the code shows the parcel is going back or was refused …
    ("UPS", "RS", "Das Paket ist unterwegs.", RETURNED),
    ("GLS", "40", "Die Sendung ist im Paketzentrum.", RETURNED),
    ("GLS", "17", "Die Sendung ist im Paketzentrum.", REFUSED),
    ("Hermes", "RETURN", "Die Sendung ist unterwegs.", RETURNED),
    # … or waits at a pickup point already,
    ("Hermes", "READY_FOR_COLLECTION", "Die Sendung ist unterwegs.", PICKUP),
    ("DPD", "ParcelShop", "Die Sendung ist unterwegs.", PICKUP),
    ("GLS", "56", "Die Sendung ist unterwegs.", PICKUP),
    # … or is held at the depot, or nobody was met.
    ("GLS", "6", "Die Sendung ist im Paketzentrum.", DEPOT),
    ("GLS", "12", "Die Sendung ist im Paketzentrum.", NOT_MET),
])
def test_a_code_shows_a_parcel_on_the_way_is_not_coming_as_planned(app, client, make_user, carrier, code, text, says):
    page = _page(app, client, make_user, shipment("T-CODE-2", "in_transit", [
        event(DAY - dt.timedelta(days=2), "in_transit"), coded(DAY - dt.timedelta(days=1), "in_transit", text, code)],
        carrier=carrier, promised=(DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))))
    assert says in page and ON_TIME not in page and "kommt voraussichtlich" not in page


def test_a_pickup_point_scan_before_the_carrier_has_it_is_the_drop_off(app, client, make_user):
    page = _page(app, client, make_user, shipment("T-CODE-7", "label_created", [
        coded(DAY - dt.timedelta(days=1), "label_created", "Scan", "ParcelShop")], carrier="DPD",
        promised=(DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))))
    assert ON_TIME in page and PICKUP not in page


def test_a_pickup_code_names_the_pickup_place(app, client, make_user):
    page = _page(app, client, make_user, shipment("T-CODE-3", "in_transit", [
        coded(DAY - dt.timedelta(days=1), "in_transit", "Scan", "READY_FOR_COLLECTION")], carrier="Hermes",
        pickup_location="Hermes PaketShop, Kiosk am Markt 3", pickup_deadline=(DAY + dt.timedelta(days=5)).isoformat()))
    assert "Ihr Paket liegt abholbereit: Hermes PaketShop, Kiosk am Markt 3." in page


def test_a_pickup_that_went_back_to_the_sender_is_no_pickup(app, client, make_user):
    page = _page(app, client, make_user, shipment("T-CODE-4", "ready_for_pickup", [
        coded(DAY - dt.timedelta(days=1), "ready_for_pickup", "Die Sendung liegt im PaketShop.", "RETURN_TO_SENDER")],
        carrier="Hermes"))
    assert RETURNED in page and PICKUP not in page


@pytest.mark.parametrize("carrier,status,code,text,says", [
    # Unknown code: the wording decides, as before codes existed.
    ("GLS", "delivery_failed", "999", "Die Zustellung war nicht möglich, da die Anschrift unvollständig ist.", ADDRESS),
    # DHL documents no code that says why; its generic "failure" leaves the wording in charge.
    ("DHL", "delivery_failed", "failure", "Die Anschrift ist unvollständig. Die Anschrift wird geprüft.", ADDRESS),
    ("DHL", "delivery_failed", "failure", "Der Empfänger wurde nicht angetroffen.", NOT_MET),
    # A generic code on a parcel on the way changes nothing.
    ("UPS", "in_transit", "X", "Die Sendung wird an den Absender zurückgeschickt.", ON_TIME),
    ("GLS", "in_transit", "999", "Die Sendung ist unterwegs.", ON_TIME),
])
def test_unknown_codes_fall_back_to_the_wording(app, client, make_user, carrier, status, code, text, says):
    page = _page(app, client, make_user, shipment("T-CODE-5", status, [
        coded(DAY - dt.timedelta(days=1), status, text, code)], carrier=carrier,
        promised=(DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))))
    assert says in page


def test_only_codes_not_wording_overrule_a_parcel_on_the_way(app, client, make_user):
    # "Zustellbasis" or "Filiale" in an ordinary scan on the way is no depot and no pickup.
    page = _page(app, client, make_user, shipment("T-CODE-6", "in_transit", [
        event(DAY - dt.timedelta(days=1), "in_transit", "Die Sendung ist in der Zustellbasis eingetroffen.")],
        carrier="DHL", promised=(DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2))))
    assert ON_TIME in page and DEPOT not in page


# --- the carrier webhook -------------------------------------------------------------------------

@pytest.fixture
def hook_app(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_WEBHOOK_SECRET=SECRET)
    with app.app_context():
        apply_import(document([customer()], [order("400100", placed=DAY - dt.timedelta(days=4), shipments=[
            shipment(TRACKING, "in_transit", [event(DAY - dt.timedelta(days=1), "in_transit")], carrier="GLS")])]))
    return app


def _post(client, payload):
    body = json.dumps(payload).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/api/shipments/events", data=body, content_type="application/json",
                       headers={"X-Signature": "sha256=" + signature})


SCAN = {"time": "2026-11-17T09:30:00+01:00", "status": "delivery_failed", "location": "Hamburg",
        "text": "Die Zustellung war nicht möglich."}


def _events(app):
    with app.app_context():
        stored = db.session.scalar(select(Shipment).where(Shipment.tracking_number == TRACKING))
        return [(e.text, e.code) for e in stored.events]


def test_the_webhook_stores_the_code_and_the_page_follows_it(hook_app, make_user):
    client = hook_app.test_client()
    response = _post(client, {"tracking_number": TRACKING, "events": [{**SCAN, "code": "18"}]})
    assert response.status_code == 202 and response.get_json()["accepted"] == 1
    assert _events(hook_app)[-1] == ("Die Zustellung war nicht möglich.", "18")
    make_user(customer_ref="K-1")
    login(client)
    assert ADDRESS in _advice(client.get("/sendungsverfolgung/400100").get_data(as_text=True))


def test_a_flat_event_and_a_numeric_code_are_accepted(hook_app):
    response = _post(hook_app.test_client(), {"tracking_number": TRACKING, **SCAN, "code": 17})
    assert response.status_code == 202
    assert _events(hook_app)[-1][1] == "17"


def test_the_same_scan_sent_again_with_its_code_is_a_duplicate_that_gets_the_code(hook_app, make_user):
    client = hook_app.test_client()
    assert _post(client, {"tracking_number": TRACKING, "events": [SCAN]}).status_code == 202
    assert _events(hook_app)[-1] == ("Die Zustellung war nicht möglich.", None)
    again = _post(client, {"tracking_number": TRACKING, "events": [{**SCAN, "code": " 17 "}]})
    assert again.status_code == 200 and again.get_json()["accepted"] == 0 and again.get_json()["duplicates"] == 1
    assert _events(hook_app) == [("Scan", None), ("Die Zustellung war nicht möglich.", "17")]
    # Sent once more without a code, or with another one, the scan keeps its first code.
    for payload in (SCAN, {**SCAN, "code": "18"}):
        assert _post(client, {"tracking_number": TRACKING, "events": [payload]}).status_code == 200
    assert _events(hook_app) == [("Scan", None), ("Die Zustellung war nicht möglich.", "17")]
    make_user(customer_ref="K-1")
    login(client)
    assert REFUSED in _advice(client.get("/sendungsverfolgung/400100").get_data(as_text=True))


def test_events_without_code_behave_as_before(hook_app):
    response = _post(hook_app.test_client(), {"tracking_number": TRACKING, "events": [{**SCAN, "code": ""}]})
    assert response.status_code == 202
    assert _events(hook_app)[-1] == ("Die Zustellung war nicht möglich.", None)


@pytest.mark.parametrize("code", ["X" * 41, 10 ** 41, ["17"], {"gls": "17"}, 1.5, True, "a\x85b", "17\n18", "1\t7"])
def test_odd_codes_are_a_422_naming_the_field_and_store_nothing(hook_app, code):
    response = _post(hook_app.test_client(), {"tracking_number": TRACKING, "events": [{**SCAN, "code": code}]})
    assert response.status_code == 422, code
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and "events.0.code" in error["fields"], (code, error)
    assert len(_events(hook_app)) == 1


@pytest.mark.parametrize("code", ["17\x00", "RS\x7f"])
def test_nul_and_del_in_a_code_are_refused_at_the_door(hook_app, code):
    # As in every JSON body (app.core.requests): a 400 in the one error shape before the schema runs.
    response = _post(hook_app.test_client(), {"tracking_number": TRACKING, "events": [{**SCAN, "code": code}]})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_characters"
    assert len(_events(hook_app)) == 1


# --- the shop import -----------------------------------------------------------------------------

def _import_doc(code_value=None):
    scan = event(DAY - dt.timedelta(days=1), "delivery_failed", "Die Zustellung war nicht möglich.")
    if code_value is not None:
        scan["code"] = code_value
    return document([customer()], [order("500100", placed=DAY - dt.timedelta(days=4), shipments=[
        shipment("T-IMPORT-1", "delivery_failed", [event(DAY - dt.timedelta(days=2), "in_transit"), scan],
                 carrier="GLS")])])


def test_the_import_stores_the_code_and_a_later_code_updates_the_scan(app, client, make_user):
    with app.app_context():
        first = apply_import(_import_doc())
        assert (first.created, first.errors) == (2, [])
        assert apply_import(_import_doc()).unchanged == 2
        coded_again = apply_import(_import_doc("20"))
        assert (coded_again.updated, coded_again.unchanged) == (1, 1)
        assert apply_import(_import_doc("20")).unchanged == 2
        scans_stored = db.session.scalars(select(ShipmentEvent).order_by(ShipmentEvent.occurred_at)).all()
        assert [(e.status, e.code) for e in scans_stored] == [("in_transit", None), ("delivery_failed", "20")]
    make_user(customer_ref="K-1")
    login(client)
    assert ADDRESS in _advice(client.get("/sendungsverfolgung/500100").get_data(as_text=True))


def test_the_cli_import_reads_the_code(app, tmp_path):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(_import_doc("17")), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["shop", "import", str(path)])
    assert result.exit_code == 0 and "2 created" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(ShipmentEvent.code).where(ShipmentEvent.code.is_not(None))) == "17"


@pytest.mark.parametrize("code,message", [
    ("X" * 41, "'code' is too long or contains control characters"),
    ("17\x00", "'code' is too long or contains control characters"),
    (["17"], "'code' must be text"),
    (1.5, "'code' must be text"),
])
def test_the_import_skips_a_record_with_an_odd_code(app, code, message):
    with app.app_context():
        report = apply_import(_import_doc(code))
        assert report.errors == [("orders[0]", f"shipments[0].events[1]: {message}")]
        assert db.session.scalar(select(sa.func.count()).select_from(ShipmentEvent)) == 0


# --- the migration -------------------------------------------------------------------------------

def test_the_migration_adds_the_column_and_keeps_existing_scans(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app(_base_config(url, FIXTURE_CONTENT, tmp_path / "index"))
    with app.app_context():
        upgrade(revision="0011")
        db.engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO customer (id, external_id, email, first_name, last_name, created_at, updated_at) "
                "VALUES (1, 'K-1', 'kim@example.com', 'Kim', 'Berg', '2026-11-01', '2026-11-01')"))
            conn.execute(sa.text(
                "INSERT INTO shop_order (id, number, customer_id, placed_at, status, total_cents, currency, "
                "payment_method, ship_name, ship_street, ship_postcode, ship_city, ship_country, updated_at) VALUES "
                "(1, '600100', 1, '2026-11-01', 'shipped', 100, 'EUR', 'paypal', 'Kim', 'Weg 1', '20095', 'Hamburg', "
                "'DE', '2026-11-01')"))
            conn.execute(sa.text(
                "INSERT INTO shipment (id, order_id, carrier, tracking_number, status, updated_at) "
                "VALUES (1, 1, 'GLS', 'T-OLD-1', 'in_transit', '2026-11-01')"))
            conn.execute(sa.text(
                "INSERT INTO shipment_event (shipment_id, occurred_at, status, text, fingerprint, received_at) "
                "VALUES (1, '2026-11-02', 'in_transit', 'Im Paketzentrum', 'f1', '2026-11-02')"))
        upgrade()
        db.engine.dispose()
        assert "code" in {c["name"] for c in sa.inspect(db.engine).get_columns("shipment_event")}
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT text, code FROM shipment_event")).all() == [("Im Paketzentrum", None)]
        downgrade(revision="0011")
        db.engine.dispose()
        assert "code" not in {c["name"] for c in sa.inspect(db.engine).get_columns("shipment_event")}
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT text FROM shipment_event")).all() == [("Im Paketzentrum",)]


def test_the_openapi_document_describes_the_code(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    code = schemas["EventRecord"]["properties"]["code"]
    assert "carrier's own event code" in code["description"] and {"type": "string", "maxLength": 40} in code["anyOf"]
    assert "code" not in schemas["EventRecord"].get("required", [])
