"""`flask tracking poll`: open DHL parcels polled at a local fake of DHL's tracking API, on SQLite and PostgreSQL."""
import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ReturnRequest
from app.returns.policy import DEFAULT_FILE
from app.shop.cli import apply_import
from app.shop.fields import shop_today
from app.shop.models import Order, Shipment
from app.tracking.models import TrackingPoll
from app.tracking.poll import Budget, Poller, utcnow
from tests.conftest import login
from tests.fake_http import FakeHTTPService
from tests.shop_factory import customer, document, event, order, shipment

FIXTURES = Path(__file__).parent / "fixtures" / "carriers" / "dhl"
PATH = "/track/shipments"
NUMBER = "00340434161234567890"
TODAY = shop_today()


def answer(name: str) -> dict:
    """A fixture answer moved in time so that its latest scan was an hour ago (the shop data is relative to today)."""
    body = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    events = [e for s in body.get("shipments", []) for e in s.get("events", [])]
    if events:
        latest = max(dt.datetime.fromisoformat(e["timestamp"]) for e in events)
        shift = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=1) - latest
        for e in events:
            e["timestamp"] = (dt.datetime.fromisoformat(e["timestamp"]) + shift).isoformat()
    return body


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        yield service


@pytest.fixture
def poll_app(make_app, fixture_index, fake, tmp_path, make_user):
    policy = tmp_path / "policy.toml"
    policy.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace(
        '\n[carriers.hermes]', 'tracking = "dhl"\n\n[carriers.hermes]', 1),
        encoding="utf-8")
    app = make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=str(policy),
                   HELPCENTER_DHL_TRACKING_API_KEY="test-key", HELPCENTER_DHL_TRACKING_BASE_URL=fake.url,
                   HELPCENTER_DHL_TRACKING_PER_SECOND=1000)
    shipped = TODAY - dt.timedelta(days=2)
    with app.app_context():
        apply_import(document([customer()], [
            order("700001", placed=TODAY - dt.timedelta(days=3), shipments=[
                shipment(NUMBER, "in_transit", [event(shipped, "in_transit", "Eingeliefert")], shipped=shipped)]),
            order("700002", placed=TODAY - dt.timedelta(days=3), shipments=[
                shipment("H1000000000001", "in_transit", [event(shipped, "in_transit")], carrier="Hermes",
                         shipped=shipped)]),
            order("700003", placed=TODAY - dt.timedelta(days=5), status="delivered", shipments=[
                shipment("00340434160000000003", "delivered", [event(shipped, "delivered")], shipped=shipped)]),
            order("700004", placed=TODAY - dt.timedelta(days=95), shipments=[
                shipment("00340434160000000004", "in_transit", [event(TODAY - dt.timedelta(days=90), "in_transit")],
                         shipped=TODAY - dt.timedelta(days=90))]),
        ]))
    user_id = make_user(customer_ref="K-1")
    with app.app_context():
        from app.accounts.models import User

        db.session.get(User, user_id).notify_status_changes = True
        db.session.commit()
    return app


def poll(app, *args):
    return app.test_cli_runner().invoke(args=["tracking", "poll", *args])


