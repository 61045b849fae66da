"""A return's way: carrier scans by signed webhook, an agent's check and refund, the customer's cancel, the mails."""
import hashlib
import hmac
import io
import json

from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ProductVariant, ReturnEvent, ReturnRequest
from tests.conftest import csrf_token_from, login
from tests.test_returns import api_token, jacket, post_return, shop  # noqa: F401  (fixture)

SECRET = "carrier-secret"


def signed(client, body):
    raw = json.dumps(body).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/returns/events", data=raw, headers={"Content-Type": "application/json",
                                                                 "X-Signature": f"sha256={signature}"})


def _start(shop, client, **extra):
    shop.config["HELPCENTER_WEBHOOK_SECRET"] = SECRET
    login(client)
    return post_return(client, jacket(**extra)).get_json()["return_number"]


def _status(client, number):
    return client.get(f"/api/returns/{number}").get_json()["status"]


def _mails(shop, number):
    with shop.app_context():
        return [m.subject for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains(number))
                                                      .order_by(OutboxMessage.id))]


def test_carrier_scans_move_the_return_on_once(shop, client):
    number = _start(shop, client)
    scan = {"return_number": number, "status": "in_transit", "time": "2026-11-17T09:12:00+01:00",
            "location": "DHL Paketshop Hamburg-Altona"}
    assert signed(client, scan).get_json() == {"return_number": number, "status": "in_transit", "accepted": True}
    assert signed(client, scan).get_json()["accepted"] is False
    assert signed(client, {**scan, "status": "received", "time": "2026-11-18T11:00:00+01:00"}).status_code == 200
    assert _status(client, number) == "received"
    events = client.get(f"/api/returns/{number}").get_json()["events"]
    assert [e["status"] for e in events] == ["registered", "in_transit", "received"]
    assert events[1]["location"] == "DHL Paketshop Hamburg-Altona"
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert "Eingegangen" in page and "Unterwegs" in page and "Angemeldet" in page
    assert any("Eingegangen" in subject for subject in _mails(shop, number))


def test_carrier_webhook_refuses_bad_signatures_and_odd_input(shop, client):
    number = _start(shop, client)
    raw = json.dumps({"return_number": number, "status": "received", "time": "2026-11-18T11:00:00+01:00"})
    assert client.post("/api/returns/events", data=raw, headers={"Content-Type": "application/json",
                                                                 "X-Signature": "sha256=00"}).status_code == 401
    assert signed(client, {"return_number": number, "status": "refunded", "time": "2026-11-18T11:00:00"}).status_code == 409
    assert signed(client, {"return_number": number, "status": "received", "time": "gestern"}).status_code == 422
    assert signed(client, {"return_number": 5, "status": "received"}).status_code == 422
    assert signed(client, {"return_number": "R-2026-999999", "status": "received",
                           "time": "2026-11-18T11:00:00"}).status_code == 404
    assert signed(client, ["nope"]).status_code == 422
    assert _status(client, number) == "registered"


def test_an_agent_checks_and_refunds_and_the_customer_is_told(shop, client):
    number = _start(shop, client)
    agent = shop.test_client()
    login(agent, "agent@example.com")
    token = api_token(agent)
    for status in ("received", "inspected", "refunded"):
        response = agent.post(f"/api/returns/{number}/status", json={"status": status, "note": "ok"},
                              headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_json()
    assert _status(client, number) == "refunded"
    again = agent.post(f"/api/returns/{number}/status", json={"status": "inspected"}, headers={"X-CSRFToken": token})
    assert again.status_code == 409
    subjects = _mails(shop, number)
    assert any("Erstattet" in s for s in subjects) and any("Eingegangen" in s for s in subjects)
    with shop.app_context():
        refund_mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"return-status:{number}:refunded"))
        assert "79,95\xa0€" in refund_mail.body
        events = db.session.scalars(select(ReturnEvent).where(ReturnEvent.source == "agent")).all()
        assert [e.status for e in events] == ["received", "inspected", "refunded"] and all(e.actor_id for e in events)


def test_an_exchange_ends_exchanged_not_refunded(shop, client):
    number = _start(shop, client, resolution="exchange", exchange_for="NL-JKT-L-NAVY")
    agent = shop.test_client()
    login(agent, "agent@example.com")
    token = api_token(agent)
    assert agent.post(f"/api/returns/{number}/status", json={"status": "refunded"},
                      headers={"X-CSRFToken": token}).status_code == 409
    assert agent.post(f"/api/returns/{number}/status", json={"status": "exchanged"},
                      headers={"X-CSRFToken": token}).status_code == 200


def test_only_agents_move_returns(shop, client):
    number = _start(shop, client)
    assert client.post(f"/api/returns/{number}/status", json={"status": "refunded"},
                       headers={"X-CSRFToken": api_token(client)}).status_code == 403
    anonymous = shop.test_client()
    assert anonymous.post(f"/api/returns/{number}/status", json={"status": "refunded"},
                          headers={"X-CSRFToken": api_token(anonymous)}).status_code == 401
    assert client.post(f"/api/returns/{number}/status", json={"status": "refunded"}).status_code == 400  # no CSRF


