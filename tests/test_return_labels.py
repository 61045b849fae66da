"""Carrier labels through the help center: DHL configured in the policy file, DHL played by a local fake.

Submit → one attempt → the page shows DHL's QR code and shipment number; an outage leaves the return pending
("Etikett wird erstellt") until the retry job fetches the label and mails it; a refused address goes to the agents;
two workers and the request racing order one label."""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading

import pytest
from sqlalchemy import func, select

from app.config import ConfigError
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.labels import attempt, backoff, retry_due
from app.returns.models import ReturnLabel, ReturnRequest
from app.returns.policy import DEFAULT_FILE
from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from tests.conftest import csrf_token_from, login, post_api
from tests.dhl_fake import ORDERS, created, dhl_config, example, label_pdf, qr_png
from tests.fake_http import FakeHTTPService
from tests.shop_factory import customer, document, event, order, shipment

NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)
SHIPMENT = "999991587211"


def dhl_policy(tmp_path, label="dhl_returns"):
    """The shipped policy with DHL's labels from the DHL returns API."""
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        'drop_off_en = "at any DHL branch, Packstation or DHL parcel shop"\npaperless = true',
        f'drop_off_en = "at any DHL branch, Packstation or DHL parcel shop"\npaperless = true\nlabel = "{label}"')
    assert f'label = "{label}"' in text
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        yield service


def _stock(app):
    with app.app_context():
        apply_import(document([customer()], [order(
            "600001", status="delivered", placed=dt.date(2026, 11, 10),
            shipments=[shipment("00340434166000100", "delivered", [event(dt.date(2026, 11, 13), "delivered")])],
            items=[{"sku": "NL-JKT", "name": "Steppjacke Hamburg", "category": "Damenmode", "quantity": 1,
                    "unit_price": "79.95", "returnable": True},
                   {"sku": "NL-PUL", "name": "Strickpullover", "category": "Damenmode", "quantity": 1,
                    "unit_price": "59.95", "returnable": True}])]))
        db.session.commit()


@pytest.fixture
def dhl_app(make_app, fixture_index, fake, tmp_path, make_user, monkeypatch):
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    app = make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=dhl_policy(tmp_path),
                   HELPCENTER_LABEL_SUBMIT_TIMEOUT=0.5, HELPCENTER_MAIL_BACKEND="console", **dhl_config(fake.url))
    _stock(app)
    make_user(customer_ref="K-1")
    make_user(email="agent@example.com", name="Agent", role="agent")
    return app


def jacket(sku="NL-JKT"):
    return {"order_number": "600001", "items": [{"sku": sku, "quantity": 1, "reason": "zu-gross"}],
            "resolution": "refund", "carrier": "dhl"}


def submit(client, sku="NL-JKT") -> str:
    response = post_api(client, "/api/returns", jacket(sku))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["return_number"]


def mails(app, subject_start: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith(subject_start))))


def label_row(app, number) -> ReturnLabel:
    with app.app_context():
        label = db.session.scalar(select(ReturnLabel).join(ReturnRequest).where(ReturnRequest.number == number))
        db.session.expunge(label)
        return label


