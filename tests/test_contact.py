"""The contact form and POST /api/cases: verification, routing, numbers, idempotency, slots, chat."""
import datetime as dt
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from app.cases.models import AgentPresence, Case, ContactDeflection
from app.cases.numbering import next_case_number
from app.cases.availability import answer_due
from app.cases.routing import RoutingConfigError, load_routing, parse_routing
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from tests.conftest import csrf_token_from, login, post_api
from tests.shop_factory import customer, document, event, order, shipment

# Monday 16 November 2026, 10:00 in Hamburg: the service is open.
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)
SLOT = "2026-11-16T11:00:00+01:00"


@pytest.fixture
def shop(app, make_user, monkeypatch):
    monkeypatch.setattr("app.contact.views.now", lambda: NOW)
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [order("500001", status="delivered", shipments=[shipment("00340434165000000001", "delivered",
                                                                      [event(dt.date(2026, 11, 13), "delivered")])],
                   items=[{"sku": "NL-1", "name": "Steppjacke", "category": "Damenmode", "quantity": 1,
                           "unit_price": "79.95", "returnable": True},
                          {"sku": "NL-2", "name": "Schal", "category": "Damenmode", "quantity": 1,
                           "unit_price": "19.95", "returnable": True}]),
             order("500009", cid="K-2", postcode="10115")]))
    make_user(customer_ref="K-1")
    return app


def post_case(client, body, key=None):
    return post_api(client, "/api/cases", body, key)


PHONE_CASE = {"topic": "lieferung-nicht-erhalten", "message": "Das Paket ist laut Verfolgung zugestellt, aber nicht da.",
              "channel": "phone", "order_number": "500001", "phone": "040 555 0101", "phone_consent": True,
              "callback_slot": SLOT}


def test_routing_file_is_validated():
    config = load_routing()
    assert config.route("phone", "lieferung-nicht-erhalten", True, 99.0).queue.slug == "rueckruf-1st-level"
    assert config.route("phone", "lieferung", True, 350.0).queue.slug == "rueckruf-spezialisten"
    assert config.route("email", "reklamation", True, 20.0).queue.slug == "reklamationen"
    assert config.route("email", "zahlung", False, None).queue.slug == "unverifiziert"
    assert config.route("chat", "sonstiges", True, None).queue.slug == "chat"
    assert config.route("phone", "lieferung-verloren", True, 20.0).priority == "high"
    assert config.route("email", "zahlung", True, 800.0).priority == "high"
    assert config.route("email", "zahlung", False, None).priority == "low"
    # 24 hours of service time from New Year's Day (closed): Friday 12 h, Saturday 7 h, Monday 5 h.
    target = config.route("email", "zahlung", True, 20.0).queue.sla_minutes
    assert answer_due(config, dt.datetime(2026, 1, 1, tzinfo=SHOP_TIMEZONE), target, "HH") == \
        dt.datetime(2026, 1, 5, 13, 0, tzinfo=SHOP_TIMEZONE)
    from app.cases.routing import DEFAULT_FILE
    good = DEFAULT_FILE.read_text(encoding="utf-8")
    for broken, message in [
        (good.replace('queue = "reklamationen"', 'queue = "gibtsnicht"'), "unknown queue 'gibtsnicht'"),
        (good.replace('channels = ["chat"]', 'channels = ["fax"]'), "unknown channel 'fax'"),
        (good.replace('topics = ["reklamation"]', 'topics = ["wetter"]'), "unknown topic 'wetter'"),
        (good.replace('mo = "08:00-20:00"', 'mo = "20:00-08:00"'), "closing must come after opening"),
        (good.replace("[[rules]]\nqueue = \"email\"", ""), "the last rule must have no conditions"),
        ("[queues", "not valid TOML"),
    ]:
        with pytest.raises(RoutingConfigError, match=message):
            parse_routing(broken)


def test_broken_routing_file_stops_the_app(make_app, fixture_index, tmp_path):
    bad = tmp_path / "routing.toml"
    bad.write_text("[queues.x]\nname = 'X'\n[[rules]]\nqueue = 'y'\n")
    with pytest.raises(RoutingConfigError, match="unknown queue 'y'"):
        make_app(index_dir=fixture_index, HELPCENTER_ROUTING_FILE=str(bad))