def test_the_customer_cancels_a_return_not_yet_sent_and_the_stock_comes_back(shop, client):
    number = _start(shop, client, resolution="exchange", exchange_for="NL-JKT-L-NAVY")
    with shop.app_context():
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-L-NAVY")) == 0
    token = csrf_token_from(client, f"/retouren/{number}")
    response = client.post(f"/retouren/{number}/stornieren", data={"csrf_token": token}, follow_redirects=True)
    assert "ist storniert" in response.get_data(as_text=True)
    assert "Rücksendung stornieren" not in response.get_data(as_text=True)
    assert _status(client, number) == "cancelled"
    with shop.app_context():
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-L-NAVY")) == 1
    items = {i["sku"]: i for i in client.get("/api/orders/600001/returnable").get_json()["items"]}
    assert items["NL-JKT-M-NAVY"]["eligible"] is True
    again = client.post(f"/retouren/{number}/stornieren", data={"csrf_token": token}, follow_redirects=True)
    assert "abgeschlossen" in again.get_data(as_text=True)


def test_cancelling_a_return_asks_for_confirmation_first(shop, client):
    number = _start(shop, client)
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    # The status page only leads to the question; nothing on it cancels the return.
    assert (f'<a class="button" href="/retouren/{number}/stornieren">'
            "Rücksendung stornieren – ich behalte die Artikel</a>") in page
    assert f'action="/retouren/{number}/stornieren"' not in page
    question = client.get(f"/retouren/{number}/stornieren")
    html = question.get_data(as_text=True)
    assert question.status_code == 200 and f"Rücksendung {number} wirklich stornieren?" in html
    assert f'<form method="post" action="/retouren/{number}/stornieren"' in html
    assert "Ja, Rücksendung stornieren" in html and f'href="/retouren/{number}">Nein, Rücksendung behalten</a>' in html
    assert _status(client, number) == "registered"  # asking changes nothing


def test_the_label_pdf_carries_number_barcode_text_and_addresses(shop, client):
    number = _start(shop, client)
    response = client.get(f"/api/returns/{number}/label.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert text.count(number) >= 2  # the barcode's human-readable line and the packing slip
    assert "Kim Berg" in text and "Retourenabteilung" in text and "Steppjacke Hamburg" in text and "NL-JKT-M-NAVY" in text
    assert reader.metadata.title == number
    web = client.get(f"/retouren/{number}/etikett.pdf")
    assert web.data == response.data
    qr = client.get(f"/api/returns/{number}/qr.png")
    assert qr.data.startswith(b"\x89PNG") and qr.headers["Cache-Control"] == "no-store"


def test_returns_webhook_to_the_shop_is_signed_and_queued(make_app, fixture_index, make_user, monkeypatch):
    from tests.test_returns import NOW, _delivered, _item
    from app.shop.cli import apply_import
    from tests.shop_factory import customer, document

    app = make_app(index_dir=fixture_index, HELPCENTER_RETURNS_WEBHOOK_URL="https://erp.example/returns",
                   HELPCENTER_RETURNS_WEBHOOK_SECRET="erp-secret")
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    with app.app_context():
        apply_import(document([customer()], [_delivered("600001", NOW.date(), [_item("NL-A", "Hemd", "39.95")])]))
    from app.accounts.models import User
    from app.shop.models import Customer
    with app.app_context():
        user = User(email="kim.berg@example.com", name="Kim Berg", role="customer",
                    customer_id=db.session.scalar(select(Customer.id)))
        user.set_password("richtig-gutes-passwort")
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    login(client)
    number = post_return(client, {"order_number": "600001", "items": [{"sku": "NL-A", "reason": "zu-gross"}],
                                  "resolution": "refund", "carrier": "hermes"}).get_json()["return_number"]
    with app.app_context():
        hook = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
        payload = json.loads(hook.body)
        assert payload["return_number"] == number and payload["refund"] == "39.95" and payload["carrier"] == "hermes"
        expected = hmac.new(b"erp-secret", hook.body.encode(), hashlib.sha256).hexdigest()
        assert json.loads(hook.headers)["X-Signature"] == f"sha256={expected}"


def test_a_webhook_url_without_secret_stops_the_start(make_app, fixture_index):
    import pytest

    from app.config import ConfigError

    with pytest.raises(ConfigError, match="SECRET"):
        make_app(index_dir=fixture_index, HELPCENTER_RETURNS_WEBHOOK_URL="https://erp.example/returns")


def test_nothing_is_half_written_when_the_mail_cannot_be_queued(shop, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("app.returns.service.queue_confirmation", broken)
    login(client)
    response = post_return(client, jacket())
    assert response.status_code == 500
    with shop.app_context():
        assert db.session.scalar(select(ReturnRequest)) is None
        assert db.session.scalar(select(OutboxMessage)) is None


def test_an_agents_status_changes_are_in_the_audit_trail_and_the_carriers_are_not(shop, client):
    from app.audit.models import AuditEvent

    number = _start(shop, client)
    assert signed(client, {"return_number": number, "status": "received",
                           "time": "2026-11-18T11:00:00+01:00"}).status_code == 200
    agent = shop.test_client()
    login(agent, "agent@example.com")
    token = api_token(agent)
    for status in ("inspected", "refunded"):
        assert agent.post(f"/api/returns/{number}/status", json={"status": status, "note": "Naht offen"},
                          headers={"X-CSRFToken": token}).status_code == 200
    assert agent.post(f"/api/returns/{number}/status", json={"status": "inspected"},
                      headers={"X-CSRFToken": token}).status_code == 409
    with shop.app_context():
        rows = [(e.actor_label, e.action, e.object_type, e.object_ref, e.detail)
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert rows == [("agent@example.com", "return.status", "return", number, "status: received → inspected"),
                    ("agent@example.com", "return.status", "return", number, "status: inspected → refunded")]