def test_the_carriers_qr_code_and_shipment_number_right_after_the_submit(dhl_app, fake):
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)

    answer = post_api(client, "/api/returns", jacket()).get_json()

    number = answer["return_number"]
    assert answer["label_status"] == "ready" and answer["tracking_number"] == SHIPMENT
    [sent] = fake.requests
    assert sent.json()["customerReference"] == number and sent.query == {"labelType": ["BOTH"]}
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert f'<strong data-tracking-number>{SHIPMENT}</strong>' in page
    assert f'src="/retouren/{number}/qr.png"' in page and "data-carrier-qr" in page
    assert "<svg" not in page and "Etikett wird erstellt" not in page and "data-label-poll" not in page
    assert client.get(f"/retouren/{number}/qr.png").data == qr_png(SHIPMENT)
    pdf = client.get(f"/retouren/{number}/etikett.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data == label_pdf(SHIPMENT)
    assert client.get(f"/api/returns/{number}/label.pdf").data == label_pdf(SHIPMENT)
    detail = client.get(f"/api/returns/{number}").get_json()
    assert (detail["label_status"], detail["tracking_number"], detail["carrier"]) == ("ready", SHIPMENT, "dhl")
    # The confirmation carries the label link; no second mail for a label the customer saw at once.
    assert len(mails(dhl_app, "Ihre Rücksendung")) == 1 and mails(dhl_app, "Ihr Rücksendeetikett") == []
    assert retry_due_in(dhl_app).total == 0 and len(fake.requests) == 1


def retry_due_in(app, now=None):
    with app.app_context():
        return retry_due(now)


def test_an_outage_during_the_submit_is_retried_to_success_and_mailed_once(dhl_app, fake):
    fake.answer("POST", ORDERS, 500, json={"title": "Internal Server Error", "status": 500}, times=1)
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)
    token = csrf_token_from(client, "/retouren/bestellung/600001")
    form = client.get("/retouren/bestellung/600001").get_data(as_text=True)
    prefix = re.search(r'name="(items-\d+)-sku" type="hidden" value="NL-JKT"', form)[1]
    submission = re.search(r'name="submission_id" type="hidden" value="([0-9a-f]+)"', form)[1]

    response = client.post("/retouren/bestellung/600001", data={
        "csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT", f"{prefix}-selected": "y",
        f"{prefix}-quantity": "1", f"{prefix}-reason": "zu-gross", "resolution": "refund", "carrier": "dhl"})

    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert "Etikett wird erstellt" in page and "Wir holen Ihr Versandetikett bei DHL ab" in page
    assert f'data-label-poll="/api/returns/{number}"' in page and f'href="/retouren/{number}" data-reload' in page
    assert "<svg" not in page and "qr.png" not in page and "etikett.pdf" not in page
    assert client.get(f"/api/returns/{number}").get_json()["label_status"] == "pending"
    assert client.get(f"/api/returns/{number}/label.pdf").get_json()["error"]["code"] == "label_pending"
    assert client.get(f"/retouren/{number}/etikett.pdf").headers["Location"].startswith(f"/retouren/{number}")
    assert len(fake.requests) == 1

    result = dhl_app.test_cli_runner().invoke(args=["returns", "labels"])

    assert result.exit_code == 0 and "ready 1" in result.output, result.output
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert f"<strong data-tracking-number>{SHIPMENT}</strong>" in page and "data-carrier-qr" in page
    assert "Etikett wird erstellt" not in page and "data-label-poll" not in page
    [mail] = mails(dhl_app, "Ihr Rücksendeetikett ist da")
    assert mail.recipient == "kim.berg@example.com" and SHIPMENT in mail.body
    assert f"/retouren/{number}?t=" in mail.body and f"/retouren/{number}/etikett.pdf?t=" in mail.body
    # A second pass finds nothing to do: one order at DHL, one mail.
    assert "ready 0" in dhl_app.test_cli_runner().invoke(args=["returns", "labels"]).output
    assert len(fake.requests_to("POST", ORDERS)) == 2 and len(mails(dhl_app, "Ihr Rücksendeetikett")) == 1


def test_a_timeout_leaves_the_label_pending_with_backoff(dhl_app, fake):
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT), delay=1.2, times=1)
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)

    answer = post_api(client, "/api/returns", jacket()).get_json()

    assert answer["label_status"] == "pending" and answer["tracking_number"] is None
    label = label_row(dhl_app, answer["return_number"])
    assert label.attempts == 1 and "no answer" in label.last_error
    assert label.next_attempt_at == NOW.astimezone(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=1)
    # Not due before its time.
    assert retry_due_in(dhl_app, NOW + dt.timedelta(seconds=30)).total == 0
    assert retry_due_in(dhl_app, NOW + dt.timedelta(minutes=2)).ready == 1


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_rate_limit_waits_at_least_as_long_as_dhl_asks(dhl_app, fake):
    fake.answer("POST", ORDERS, 429, json=example("error_429.json"), headers={"Retry-After": "900"})
    client = dhl_app.test_client()
    login(client)

    number = submit(client)

    label = label_row(dhl_app, number)
    assert label.state == "pending"
    assert label.next_attempt_at == NOW.astimezone(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=900)