def mails(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def poll_row(app, number=NUMBER) -> TrackingPoll | None:
    with app.app_context():
        row = db.session.scalar(select(TrackingPoll).join(Shipment, Shipment.id == TrackingPoll.shipment_id)
                                .where(Shipment.tracking_number == number))
        if row is not None:
            db.session.expunge(row)
        return row


def make_due(app):
    with app.app_context():
        db.session.execute(update(TrackingPoll).values(next_poll_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()


def test_open_dhl_shipments_are_polled_and_new_scans_stored_once(poll_app, fake):
    fake.answer("GET", PATH, 200, json=answer("parcel_de_failure.json"))
    result = poll(poll_app)
    assert result.exit_code == 0, result.output
    assert "polled 1, new scans 3" in result.output
    # Only the open DHL shipment within 60 days: not Hermes (webhook), not delivered, not shipped 90 days ago.
    assert [r.query["trackingNumber"] for r in fake.requests] == [[NUMBER]]
    with poll_app.app_context():
        stored = db.session.scalar(select(Shipment).where(Shipment.tracking_number == NUMBER))
        assert stored.status == "delivery_failed" and len(stored.events) == 4
        assert stored.events[-1].code == "failure" and stored.events[-1].location == "Hamburg"
    assert mails(poll_app) == 1  # "Zustellversuch gescheitert", to the customer who asked for it

    make_due(poll_app)
    again = poll(poll_app)
    assert "polled 1, new scans 0" in again.output and len(fake.requests) == 2
    with poll_app.app_context():
        assert len(db.session.scalar(select(Shipment).where(Shipment.tracking_number == NUMBER)).events) == 4
    assert mails(poll_app) == 1

    # The customer sees the carrier's words and the advice the webhook's scan would give.
    client = poll_app.test_client()
    login(client)
    body = client.get("/api/orders/700001/tracking").get_json()
    assert body["shipments"][0]["status"] == "delivery_failed"
    assert body["shipments"][0]["events"][-1]["text"] == "Die Sendung konnte nicht zugestellt werden. " \
                                                         "Die Adresse ist fehlerhaft."
    assert body["advice"]["state"] == "address_incomplete"
    assert "Anschrift" in client.get("/sendungsverfolgung/700001").get_data(as_text=True)


def test_a_delivered_parcel_leaves_the_schedule(poll_app, fake):
    fake.answer("GET", PATH, 200, json=answer("parcel_de_delivered.json"))
    assert "finished 0" in poll(poll_app).output
    with poll_app.app_context():
        assert db.session.scalar(select(Shipment.status).where(Shipment.tracking_number == NUMBER)) == "delivered"
        assert db.session.scalar(select(func.count(TrackingPoll.id))) == 0
    make_due(poll_app)
    assert "polled 0" in poll(poll_app).output and len(fake.requests) == 1
    client = poll_app.test_client()
    login(client)
    assert client.get("/api/orders/700001/tracking").get_json()["advice"]["state"] == "delivered"


def test_the_next_poll_follows_what_the_parcel_does(poll_app, fake):
    fake.answer("GET", PATH, 404, json=answer("not_found.json"), times=1)
    fake.answer("GET", PATH, 200, json={"shipments": [{"id": NUMBER, "events": [
        {"timestamp": (dt.datetime.now() - dt.timedelta(hours=1)).isoformat(timespec="seconds"),
         "statusCode": "transit", "description": "Die Sendung wurde in das Zustellfahrzeug geladen."}]}]})
    before = utcnow()
    assert "not known yet 1" in poll(poll_app).output
    row = poll_row(poll_app)
    assert row.failures == 0 and dt.timedelta(hours=2) <= row.next_poll_at - before < dt.timedelta(hours=2, minutes=1)
    make_due(poll_app)
    before = utcnow()
    poll(poll_app)
    row = poll_row(poll_app)
    # Out for delivery: asked again within the hour.
    assert dt.timedelta(hours=1) <= row.next_poll_at - before < dt.timedelta(hours=1, minutes=1)
    assert row.last_change_at is not None and row.lease_owner is None


def test_errors_back_off_exponentially_and_a_success_resets(poll_app, fake):
    fake.answer("GET", PATH, 500, json={"title": "Internal Server Error", "status": 500}, times=2)
    fake.answer("GET", PATH, 200, json=answer("parcel_de_failure.json"))
    before = utcnow()
    result = poll(poll_app)
    assert result.exit_code == 1 and "failed 1" in result.output
    row = poll_row(poll_app)
    assert row.failures == 1 and dt.timedelta(minutes=5) <= row.next_poll_at - before < dt.timedelta(minutes=6)
    assert "answered 500" in row.last_error
    make_due(poll_app)
    before = utcnow()
    poll(poll_app)
    row = poll_row(poll_app)
    assert row.failures == 2 and dt.timedelta(minutes=10) <= row.next_poll_at - before < dt.timedelta(minutes=11)
    make_due(poll_app)
    assert poll(poll_app).exit_code == 0
    row = poll_row(poll_app)
    assert row.failures == 0 and row.last_error is None


def test_a_429_pauses_dhl_for_its_retry_after(poll_app, fake):
    with poll_app.app_context():
        apply_import(document([customer()], [order("700005", placed=TODAY - dt.timedelta(days=3), shipments=[
            shipment("00340434160000000005", "in_transit", [event(TODAY, "in_transit")], shipped=TODAY)])]))
    fake.answer("GET", PATH, 429, json=answer("too_many_requests.json"), headers={"Retry-After": "120"})
    before = utcnow()
    with poll_app.app_context():
        poller = Poller.for_app()
        report = poller.poll_once(batch=10)
        assert report.failed == 1 and report.deferred == 1 and len(fake.requests) == 1
        assert 100 < poller.pause_seconds() <= 120
        asked = fake.requests[0].query["trackingNumber"][0]
        other = NUMBER if asked != NUMBER else "00340434160000000005"
        assert poll_row(poll_app, asked).next_poll_at - before >= dt.timedelta(seconds=120)
        assert poll_row(poll_app, other).lease_owner is None  # left for the next pass, not held
        # The same poller (the --loop process) does not call DHL again while paused.
        make_due(poll_app)
        assert poller.poll_once(batch=10).deferred == 2 and len(fake.requests) == 1


def test_a_return_parcel_moves_its_return_on(poll_app, fake):
    with poll_app.app_context():
        order_row = db.session.scalar(select(Order).where(Order.number == "700001"))
        db.session.add(ReturnRequest(number="R-700001", order_id=order_row.id, customer_id=order_row.customer_id,
                                     status="registered", resolution="refund", carrier="dhl",
                                     tracking_number="RT000000001DE"))
        db.session.commit()
    fake.answer("GET", PATH, 200, json=answer("parcel_de_delivered.json"))
    poll(poll_app)
    asked = sorted(r.query["trackingNumber"][0] for r in fake.requests)
    assert asked == [NUMBER, "RT000000001DE"]
    with poll_app.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == "R-700001"))
        assert ret.status == "received"
        assert [e.status for e in ret.events] == ["in_transit", "received"]
        assert db.session.scalar(select(func.count(TrackingPoll.id)).where(TrackingPoll.return_id.is_not(None))) == 0


def test_two_pollers_at_once_poll_each_parcel_once(poll_app, fake):
    with poll_app.app_context():
        apply_import(document([customer()], [order(f"71000{i}", placed=TODAY - dt.timedelta(days=2), shipments=[
            shipment(f"0034043416100000000{i}", "in_transit", [event(TODAY, "in_transit")], shipped=TODAY)])
            for i in range(6)]))
    fake.answer("GET", PATH, 200, json=answer("parcel_de_failure.json"), delay=0.2)
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            with poll_app.app_context():
                poller = Poller.for_app()
                start.wait()
                poller.poll_once(batch=10)
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    asked = [r.query["trackingNumber"][0] for r in fake.requests]
    assert sorted(asked) == sorted(set(asked)) and len(asked) == 7


def test_the_budget_spaces_calls_and_counts_the_day():
    clock = {"t": 0.0, "day": dt.date(2026, 12, 3)}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock["t"] += seconds

    budget = Budget(2, 3, monotonic=lambda: clock["t"], sleep=sleep, today=lambda: clock["day"])
    assert budget.take() and budget.take() and budget.take()
    assert slept == [0.5, 0.5]
    assert not budget.take()  # the day's three calls are used
    clock["day"] += dt.timedelta(days=1)
    assert budget.take()
    budget.pause(30)
    assert not budget.take() and budget.paused_for() == 30
    clock["t"] += 30
    assert budget.take()


def test_without_a_polling_carrier_the_command_does_nothing(make_app, fixture_index):
    app = make_app(index_dir=fixture_index)
    result = app.test_cli_runner().invoke(args=["tracking", "poll"])
    assert result.exit_code == 0 and "polled 0" in result.output


def test_the_policy_decides_per_kind_of_parcel(poll_app):
    from app.carriers.registry import tracking_adapter_name
    from app.returns.policy import load_policy

    with poll_app.app_context():
        policy = poll_app.extensions["helpcenter.returns_policy"]
        # [carriers.dhl] tracking = "dhl": return parcels with "dhl" and the shop's "DHL" shipments are polled.
        assert tracking_adapter_name(policy, "dhl") == "dhl"
        assert tracking_adapter_name(policy, "DHL", shipment=True) == "dhl"
        assert tracking_adapter_name(policy, "Hermes", shipment=True) == "webhook"
        # A [tracking] entry decides the outgoing shipments only, never the return parcels.
        policy = load_policy(poll_app.config["HELPCENTER_RETURNS_POLICY_FILE"])
        policy.tracking_adapters["DHL"] = "webhook"
        assert tracking_adapter_name(policy, "DHL", shipment=True) == "webhook"
        assert tracking_adapter_name(policy, "dhl") == "dhl"
        assert Poller(poll_app.config, policy).polled_shipment_carriers() == []
        assert Poller(poll_app.config, policy).polled_return_carriers() == ["dhl"]


def test_the_loop_polls_until_it_is_stopped(poll_app, fake, monkeypatch):
    import app.tracking.cli as cli

    waits = []

    class StopAfterFirstWait(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            self.set()  # as SIGTERM would: the loop ends after the pass in hand
            return True

    monkeypatch.setattr(cli, "Event", StopAfterFirstWait)
    fake.answer("GET", PATH, 200, json=answer("parcel_de_failure.json"))
    result = poll(poll_app, "--loop", "--interval", "30")
    assert result.exit_code == 0, result.output
    assert "Tracking poller started" in result.output and "polled 1, new scans 3" in result.output
    assert "Tracking poller stopped." in result.output and waits == [30.0]
