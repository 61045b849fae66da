"""The DHL tracking adapter against a local fake answering with the answers of DHL's published reference."""
import datetime as dt
import json
from pathlib import Path

import pytest

from app.carriers.base import CarrierNotAuthorised, CarrierRateLimited, CarrierUnavailable
from app.carriers.dhl_tracking import DhlTracking, build
from app.config import ConfigError
from app.tracking import scans
from tests.fake_http import FakeHTTPService

FIXTURES = Path(__file__).parent / "fixtures" / "carriers" / "dhl"
PATH = "/track/shipments"
NUMBER = "00340434161234567890"


def answer(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        yield service


def adapter(fake, **kwargs) -> DhlTracking:
    return DhlTracking(fake.url, "test-key", **kwargs)


def test_the_request_is_the_documented_one(fake):
    fake.answer("GET", PATH, 200, json=answer("parcel_de_delivered.json"))
    adapter(fake).fetch_events(NUMBER)
    request = fake.requests_to("GET", PATH)[0]
    assert request.query == {"trackingNumber": [NUMBER], "service": ["parcel-de"], "language": ["de"]}
    assert request.header("DHL-API-Key") == "test-key"
    assert request.header("Accept") == "application/json"


def test_the_references_example_answer(fake):
    fake.answer("GET", PATH, 200, json=answer("example_7777777770.json"))
    [scan] = adapter(fake).fetch_events("7777777770")
    # statusCode pre-transit decides, not the example's status word; a naive timestamp is local (shop) time.
    assert scan.status == "label_created" and scan.code == "pre-transit"
    assert scan.text == "JESSICA" and scan.location == "Oderweg 2, AMSTERDAM"
    assert scan.time == dt.datetime(2018, 3, 2, 6, 53, 47)


def test_a_parcel_de_answer_becomes_our_statuses_oldest_first(fake):
    fake.answer("GET", PATH, 200, json=answer("parcel_de_delivered.json"))
    found = adapter(fake).fetch_events(NUMBER)
    assert [s.status for s in found] == ["label_created", "label_created", "in_transit", "in_transit",
                                         "out_for_delivery", "delivered"]
    assert found[1].code == "unknown"  # an unknown statusCode keeps the status the parcel had
    assert found[-1].text == "Die Sendung wurde zugestellt." and found[-1].location == "Deutschland"
    assert found[-1].time == dt.datetime(2026, 11, 18, 8, 50)
    assert all(s.time <= t.time for s, t in zip(found, found[1:]))


def test_failures_are_read_by_their_wording_as_the_webhooks_are(fake):
    fake.answer("GET", PATH, 200, json=answer("parcel_de_failure.json"))
    latest = adapter(fake).fetch_events(NUMBER)[-1]
    assert latest.status == "delivery_failed" and latest.code == "failure"
    assert scans.meaning(latest.text, latest.code, "DHL") == scans.ADDRESS_INCOMPLETE
    fake.reset()
    fake.answer("GET", PATH, 200, json=answer("parcel_de_pickup.json"))
    not_met, at_branch = adapter(fake).fetch_events(NUMBER)
    assert not_met.status == "delivery_failed"
    assert scans.meaning(not_met.text, not_met.code, "DHL") == scans.AT_PICKUP_POINT
    assert at_branch.status == "ready_for_pickup"


def test_a_number_dhl_does_not_know_is_no_error(fake):
    fake.answer("GET", PATH, 404, json=answer("not_found.json"), headers={"Content-Type": "application/problem+json"})
    assert adapter(fake).fetch_events("8264715546") == []


def test_a_refused_key(fake):
    fake.answer("GET", PATH, 401, json=answer("unauthorized.json"))
    with pytest.raises(CarrierNotAuthorised):
        adapter(fake).fetch_events(NUMBER)


def test_the_rate_limit_with_retry_after(fake):
    fake.answer("GET", PATH, 429, json=answer("too_many_requests.json"), headers={"Retry-After": "7"})
    with pytest.raises(CarrierRateLimited) as caught:
        adapter(fake).fetch_events(NUMBER)
    assert caught.value.retry_after == 7


def test_server_errors_timeouts_and_odd_answers_are_try_again_later(fake):
    fake.answer("GET", PATH, 500, json={"title": "Internal Server Error", "status": 500}, times=1)
    fake.answer("GET", PATH, 200, body=b"<html>maintenance</html>", headers={"Content-Type": "text/html"}, times=1)
    fake.answer("GET", PATH, 200, json={"shipments": "none"}, times=1)
    fake.answer("GET", PATH, 200, json=answer("parcel_de_delivered.json"), delay=1.0)
    for _ in range(3):
        with pytest.raises(CarrierUnavailable):
            adapter(fake).fetch_events(NUMBER)
    with pytest.raises(CarrierUnavailable, match="no answer"):
        adapter(fake, timeout=(1.0, 0.2)).fetch_events(NUMBER)


def test_odd_events_are_skipped_not_fatal(fake):
    fake.answer("GET", PATH, 200, json={"shipments": [{"id": NUMBER, "events": [
        "kein Objekt", {"timestamp": "gestern", "statusCode": "transit", "status": "x"},
        {"timestamp": "2026-11-18T10:00:00", "statusCode": "transit"},
        {"timestamp": "2026-11-18T11:00:00", "statusCode": "transit",
         "description": "Zeile\x00mit Steuerzeichen " + "x" * 600,
         "location": {"address": "kein Objekt"}}]}]})
    [scan] = adapter(fake).fetch_events(NUMBER)
    assert "\x00" not in scan.text and len(scan.text) == 500 and scan.location is None


def test_a_missing_key_names_the_variable():
    with pytest.raises(ConfigError, match="HELPCENTER_DHL_TRACKING_API_KEY"):
        build({"HELPCENTER_DHL_TRACKING_API_KEY": ""})


def test_a_policy_with_dhl_tracking_and_no_key_stops_the_start(make_app, tmp_path):
    from app.returns.policy import DEFAULT_FILE

    policy = tmp_path / "policy.toml"
    policy.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace(
        '\n[carriers.hermes]', 'tracking = "dhl"\n\n[carriers.hermes]', 1),
        encoding="utf-8")
    with pytest.raises(ConfigError, match="HELPCENTER_DHL_TRACKING_API_KEY"):
        make_app(HELPCENTER_RETURNS_POLICY_FILE=str(policy))
    assert make_app(HELPCENTER_RETURNS_POLICY_FILE=str(policy), HELPCENTER_DHL_TRACKING_API_KEY="k") is not None