def test_a_refused_address_goes_to_the_agents_and_the_customer_gets_a_way_on(dhl_app, fake):
    refusal = example("error_400_postcode.json")
    fake.answer("POST", ORDERS, 400, json=refusal, headers={"Content-Type": "application/problem+json"})
    client = dhl_app.test_client()
    login(client)

    number = submit(client)

    page = client.get(f"/retouren/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Das Etikett konnte nicht erstellt werden" in html
    assert "<svg" not in html and "qr.png" not in html and "data-label-poll" not in html
    contact = re.search(r'href="(/kontakt\?[^"]+)" data-contact', html)[1].replace("&amp;", "&")
    assert "topic=ruecksendung" in contact and "order=600001" in contact
    form = client.get(contact).get_data(as_text=True)
    assert f"Rücksendung {number}: Das Versandetikett konnte nicht erstellt werden." in form
    assert client.get(f"/api/returns/{number}").get_json()["label_status"] == "failed"
    assert client.get(f"/api/returns/{number}/qr.png").status_code == 409
    # The retry job leaves a refusal alone: retrying will not change DHL's mind.
    assert retry_due_in(dhl_app, NOW + dt.timedelta(days=1)).total == 0 and len(fake.requests) == 1

    agent = dhl_app.test_client()
    login(agent, "agent@example.com")
    console = agent.get("/agent/retouren").get_data(as_text=True)
    row = console[console.index(f'data-return="{number}"'):]
    row = row[:row.index("</tr>")]
    assert "data-label-failed" in row and refusal["detail"] in row
    detail = agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
    assert 'data-carrier-label="failed"' in detail and refusal["detail"] in detail


def test_refused_credentials_keep_labels_pending_and_are_logged_once_per_pass(dhl_app, fake, caplog):
    fake.answer("POST", ORDERS, 401, json=example("error_401_user.json"))
    client = dhl_app.test_client()
    login(client)
    numbers = [submit(client), submit(client, "NL-PUL")]
    assert [label_row(dhl_app, n).state for n in numbers] == ["pending", "pending"]

    with caplog.at_level(logging.INFO, logger="app.returns.labels"):
        report = retry_due_in(dhl_app, NOW + dt.timedelta(hours=2))

    assert report.not_authorised == 2
    operator = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(operator) == 1 and "HELPCENTER_DHL_" in operator[0].getMessage()
    assert "SandboxPasswort" not in caplog.text
    assert [label_row(dhl_app, n).state for n in numbers] == ["pending", "pending"]


def test_the_outbox_worker_also_fetches_pending_labels(dhl_app, fake):
    fake.answer("POST", ORDERS, 503, json={"title": "Service Unavailable", "status": 503}, times=1)
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)
    number = submit(client)
    assert label_row(dhl_app, number).state == "pending"

    result = dhl_app.test_cli_runner().invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert "labels: ready 1" in result.output
    assert label_row(dhl_app, number).state == "ready"


def test_one_label_order_per_return_with_workers_and_the_request_racing(dhl_app, fake):
    """Eight attempts at once (two workers' passes and retries of the request): DHL sees exactly one order."""
    fake.answer("POST", ORDERS, 500, json={"title": "Internal Server Error", "status": 500}, times=1)
    client = dhl_app.test_client()
    login(client)
    number = submit(client)
    fake.reset()
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT), delay=0.4)
    with dhl_app.app_context():
        label_id = label_row(dhl_app, number).id
    later = NOW + dt.timedelta(minutes=5)
    outcomes, errors = [], []
    start = threading.Barrier(8)

    def race(index):
        try:
            with dhl_app.app_context():
                start.wait()
                if index % 2:
                    outcomes.append(attempt(label_id, later, mail=True).outcome)
                else:
                    report = retry_due(later)
                    outcomes.append("ready" if report.ready else "skipped")
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 – reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(fake.requests_to("POST", ORDERS)) == 1
    assert sorted(outcomes).count("ready") == 1
    with dhl_app.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == number))
        assert ret.tracking_number == SHIPMENT and ret.carrier_label.state == "ready"
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.subject.startswith("Ihr Rücksendeetikett"))) == 1


def test_a_cancelled_return_is_not_labelled_later(dhl_app, fake):
    fake.answer("POST", ORDERS, 500, json={"title": "Internal Server Error", "status": 500})
    client = dhl_app.test_client()
    login(client)
    number = submit(client)
    token = csrf_token_from(client, f"/retouren/{number}/stornieren")
    assert client.post(f"/retouren/{number}/stornieren", data={"csrf_token": token}).status_code == 302
    fake.reset()

    assert retry_due_in(dhl_app, NOW + dt.timedelta(hours=2)).total == 0
    assert fake.requests == []


def test_missing_dhl_credentials_stop_the_start(make_app, fixture_index, tmp_path):
    with pytest.raises(ConfigError, match="HELPCENTER_DHL_API_KEY"):
        make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=dhl_policy(tmp_path))


def test_without_carrier_api_the_own_label_stays_and_says_ruecksendeschein(app, make_user, monkeypatch):
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    _stock(app)
    make_user(customer_ref="K-1")
    client = app.test_client()
    login(client)

    answer = post_api(client, "/api/returns", jacket()).get_json()

    assert answer["label_status"] == "own" and answer["tracking_number"] is None
    page = client.get(f"/retouren/{answer['return_number']}").get_data(as_text=True)
    assert "<svg" in page and "data-own-label" in page and "Rücksendeschein herunterladen (PDF)" in page
    assert client.get(f"/retouren/{answer['return_number']}/etikett.pdf").data.startswith(b"%PDF")


def test_erasure_removes_the_carriers_label_with_the_customers_address(dhl_app, fake):
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)
    number = submit(client)

    result = dhl_app.test_cli_runner().invoke(args=["privacy", "erase", "kim.berg@example.com", "--yes"])

    assert result.exit_code == 0, result.output
    label = label_row(dhl_app, number)
    assert label.label_pdf is None and label.qr_png is None
    with dhl_app.app_context():
        assert db.session.scalar(select(ReturnRequest.tracking_number).where(ReturnRequest.number == number)) \
            == SHIPMENT
