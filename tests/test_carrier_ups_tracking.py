"""The UPS tracking adapter against a local fake answering in the shapes of UPS's published OpenAPI documents."""
import datetime as dt
import json
from pathlib import Path

import pytest

from app.carriers.base import CarrierNotAuthorised, CarrierRateLimited, CarrierUnavailable
from app.carriers.ups_tracking import UpsTracking, build
from app.config import ConfigError
from app.tracking import scans
from tests.fake_http import FakeHTTPService

FIXTURES = Path(__file__).parent / "fixtures" / "carriers" / "ups"
TOKEN = "/security/v1/oauth/token"
NUMBER = "1Z023E2X0214323462"
TRACK = f"/api/track/v1/details/{NUMBER}"


def answer(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        service.answer("POST", TOKEN, 200, json=answer("token.json"))
        yield service


def adapter(fake, **kwargs) -> UpsTracking:
    return UpsTracking(fake.url, "test-client", "test-secret", **kwargs)


def test_token_then_track_as_documented(fake):
    fake.answer("GET", TRACK, 200, json=answer("track_example.json"))
    ups = adapter(fake)
    ups.fetch_events(NUMBER)
    ups.fetch_events(NUMBER)
    [token] = fake.requests_to("POST", TOKEN)  # kept for its lifetime, not fetched per call
    assert token.header("Authorization") == "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="
    assert token.body == b"grant_type=client_credentials"
    first, second = fake.requests_to("GET", TRACK)
    assert first.header("Authorization") == "Bearer token-1" and first.query == {"locale": ["de_DE"]}
    assert first.header("transactionSrc") == "helpcenter"
    assert first.header("transId") and first.header("transId") != second.header("transId")


def test_the_activities_become_our_statuses_oldest_first(fake):
    fake.answer("GET", TRACK, 200, json=answer("track_example.json"))
    found = adapter(fake).fetch_events(NUMBER)
    assert [(s.status, s.code) for s in found] == [("label_created", "M"), ("in_transit", "X"), ("in_transit", "I"),
                                                   ("out_for_delivery", "O"), ("delivered", "D")]
    # gmtDate/gmtTime ("74700" is 07:47:00) are UTC; the reference's customs release is no failed delivery.
    assert found[1].time == dt.datetime(2021, 2, 10, 7, 47) and found[1].location == "Wayne"
    assert found[-1].time == dt.datetime(2026, 11, 18, 9, 15) and found[-1].text == "Zugestellt"


def test_exceptions_are_read_by_their_words_and_rs_is_returned(fake):
    body = answer("track_example.json")
    body["trackResponse"]["shipment"][0]["package"][0]["activity"] = [
        {"date": "20261119", "time": "120000", "status": {"type": "RS", "description": "Zurück an den Absender"}},
        {"date": "20261118", "time": "120000", "location": {"address": {"city": "Hamburg"}},
         "status": {"type": "X", "description": "Der Empfänger wurde nicht angetroffen. Ein Zustellversuch folgt."}}]
    fake.answer("GET", TRACK, 200, json=body)
    failed, returned = adapter(fake).fetch_events(NUMBER)
    assert failed.status == "delivery_failed" and scans.meaning(failed.text, failed.code, "UPS") == scans.NOT_MET
    assert returned.status == "returned" and scans.code_meaning(returned.code, "UPS") == scans.RETURNED_TO_SENDER
    assert failed.time == dt.datetime(2026, 11, 18, 11, 0)  # local time without GMT fields: shop time


def test_an_unknown_number_is_no_error(fake):
    fake.answer("GET", TRACK, 404, json=answer("not_found.json"))
    assert adapter(fake).fetch_events(NUMBER) == []


def test_an_expired_token_is_renewed_once(fake):
    fake.answer("GET", TRACK, 401, json=answer("unauthorized.json"), times=1)
    fake.answer("GET", TRACK, 200, json=answer("track_example.json"))
    assert len(adapter(fake).fetch_events(NUMBER)) == 5
    assert len(fake.requests_to("POST", TOKEN)) == 2


def test_refused_credentials(fake):
    fake.reset()
    fake.answer("POST", TOKEN, 401, json=answer("unauthorized.json"))
    with pytest.raises(CarrierNotAuthorised):
        adapter(fake).fetch_events(NUMBER)
    fake.reset()
    fake.answer("POST", TOKEN, 200, json=answer("token.json"))
    fake.answer("GET", TRACK, 403, json=answer("unauthorized.json"))
    with pytest.raises(CarrierNotAuthorised):
        adapter(fake).fetch_events(NUMBER)
    assert len(fake.requests_to("GET", TRACK)) == 2  # once more with a fresh token, then given up


def test_rate_limit_server_errors_timeouts_and_odd_answers(fake):
    fake.answer("GET", TRACK, 429, json=answer("unauthorized.json"), headers={"Retry-After": "30"}, times=1)
    fake.answer("GET", TRACK, 503, json=answer("unauthorized.json"), times=1)
    fake.answer("GET", TRACK, 200, body=b"not json", headers={"Content-Type": "text/plain"}, times=1)
    fake.answer("GET", TRACK, 200, json={"trackResponse": {"shipment": "none"}}, times=1)
    fake.answer("GET", TRACK, 200, json=answer("track_example.json"), delay=1.0)
    ups = adapter(fake)
    with pytest.raises(CarrierRateLimited) as caught:
        ups.fetch_events(NUMBER)
    assert caught.value.retry_after == 30
    for _ in range(3):
        with pytest.raises(CarrierUnavailable):
            ups.fetch_events(NUMBER)
    with pytest.raises(CarrierUnavailable, match="no answer"):
        adapter(fake, timeout=(1.0, 0.2)).fetch_events(NUMBER)


def test_missing_credentials_name_the_variables():
    with pytest.raises(ConfigError, match="HELPCENTER_UPS_TRACKING_CLIENT_ID"):
        build({"HELPCENTER_UPS_TRACKING_CLIENT_ID": "x"})


def test_outgoing_ups_shipments_are_polled_when_the_policy_says_so(make_app, fixture_index, tmp_path):
    from sqlalchemy import select

    from app.extensions import db
    from app.returns.policy import DEFAULT_FILE
    from app.shop.cli import apply_import
    from app.shop.fields import shop_today
    from app.shop.models import Shipment
    from tests.shop_factory import customer, document, event, order, shipment

    policy = tmp_path / "policy.toml"
    policy.write_text(DEFAULT_FILE.read_text(encoding="utf-8") + '\n[tracking]\nUPS = "ups"\n', encoding="utf-8")
    with FakeHTTPService() as fake:
        fake.answer("POST", TOKEN, 200, json=answer("token.json"))
        fake.answer("GET", TRACK, 200, json=answer("track_example.json"))
        app = make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=str(policy),
                       HELPCENTER_UPS_TRACKING_BASE_URL=fake.url, HELPCENTER_UPS_TRACKING_CLIENT_ID="test-client",
                       HELPCENTER_UPS_TRACKING_CLIENT_SECRET="test-secret", HELPCENTER_UPS_TRACKING_PER_SECOND=1000)
        today = shop_today()
        with app.app_context():
            apply_import(document([customer()], [order("900001", placed=today - dt.timedelta(days=2), shipments=[
                shipment(NUMBER, "in_transit", [event(dt.date(2026, 11, 17), "in_transit")], carrier="UPS",
                         shipped=today - dt.timedelta(days=1))])]))
        result = app.test_cli_runner().invoke(args=["tracking", "poll"])
        assert result.exit_code == 0 and "polled 1" in result.output, result.output
        with app.app_context():
            stored = db.session.scalar(select(Shipment).where(Shipment.tracking_number == NUMBER))
            assert stored.status == "delivered" and stored.events[-1].code == "D"