def test_form_prefills_order_topic_and_article_for_a_signed_in_customer(shop, client):
    login(client)
    html = client.get("/kontakt?order=500001&topic=lieferung-nicht-erhalten&article=paypal").get_data(as_text=True)
    assert '<option selected value="lieferung-nicht-erhalten">' in html or 'value="lieferung-nicht-erhalten" selected' in html
    assert '<option value="500001" selected>' in html
    assert 'name="article" type="hidden" value="paypal"' in html
    assert 'name="name"' not in html and 'name="email"' not in html  # nothing to type about themselves
    assert "Wir nutzen die Nummer nur für diesen Rückruf" in html
    assert "<legend>Montag, 16. November</legend>" in html and ">11:00 Uhr</label>" in html  # first free slot


def test_signed_in_customer_case_is_verified_routed_and_acknowledged(shop, client):
    login(client)
    response = post_case(client, PHONE_CASE)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"case_number", "verified", "queue", "channel", "expected_response"}
    assert body["case_number"] == "NL-2026-000001"
    assert body["verified"] is True and body["queue"] == "rueckruf-1st-level" and body["channel"] == "phone"
    assert body["expected_response"] == "Wir rufen Sie am Montag, 16. November um 11:00 Uhr an."
    with shop.app_context():
        case = db.session.scalar(select(Case))
        assert case.priority == "high" and case.contact_email == "kim.berg@example.com" and case.order.number == "500001"
        mail = db.session.scalar(select(OutboxMessage))
        assert mail.recipient == "kim.berg@example.com" and "NL-2026-000001" in mail.subject
        assert "Wir rufen Sie am Montag, 16. November um 11:00 Uhr an." in mail.body
    assert client.get("/api/cases/NL-2026-000001").get_json()["status"] == "new"


def test_extra_fields_cannot_set_what_the_server_decides(shop, client):
    login(client)
    body = dict(PHONE_CASE, verified=False, queue="chat", priority="low", customer_id=2, status="resolved")
    assert post_case(client, body).status_code == 201
    with shop.app_context():
        case = db.session.scalar(select(Case))
        assert (case.verified, case.queue, case.status) == (True, "rueckruf-1st-level", "new")


