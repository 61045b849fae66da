"""Issue #15 end to end: a return with DHL configured gets DHL's label, QR code and shipment number, survives a
DHL outage, and is then tracked by polling DHL's tracking API — against one local fake of both DHL APIs."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnRequest
from tests.conftest import login, post_api
from tests.dhl_fake import ORDERS, created, dhl_config, label_pdf, qr_png
from tests.fake_http import FakeHTTPService
from tests.test_return_labels import NOW, _stock, dhl_policy, jacket, mails, retry_due_in
from tests.test_tracking_poll import PATH, answer

SHIPMENT = "999990000000015"


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        yield service


@pytest.fixture
def dhl_app(make_app, fixture_index, fake, tmp_path, make_user, monkeypatch):
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    policy = dhl_policy(tmp_path)
    with open(policy, encoding="utf-8") as handle:
        text = handle.read().replace('label = "dhl_returns"', 'label = "dhl_returns"\ntracking = "dhl"', 1)
    with open(policy, "w", encoding="utf-8") as handle:
        handle.write(text)
    app = make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=policy, HELPCENTER_LABEL_SUBMIT_TIMEOUT=0.5,
                   HELPCENTER_MAIL_BACKEND="console", HELPCENTER_DHL_TRACKING_API_KEY="test-key",
                   HELPCENTER_DHL_TRACKING_BASE_URL=fake.url, HELPCENTER_DHL_TRACKING_PER_SECOND=1000,
                   **dhl_config(fake.url))
    _stock(app)
    make_user(customer_ref="K-1")
    return app


def delivered_to_the_shop(number: str) -> dict:
    """DHL's tracking answer for our return parcel: the shipment number swapped into the reference's example."""
    body = answer("parcel_de_delivered.json")
    for shipment in body["shipments"]:
        shipment["id"] = number
    body.pop("possibleAdditionalShipmentsUrl", None)
    return body


def test_a_dhl_return_survives_an_outage_gets_dhls_label_and_is_tracked_by_polling(dhl_app, fake):
    # DHL is down while the customer registers the return: the return is kept, the label is pending.
    fake.answer("POST", ORDERS, 503, json={"title": "Service Unavailable", "status": 503}, times=1)
    fake.answer("POST", ORDERS, 201, json=created(SHIPMENT))
    client = dhl_app.test_client()
    login(client)
    first = post_api(client, "/api/returns", jacket()).get_json()
    number = first["return_number"]
    assert first["label_status"] == "pending" and first["tracking_number"] is None
    assert "Etikett wird erstellt" in client.get(f"/retouren/{number}").get_data(as_text=True)

    # The outbox worker's pass fetches it later: DHL's label, QR code and shipment number, one mail.
    assert retry_due_in(dhl_app, NOW.astimezone(dt.timezone.utc).replace(tzinfo=None)
                        + dt.timedelta(minutes=2)).ready == 1
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert f"<strong data-tracking-number>{SHIPMENT}</strong>" in page and "Etikett wird erstellt" not in page
    assert client.get(f"/retouren/{number}/qr.png").data == qr_png(SHIPMENT)
    assert client.get(f"/retouren/{number}/etikett.pdf").data == label_pdf(SHIPMENT)
    assert len(mails(dhl_app, "Ihr Rücksendeetikett")) == 1
    assert len(fake.requests_to("POST", ORDERS)) == 2

    # The tracking poller asks DHL for the return parcel and moves the return on.
    fake.answer("GET", PATH, 200, json=delivered_to_the_shop(SHIPMENT))
    result = dhl_app.test_cli_runner().invoke(args=["tracking", "poll"])
    assert result.exit_code == 0, result.output
    asked = [r.query["trackingNumber"][0] for r in fake.requests_to("GET", PATH)]
    assert asked == [SHIPMENT]
    with dhl_app.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == number))
        assert ret.status == "received" and ret.tracking_number == SHIPMENT
    assert client.get(f"/api/returns/{number}").get_json()["status"] == "received"