def test_someone_elses_order_is_refused(shop, client):
    login(client)
    response = post_case(client, dict(PHONE_CASE, order_number="500009"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["order_number"] == "Diese Bestellung finden wir in Ihrem Konto nicht."


def test_guest_is_verified_by_a_matching_order_and_postcode(shop, client):
    base = {"topic": "lieferung", "message": "Wann kommt meine Bestellung denn ungefähr an?", "channel": "email",
            "name": "Kim Berg", "email": "kim.berg@example.com", "order_number": "500001"}
    proven = post_case(client, dict(base, postcode="20095")).get_json()
    unproven = post_case(app_client(shop), dict(base, postcode="99999")).get_json()
    assert proven["verified"] is True and proven["queue"] == "email"
    assert unproven["verified"] is False and unproven["queue"] == "unverifiziert"
    other_address = post_case(app_client(shop), dict(base, postcode="20095", email="fremd@example.com")).get_json()
    assert other_address["verified"] is False


def app_client(app):
    return app.test_client()


@pytest.mark.parametrize("change,field", [
    ({"topic": "wetter"}, "topic"),
    ({"message": "kurz"}, "message"),
    ({"message": "x" * 5001}, "message"),
    ({"channel": "fax"}, "channel"),
    ({"order_number": None}, "order_number"),
    ({"phone": "12"}, "phone"),
    ({"phone": "ruf mich an"}, "phone"),
    ({"phone_consent": False}, "phone_consent"),
    ({"callback_slot": None}, "callback_slot"),
    ({"callback_slot": "2026-11-16T03:00:00+01:00"}, "callback_slot"),
    ({"callback_slot": "kaputt"}, "callback_slot"),
    ({"skus": ["GIBTSNICHT"]}, "skus"),
    ({"topic": "lieferung-beschaedigt"}, "skus"),
    ({"desired_outcome": "alles"}, "desired_outcome"),
    ({"message": 42}, "message"),
    ({"skus": "NL-1"}, "skus"),
])
def test_conditional_fields_and_bad_input_get_422_with_field_errors(shop, client, change, field):
    login(client)
    response = post_case(client, {**PHONE_CASE, **change})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_guest_needs_name_and_email(shop, client):
    response = post_case(client, {"topic": "sonstiges", "message": "Eine allgemeine Frage zu euch.", "channel": "email",
                                  "email": "a@b.de\r\nBcc: x@y.z"})
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"name", "email"}


def test_card_numbers_are_masked_everywhere_they_would_land(shop, client):
    login(client)
    post_case(client, dict(PHONE_CASE, message="Abgebucht von Karte 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00"))
    with shop.app_context():
        case = db.session.scalar(select(Case))
        assert "4111 1111 1111 1111" not in case.message and "411111******1111" in case.message
        assert "DE89 3704 0044 0532 0130 00" in case.message
        assert "4111 1111 1111 1111" not in db.session.scalar(select(OutboxMessage)).body


def test_idempotency_key_returns_the_first_case_and_refuses_a_different_body(shop, client):
    login(client)
    first = post_case(client, PHONE_CASE, key="retry-key-0001")
    again = post_case(client, PHONE_CASE, key="retry-key-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["case_number"] == again.get_json()["case_number"]
    other = post_case(client, dict(PHONE_CASE, message="Eine ganz andere Nachricht hier."), key="retry-key-0001")
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_conflict"
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_double_submit_of_the_form_creates_one_case(shop, client):
    login(client)
    html = client.get("/kontakt?order=500001&topic=lieferung-nicht-erhalten").get_data(as_text=True)
    import re
    submission_id = re.search(r'name="submission_id" type="hidden" value="([0-9a-f]+)"', html).group(1)
    token = csrf_token_from(client, "/kontakt")
    data = {"csrf_token": token, "submission_id": submission_id, "topic": "lieferung-nicht-erhalten",
            "order_number": "500001", "message": "Zugestellt, aber nichts da. Nachbarn gefragt.", "channel": "phone",
            "phone": "040 555 0101", "phone_consent": "y", "callback_slot": SLOT}
    first = client.post("/kontakt", data=data)
    second = client.post("/kontakt", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "NL-2026-000001" in page and "Danke! Ihre Anfrage ist bei uns." in page
    with shop.app_context():
        case = db.session.scalar(select(Case))
        trail = json.loads(case.trail)
        assert any(step.get("flow") == "contact" for step in trail)
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_form_shows_errors_on_the_page(shop, client):
    login(client)
    token = csrf_token_from(client, "/kontakt")
    response = client.post("/kontakt", data={"csrf_token": token, "topic": "lieferung", "message": "", "channel": "phone"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte prüfen Sie diese Angaben:" in html
    assert "Bitte beschreiben Sie Ihr Anliegen" in html and "Bitte wählen Sie einen freien Termin" in html


def test_the_error_summary_names_each_wrong_field_and_links_to_it(shop, client):
    login(client)
    token = csrf_token_from(client, "/kontakt")
    response = client.post("/kontakt", data={"csrf_token": token, "topic": "lieferung", "message": "",
                                             "channel": "phone"})
    html = response.get_data(as_text=True)
    summary = html[html.index("data-error-summary"):html.index("</div>", html.index("data-error-summary"))]
    assert '<li><a href="#message">Was ist passiert?</a>: Bitte beschreiben Sie Ihr Anliegen' in summary
    assert '<li><a href="#slots">Wann dürfen wir anrufen?</a>: Bitte wählen Sie einen freien Termin' in summary
    assert 'id="slots"' in html and 'id="message"' in html  # every link has its target
    nothing = client.post("/kontakt", data={"csrf_token": token, "topic": "lieferung", "message": "Wo bleibt es?"})
    assert '<a href="#channel-phone">Wie sollen wir uns melden?</a>: Bitte ausfüllen.' in nothing.get_data(as_text=True)


def test_no_channel_is_chosen_for_the_customer_and_callback_slots_are_grouped_by_day(shop, client):
    login(client)
    html = client.get("/kontakt").get_data(as_text=True)
    for channel in ("phone", "email", "chat"):
        tag = html[html.index(f'id="channel-{channel}"') - 60:html.index(f'id="channel-{channel}"') + 40]
        assert "checked" not in tag
    days = re.findall(r'<fieldset class="slot-day" data-slot-day>\s*<legend>([^<]+)</legend>', html)
    assert days[:2] == ["Montag, 16. November", "Dienstag, 17. November"] and len(days) == len(set(days))
    monday = html[html.index("<legend>Montag, 16. November</legend>"):html.index("<legend>Dienstag, 17. November")]
    times = re.findall(r">(\d\d:\d\d) Uhr</label>", monday)
    assert "11:00" in times and times == sorted(times)  # the day first, then its times


def test_slot_capacity_is_respected(shop, client):
    login(client)
    statuses = [post_case(client, PHONE_CASE).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 422]
    slots = client.get("/api/contact/availability").get_json()["callback_slots"]
    assert SLOT not in [s["start"] for s in slots]
    assert slots[0]["start"] == "2026-11-16T10:30:00+01:00" and slots[0]["free"] == 3


def test_chat_only_while_an_agent_is_online(shop, client, make_user, monkeypatch):
    login(client)
    chat = {"topic": "sonstiges", "message": "Kurze Frage zum Versand bitte.", "channel": "chat"}
    closed = post_case(client, chat)
    assert closed.status_code == 422 and "nicht besetzt" in closed.get_json()["error"]["fields"]["channel"]
    assert client.get("/api/contact/availability").get_json()["chat"]["available"] is False
    agent_id = make_user(email="agent@example.com", role="agent", name="Agent")
    with shop.app_context():
        db.session.add(AgentPresence(user_id=agent_id, status="online",
                                     last_seen_at=NOW.astimezone(dt.timezone.utc).replace(tzinfo=None)))
        db.session.commit()
    assert client.get("/api/contact/availability").get_json()["chat"]["available"] is True
    assert post_case(client, chat).get_json()["queue"] == "chat"
    monkeypatch.setattr("app.contact.views.now", lambda: dt.datetime(2026, 11, 16, 21, 0, tzinfo=SHOP_TIMEZONE))
    availability = client.get("/api/contact/availability").get_json()["chat"]
    assert availability == {"available": False, "next_opening": "2026-11-17T08:00:00+01:00"}


def test_cases_are_private(shop, client, make_user):
    login(client)
    number = post_case(client, PHONE_CASE).get_json()["case_number"]
    make_user(email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")
    stranger = shop.test_client()
    assert stranger.get(f"/api/cases/{number}").status_code == 404
    assert stranger.get(f"/kontakt/anfrage/{number}").status_code == 404
    login(stranger, "jan.ode@example.com")
    assert stranger.get(f"/api/cases/{number}").status_code == 404
    assert stranger.get("/api/cases/NL-2026-999999").status_code == 404


def test_case_numbers_are_unique_and_gapless_under_concurrency(shop):
    numbers, errors = [], []

    def worker():
        with shop.app_context():
            try:
                for _ in range(5):
                    numbers.append(next_case_number(2026))
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(repr(exc))
                db.session.rollback()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"NL-2026-{i:06d}" for i in range(1, 31)]


def test_rolled_back_case_gives_its_number_back(shop):
    with shop.app_context():
        assert next_case_number(2027) == "NL-2027-000001"
        db.session.rollback()
        assert next_case_number(2027) == "NL-2027-000001"
        db.session.commit()
        assert next_case_number(2027) == "NL-2027-000002"


def test_opened_suggestion_counts_as_deflection_until_a_case_follows(shop, client):
    token = csrf_token_from(client, "/kontakt")
    assert client.post("/kontakt/vorschlag-geoeffnet", json={"slug": "paypal"}, headers={"X-CSRFToken": token}).status_code == 204
    assert client.post("/kontakt/vorschlag-geoeffnet", json={"slug": "nix"}, headers={"X-CSRFToken": token}).status_code == 404
    with shop.app_context():
        assert db.session.scalar(select(ContactDeflection)).converted is False
    post_case(client, {"topic": "sonstiges", "message": "Hat leider doch nicht geholfen.", "channel": "email",
                       "name": "Kim", "email": "kim@example.com"})
    with shop.app_context():
        assert db.session.scalar(select(ContactDeflection)).converted is True


def test_attachments_are_checked_by_content_and_stored_outside_the_web_root(shop, client, tmp_path):
    import io
    login(client)
    token = csrf_token_from(client, "/kontakt")
    base = {"csrf_token": token, "topic": "reklamation", "order_number": "500001", "skus": "NL-1",
            "message": "Der Reißverschluss ist nach zwei Tagen kaputt.", "channel": "email", "desired_outcome": "ersatz"}
    fake = client.post("/kontakt", data={**base, "attachments": (io.BytesIO(b"<script>"), "foto.jpg")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "kein Foto (JPEG, PNG) und kein PDF" in fake.get_data(as_text=True)
    # Only the JPEG header, no picture: not an image either (decoded, not just the first bytes compared).
    header_only = client.post("/kontakt", data={**base, "attachments": (io.BytesIO(b"\xff\xd8\xff\xe0" + b"0" * 100),
                                                                        "riss.jpg")}, content_type="multipart/form-data")
    assert header_only.status_code == 422
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, "JPEG")
    ok = client.post("/kontakt", data={**base, "attachments": (io.BytesIO(out.getvalue()), "../../riss.jpg")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    # The acknowledgement repeats what was sent: order, articles, wish and attachments.
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "<dt>Bestellung</dt><dd>500001</dd>" in page
    assert '<ul class="plain" data-ack-items><li>Steppjacke</li></ul>' in page
    assert "<dd data-ack-outcome>Ersatz</dd>" in page or "<dd data-ack-outcome>" in page
    assert '<ul class="plain" data-ack-attachments><li>riss.jpg</li></ul>' in page
    with shop.app_context():
        case = db.session.scalar(select(Case))
        attachment = case.attachments[0]
        assert (attachment.filename, attachment.content_type) == ("riss.jpg", "image/jpeg")
        assert case.queue == "reklamationen" and case.desired_outcome == "ersatz"
        # The bytes are in the row (every node serves them), not a file in a web root.
        assert attachment.data[:3] == b"\xff\xd8\xff" and len(attachment.data) == attachment.size
        assert attachment.storage_name.endswith(".jpg")


def test_concurrent_submissions_each_become_exactly_one_case_and_one_message(shop):
    results, errors = [], []

    def submit(index):
        client = shop.test_client()
        try:
            response = post_case(client, {"topic": "sonstiges", "message": f"Gleichzeitige Anfrage Nummer {index}.",
                                          "channel": "email", "name": f"Gast {index}", "email": f"gast{index}@example.com"})
            results.append((response.status_code, response.get_json().get("case_number")))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {status for status, _ in results} == {201}
    assert sorted(number for _, number in results) == [f"NL-2026-{i:06d}" for i in range(1, 13)]
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 12
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 12


def test_acknowledgement_arrives_by_smtp_once(shop, client, monkeypatch):
    from app.outbox.delivery import deliver_due
    from tests.test_outbox import SmtpSink, _free_port

    login(client)
    number = post_case(client, PHONE_CASE).get_json()["case_number"]
    port = _free_port()
    monkeypatch.setitem(shop.config, "HELPCENTER_MAIL_BACKEND", "smtp")
    monkeypatch.setitem(shop.config, "HELPCENTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(shop.config, "HELPCENTER_SMTP_PORT", port)
    with SmtpSink(port) as smtp, shop.app_context():
        assert deliver_due().sent == 1
        assert deliver_due().sent == 0
        assert len(smtp.received) == 1
        mail = smtp.received[0]
        assert mail.rcpt_tos == ["kim.berg@example.com"]
        assert mail.message["Subject"] == f"Ihre Anfrage {number} bei Nordlicht"
        body = mail.message.get_content()
        assert number in body and "Wir rufen Sie am Montag, 16. November um 11:00 Uhr an." in body


def test_queue_webhook_pushes_new_cases_signed(shop, client, tmp_path, monkeypatch):
    import hashlib
    import hmac

    from app.cases.routing import DEFAULT_FILE

    text = DEFAULT_FILE.read_text(encoding="utf-8").replace(
        '[queues.reklamationen]\nname = "Reklamationen"\nsla_minutes = 480',
        '[queues.reklamationen]\nname = "Reklamationen"\nsla_minutes = 480\n'
        'webhook_url = "https://crm.example/hooks/cases"\nwebhook_secret = "crm-geheim"')
    routing_file = tmp_path / "routing.toml"
    routing_file.write_text(text, encoding="utf-8")
    from app.cases.routing import load_routing
    monkeypatch.setitem(shop.extensions, "helpcenter.routing", load_routing(routing_file))
    login(client)
    number = post_case(client, {"topic": "reklamation", "message": "Reißverschluss nach zwei Tagen kaputt.",
                                "channel": "email", "order_number": "500001", "skus": ["NL-1"],
                                "desired_outcome": "ersatz"}).get_json()["case_number"]
    with shop.app_context():
        hook = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
        assert hook.recipient == "https://crm.example/hooks/cases"
        payload = json.loads(hook.payload)
        assert payload["case_number"] == number and payload["queue"] == "reklamationen" and payload["verified"] is True
        headers = json.loads(hook.headers)
        body = hook.payload.encode()
        expected = "sha256=" + hmac.new(b"crm-geheim", body, hashlib.sha256).hexdigest()
        assert headers["X-Signature"] == expected


def test_a_rate_limited_visitor_keeps_the_filled_form_and_learns_when_to_send_again(shop, client):
    login(client)
    token = csrf_token_from(client, "/kontakt")
    data = {"csrf_token": token, "topic": "sonstiges", "message": "Mein langer Text, den ich nicht verlieren will.",
            "channel": "email", "submission_id": "abc"}
    statuses = [client.post("/kontakt", data={**data, "message": ""}).status_code for _ in range(25)]
    assert set(statuses) == {422, 429}  # the form's limit is reached
    limited = client.post("/kontakt", data=data)
    html = limited.get_data(as_text=True)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Sie haben in kurzer Zeit viele Anfragen gesendet. Ihre Angaben sind unten noch da" in html
    assert re.search(r"bitte senden Sie das Formular ab \d\d:\d\d Uhr noch einmal", html)
    assert "\nMein langer Text, den ich nicht verlieren will.</textarea>" in html
    assert 'value="email" id="channel-email" checked' in html and '<form method="post"' in html
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_slot_days_and_times_are_local_across_the_clock_change_and_in_english(shop, client, monkeypatch):
    # Friday 23 October 2026, 10:00: summer time ends on Sunday 25 October (03:00 CEST -> 02:00 CET).
    monkeypatch.setattr("app.contact.views.now", lambda: dt.datetime(2026, 10, 23, 10, 0, tzinfo=SHOP_TIMEZONE))
    login(client)
    html = client.get("/kontakt").get_data(as_text=True)
    def day_section(page, legend):
        section = page[page.index(f"<legend>{legend}</legend>"):]
        return section[:section.index("</fieldset>")]

    friday, monday = day_section(html, "Freitag, 23. Oktober"), day_section(html, "Montag, 26. Oktober")
    for day in (friday, monday):
        times = re.findall(r">(\d\d:\d\d) Uhr</label>", day)
        # Service hours in local time on both sides of the change, never shifted by an hour.
        assert times and times == sorted(times) and "19:30" in times and all("08:00" <= t <= "19:30" for t in times)
    assert re.findall(r">(\d\d:\d\d) Uhr</label>", monday)[0] == "08:00"
    values = re.findall(r'name="callback_slot" value="(2026-10-26T08:00[^"]*)"', monday)
    assert values == ["2026-10-26T08:00:00+01:00"]

    english = client.get("/kontakt?lang=en").get_data(as_text=True)
    assert "<legend>Monday, 26 October</legend>" in english
    assert re.search(r'<label for="slot-\d+-1">08:00</label>', day_section(english, "Monday, 26 October"))
    assert " Uhr</label>" not in english
