"""The returns center: eligibility and its messages, goodwill rules, exchange, idempotency, access, status."""
import datetime as dt
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from app.cases.models import Case
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ProductVariant, ReturnItem, ReturnPhoto, ReturnRequest
from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from tests.conftest import api_token, csrf_token_from, login, post_api
from tests.shop_factory import customer, document, event, order, shipment

# Monday 16 November 2026, 10:00 in Hamburg.
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)


def _item(sku, name, price, category="Damenmode", quantity=1, returnable=True, size=None, colour=None):
    item = {"sku": sku, "name": name, "category": category, "quantity": quantity, "unit_price": price,
            "returnable": returnable}
    if size:
        item["size"] = size
    if colour:
        item["colour"] = colour
    return item


def _delivered(number, day, items, cid="K-1", postcode="20095", tracking=None):
    tracking = tracking or f"0034043416{number}00"
    return order(number, cid=cid, status="delivered", postcode=postcode, placed=day - dt.timedelta(days=3),
                 shipments=[shipment(tracking, "delivered", [event(day, "delivered")])], items=items)


@pytest.fixture
def shop(app, make_user, monkeypatch):
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [_delivered("600001", dt.date(2026, 11, 13), [
                _item("NL-JKT-M-NAVY", "Steppjacke Hamburg", "79.95", size="M", colour="Navy"),
                _item("NL-PUL-M", "Strickpullover Merino", "59.95", quantity=2),
                _item("NL-HCR", "Handcreme Sanddorn", "7.95", category="Kosmetik"),
                _item("NL-SOCK", "Socken", "5.95"),
                _item("NL-LMP", "Stehleuchte Bogen", "149.00", category="Wohnen"),
                _item("NL-ENG", "Gravierter Becher", "19.95", category="Wohnen", returnable=False)]),
             _delivered("600002", dt.date(2026, 10, 1), [_item("NL-OLD", "Chino", "54.95")], tracking="00340434169999"),
             order("600003", status="shipped", shipments=[shipment("00340434160003", "in_transit",
                                                                  [event(dt.date(2026, 11, 15), "in_transit")])]),
             _delivered("600009", dt.date(2026, 11, 13), [_item("NL-X", "Schal", "19.95")], cid="K-2",
                        postcode="10115", tracking="00340434160009")]))
        db.session.add_all([
            ProductVariant(sku="NL-JKT-M-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="M",
                           colour="Navy", stock=3),
            ProductVariant(sku="NL-JKT-L-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="L",
                           colour="Navy", stock=1),
            ProductVariant(sku="NL-JKT-S-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="S",
                           colour="Navy", stock=0),
        ])
        db.session.commit()
    make_user(customer_ref="K-1")
    make_user(email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")
    make_user(email="agent@example.com", name="Agent", role="agent")
    return app


def post_return(client, body, key=None):
    return post_api(client, "/api/returns", body, key)


def jacket(reason="zu-gross", **extra):
    return {"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "quantity": 1, "reason": reason}],
            "resolution": "refund", "carrier": "dhl", **extra}


def test_each_eligibility_rule_gives_its_reason(shop, client):
    login(client)
    body = client.get("/api/orders/600001/returnable").get_json()
    items = {i["sku"]: i for i in body["items"]}
    assert body["return_window_ends"] == "2026-12-13"
    assert items["NL-JKT-M-NAVY"]["eligible"] is True and items["NL-JKT-M-NAVY"]["reason_if_not"] is None
    assert items["NL-PUL-M"]["returnable_quantity"] == 2
    assert items["NL-HCR"]["eligible"] is False and "Hygiene" in items["NL-HCR"]["reason_if_not"]
    assert items["NL-ENG"]["eligible"] is False and "ausgeschlossen" in items["NL-ENG"]["reason_if_not"]
    old = client.get("/api/orders/600002/returnable").get_json()["items"][0]
    assert old["eligible"] is False
    assert old["reason_if_not"] == "Die Rückgabefrist von 30 Tagen ist am 31. Oktober 2026 abgelaufen."
    pending = client.get("/api/orders/600003/returnable").get_json()["items"][0]
    assert pending["eligible"] is False and pending["reason_if_not"].startswith("Noch nicht zugestellt")


def test_already_returned_quantities_are_not_offered_again(shop, client):
    login(client)
    first = {"order_number": "600001", "items": [{"sku": "NL-PUL-M", "quantity": 1, "reason": "gefaellt-nicht"}],
             "resolution": "refund", "carrier": "hermes"}
    assert post_return(client, first).status_code == 201
    items = {i["sku"]: i for i in client.get("/api/orders/600001/returnable").get_json()["items"]}
    assert items["NL-PUL-M"]["returnable_quantity"] == 1
    second = {**first, "items": [{"sku": "NL-PUL-M", "quantity": 2, "reason": "gefaellt-nicht"}]}
    response = post_return(client, second)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["items.0.quantity"] == "Sie können höchstens 1 Stück zurücksenden."
    assert post_return(client, {**first}).status_code == 201
    items = {i["sku"]: i for i in client.get("/api/orders/600001/returnable").get_json()["items"]}
    # Registered, not yet back: the item is on its way, and the page says so (with the return to open).
    assert items["NL-PUL-M"]["eligible"] is False and items["NL-PUL-M"]["reason_if_not"] == "Rücksendung angemeldet."
    assert items["NL-PUL-M"]["reason_code"] == "return_registered"


def test_an_item_in_a_registered_return_links_to_that_return_and_reads_returned_once_it_arrived(shop, client):
    from app.returns.status import advance

    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    html = client.get("/retouren/bestellung/600001").get_data(as_text=True)
    blocked = html[html.index('id="blocked-title"'):]
    assert "<strong>Steppjacke Hamburg</strong>: Rücksendung angemeldet." in blocked
    assert "Bereits zurückgesendet" not in html
    link = f'href="/retouren/{number}">Zur Rücksendung {number} mit Etikett und QR-Code</a>'
    assert link in blocked
    status_page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert f"/retouren/{number}/etikett.pdf" in status_page and f"/retouren/{number}/qr.png" in status_page
    with shop.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == number))
        advance(ret, "received", "carrier", dt.datetime(2026, 11, 17, 9, 0))
        db.session.commit()
    html = client.get("/retouren/bestellung/600001").get_data(as_text=True)
    assert "<strong>Steppjacke Hamburg</strong>: Bereits zurückgesendet." in html
    assert "Rücksendung angemeldet" not in html and link not in html


def test_window_is_configurable_but_never_below_the_legal_period(tmp_path):
    from app.returns.policy import DEFAULT_FILE, PolicyError, load_policy

    text = DEFAULT_FILE.read_text(encoding="utf-8")
    short = tmp_path / "policy.toml"
    short.write_text(text.replace("window_days = 30", "window_days = 10"), encoding="utf-8")
    with pytest.raises(PolicyError, match="14"):
        load_policy(short)
    longer = tmp_path / "long.toml"
    longer.write_text(text.replace("window_days = 30", "window_days = 100"), encoding="utf-8")
    assert load_policy(longer).window_days == 100


def test_a_return_with_label_is_stored_before_the_mail(shop, client):
    login(client)
    response = post_return(client, jacket(comment=None))
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"R-2026-\d{6}", body["return_number"])
    assert body["status"] == "registered" and body["returnless"] is False
    assert body["label_url"].endswith(f"/api/returns/{body['return_number']}/label.pdf")
    assert body["qr_url"].endswith(f"/api/returns/{body['return_number']}/qr.png")
    with shop.app_context():
        ret = db.session.scalar(select(ReturnRequest))
        assert ret.refund_cents == 7995 and ret.carrier == "dhl"
        item = ret.items[0]
        assert (item.sku, item.reason, item.product_code) == ("NL-JKT-M-NAVY", "zu-gross", "JKT")
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"return-confirmation:{ret.number}"))
        assert mail.recipient == "kim.berg@example.com"
        assert ret.number in mail.body and "/etikett.pdf?t=" in mail.body and "DHL-Filiale" in mail.body
        assert "79,95\xa0€" in mail.body


def test_cheap_goods_are_refunded_without_sending_them_back(shop, client):
    login(client)
    response = post_return(client, {"order_number": "600001", "items": [{"sku": "NL-SOCK", "quantity": 1,
                                                                        "reason": "zu-klein"}],
                                    "resolution": "refund"})
    body = response.get_json()
    assert response.status_code == 201
    assert body["returnless"] is True and body["status"] == "refunded"
    assert body["label_url"] is None and body["qr_url"] is None
    page = client.get(f"/retouren/{body['return_number']}").get_data(as_text=True)
    assert "Sie müssen den Artikel nicht zurücksenden" in page and "5,95" in page


def test_customers_in_good_standing_keep_goods_up_to_a_higher_value(shop, client):
    from app.returns.goodwill import Standing, decide
    policy = shop.extensions["helpcenter.returns_policy"]
    loyal, new = Standing(5, 10, 1), Standing(1, 1, 0)
    assert decide(1995, {"zu-gross"}, "refund", loyal, policy) == "returnless"
    assert decide(1995, {"zu-gross"}, "refund", new, policy) == "label"
    assert decide(1995, {"zu-gross"}, "refund", Standing(5, 10, 6), policy) == "label"
    assert decide(995, {"zu-gross"}, "exchange", loyal, policy) == "label"


def test_a_costly_defect_becomes_a_complaint_case_instead_of_a_label(shop, client):
    login(client)
    response = post_return(client, {"order_number": "600001", "items": [{
        "sku": "NL-LMP", "quantity": 1, "reason": "defekt", "comment": "Schalter ohne Funktion, Karte 4111 1111 1111 1111"}],
        "resolution": "refund", "carrier": "dhl"})
    body = response.get_json()
    assert response.status_code == 201
    assert body["status"] == "complaint" and body["label_url"] is None
    with shop.app_context():
        ret = db.session.scalar(select(ReturnRequest))
        case = db.session.get(Case, ret.complaint_case_id)
        assert case.queue == "reklamationen" and case.topic == "reklamation" and case.verified
        assert ret.number in case.message and "Stehleuchte" in case.message
        assert "4111 1111 1111 1111" not in case.message and "4111 1111 1111 1111" not in ret.items[0].comment
    page = client.get(f"/retouren/{body['return_number']}").get_data(as_text=True)
    assert "Reklamation" in page and case.number in page
    assert client.get(f"/kontakt/anfrage/{case.number}").status_code == 200


def test_a_cheap_defect_is_refunded_without_return(shop, client):
    login(client)
    body = post_return(client, {"order_number": "600001", "items": [{"sku": "NL-SOCK", "quantity": 1,
                                                                    "reason": "defekt"}], "resolution": "refund"}).get_json()
    assert body["returnless"] is True


def test_exchange_takes_another_size_in_stock_and_reserves_it(shop, client):
    login(client)
    body = client.get("/api/orders/600001/returnable").get_json()
    options = {o["sku"]: o for o in {i["sku"]: i for i in body["items"]}["NL-JKT-M-NAVY"]["exchange_options"]}
    assert options["NL-JKT-L-NAVY"]["in_stock"] is True and options["NL-JKT-S-NAVY"]["in_stock"] is False
    sold_out = post_return(client, jacket(resolution="exchange", exchange_for="NL-JKT-S-NAVY"))
    assert sold_out.status_code == 422 and "ausverkauft" in sold_out.get_json()["error"]["fields"]["items.0.exchange_for"]
    other_product = post_return(client, jacket(resolution="exchange", exchange_for="NL-X"))
    assert other_product.status_code == 422
    response = post_return(client, jacket(resolution="exchange", exchange_for={"NL-JKT-M-NAVY": "NL-JKT-L-NAVY"}))
    assert response.status_code == 201
    with shop.app_context():
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-L-NAVY")) == 0
        ret = db.session.scalar(select(ReturnRequest))
        assert ret.items[0].exchange_sku == "NL-JKT-L-NAVY" and ret.refund_cents == 0


def test_an_exchange_reads_as_product_name_size_and_colour_never_a_sku(shop, client):
    login(client)
    body = jacket(reason="zu-klein", resolution="exchange", exchange_for={"NL-JKT-M-NAVY": "NL-JKT-L-NAVY"})
    number = post_return(client, body).get_json()["return_number"]
    html = client.get(f"/retouren/{number}").get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    assert '<td data-exchange-for>Steppjacke Hamburg, Größe L, Navy</td>' in main
    assert 'Steppjacke Hamburg <span class="meta">Größe M, Navy</span>' in main
    assert "NL-JKT" not in main
    with shop.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains(number)))
        assert "- 1 × Steppjacke Hamburg, Größe M, Navy – Umtausch gegen: Steppjacke Hamburg, Größe L, Navy" \
            in mail.body
        assert "NL-JKT" not in mail.body


def test_no_exchange_for_products_without_variants(shop, client):
    login(client)
    response = post_return(client, {"order_number": "600001", "items": [{"sku": "NL-PUL-M", "quantity": 1,
                                                                        "reason": "zu-klein"}],
                                    "resolution": "exchange", "carrier": "dhl"})
    assert response.status_code == 422
    assert "kein Umtausch" in response.get_json()["error"]["fields"]["items.0.exchange_for"]


@pytest.mark.parametrize("body, field", [
    ({"items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross"}], "resolution": "refund", "carrier": "dhl"}, "order_number"),
    ({"order_number": "600001", "items": [], "resolution": "refund", "carrier": "dhl"}, "items"),
    ({"order_number": "600001", "items": "NL-1", "resolution": "refund"}, "items"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross"}], "resolution": "geschenk",
      "carrier": "dhl"}, "resolution"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "weil"}], "resolution": "refund",
      "carrier": "dhl"}, "items.0.reason"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "sonstiges"}], "resolution": "refund",
      "carrier": "dhl"}, "items.0.comment"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross", "quantity": "x"}],
      "resolution": "refund", "carrier": "dhl"}, "items.0.quantity"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross", "quantity": 0}],
      "resolution": "refund", "carrier": "dhl"}, "items.0.quantity"),
    ({"order_number": "600001", "items": [{"sku": "NL-HCR", "reason": "zu-gross"}], "resolution": "refund",
      "carrier": "dhl"}, "items.0.sku"),
    ({"order_number": "600001", "items": [{"sku": "NL-NOPE", "reason": "zu-gross"}], "resolution": "refund",
      "carrier": "dhl"}, "items.0.sku"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross"}], "resolution": "refund",
      "carrier": "ups"}, "carrier"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross"}], "resolution": "refund"},
     "carrier"),
    ({"order_number": "600001", "items": [{"sku": "NL-JKT-M-NAVY", "reason": "zu-gross", "comment": "x" * 10_000}],
      "resolution": "refund", "carrier": "dhl"}, "items.0.comment"),
    ({"order_number": ["600001"], "items": [{"sku": 5}], "resolution": 1}, "order_number"),
])
def test_invalid_returns_get_field_errors_and_store_nothing(shop, client, body, field):
    login(client)
    response = post_return(client, body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_not_json_is_a_422_not_a_500(shop, client):
    login(client)
    response = client.post("/api/returns", data="{", headers={"X-CSRFToken": api_token(client),
                                                             "Content-Type": "application/json"})
    assert response.status_code == 422


def test_same_idempotency_key_returns_the_first_return(shop, client):
    login(client)
    first = post_return(client, jacket(), key="retry-abc-123")
    again = post_return(client, jacket(), key="retry-abc-123")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["return_number"] == first.get_json()["return_number"]
    other = post_return(client, jacket(carrier="hermes"), key="retry-abc-123")
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_conflict"
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_someone_elses_order_and_return_are_404(shop, client, make_app):
    login(client, "jan.ode@example.com")
    assert client.get("/api/orders/600001/returnable").status_code == 404
    assert post_return(client, jacket()).status_code == 404
    assert client.get("/retouren/bestellung/600001").status_code == 404
    other = shop.test_client()
    login(other)
    number = post_return(other, jacket()).get_json()["return_number"]
    for url in (f"/api/returns/{number}", f"/api/returns/{number}/label.pdf", f"/api/returns/{number}/qr.png",
                f"/retouren/{number}", f"/retouren/{number}/etikett.pdf", "/api/returns/R-2026-999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Steppjacke" not in response.data
    anonymous = shop.test_client()
    assert anonymous.get(f"/api/returns/{number}").status_code == 404
    assert anonymous.get("/api/orders/600001/returnable").status_code == 404
    assert other.get(f"/api/returns/{number}").get_json()["order_number"] == "600001"


def test_signed_mail_link_opens_status_and_label_without_session(shop, client):
    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    with shop.app_context():
        body = db.session.scalar(select(OutboxMessage.body))
    token = re.search(r"etikett\.pdf\?t=(\S+)", body).group(1)
    anonymous = shop.test_client()
    assert anonymous.get(f"/retouren/{number}?t={token}").status_code == 200
    assert anonymous.get(f"/retouren/{number}/etikett.pdf?t={token}").data.startswith(b"%PDF")
    assert anonymous.get(f"/retouren/{number}/etikett.pdf?t={token}x").status_code == 404
    other_number = post_return(client, {**jacket(), "items": [{"sku": "NL-PUL-M", "quantity": 1,
                                                               "reason": "zu-klein"}]}).get_json()["return_number"]
    assert anonymous.get(f"/retouren/{other_number}?t={token}").status_code == 404


def test_guest_proves_the_order_once_and_gets_one_answer_for_every_wrong_guess(shop, client):
    token = csrf_token_from(client, "/retouren")
    wrong = client.post("/retouren", data={"order_number": "600001", "postcode": "99999", "csrf_token": token})
    unknown = client.post("/retouren", data={"order_number": "699999", "postcode": "20095", "csrf_token": token})
    message = "Zu dieser Bestellnummer und Postleitzahl haben wir keine Bestellung gefunden."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    right = client.post("/retouren", data={"order_number": "600001", "postcode": "20095", "csrf_token": token})
    assert right.status_code == 302 and right.headers["Location"].endswith("/retouren/bestellung/600001")
    page = client.get("/retouren/bestellung/600001").get_data(as_text=True)
    assert "Steppjacke Hamburg" in page and "kim.berg@example.com" not in page and "Lindenstraße" not in page
    assert client.get("/retouren/bestellung/600009").status_code == 404


def test_guest_lookups_share_one_limit_with_tracking(shop, client):
    token = csrf_token_from(client, "/retouren")
    for _ in range(5):
        client.post("/sendungsverfolgung", data={"order_number": "1", "postcode": "1", "csrf_token": token})
    for _ in range(5):
        client.post("/retouren", data={"order_number": "1", "postcode": "1", "csrf_token": token})
    assert client.post("/retouren", data={"order_number": "600001", "postcode": "20095",
                                          "csrf_token": token}).status_code == 429


def _form(client, number="600001"):
    html = client.get(f"/retouren/bestellung/{number}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    submission = re.search(r'name="submission_id" type="hidden" value="([^"]+)"', html).group(1)
    skus = re.findall(r'name="(items-\d+)-sku" type="hidden" value="([^"]+)"', html)
    return html, token, submission, dict((sku, prefix) for prefix, sku in skus)


def test_the_form_shows_eligible_items_and_reasons_for_the_others(shop, client):
    login(client)
    html, _, _, skus = _form(client)
    assert set(skus) == {"NL-JKT-M-NAVY", "NL-PUL-M", "NL-SOCK", "NL-LMP"}
    assert "Handcreme Sanddorn" in html and "Aus Hygienegründen" in html
    assert "Größe L, Navy" in html and "Größe S, Navy – ausverkauft" in html
    assert "DHL" in html and "Hermes PaketShop" in html


def test_submitting_the_form_twice_creates_one_return(shop, client):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    data = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY",
            f"{prefix}-selected": "y", f"{prefix}-quantity": "1", f"{prefix}-reason": "zu-gross",
            "resolution": "refund", "carrier": "dhl"}
    first = client.post("/retouren/bestellung/600001", data=data)
    second = client.post("/retouren/bestellung/600001", data=data)
    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Ihre Rücksendung ist angemeldet" in page and "Rücksendeschein herunterladen" in page
    assert "<svg" in page and 'role="img"' in page
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 1


@pytest.mark.parametrize(("reason", "wanted", "question"), [
    ("zu-gross", "NL-JKT-L-NAVY", "Sie schreiben „Zu groß“ und wählen Größe L – die ist noch größer. Ist das so "
                                  "gewollt?"),
    ("zu-klein", "NL-JKT-S-NAVY", "Sie schreiben „Zu klein“ und wählen Größe S – die ist noch kleiner. Ist das "
                                  "so gewollt?"),
])
def test_a_size_that_contradicts_the_reason_is_asked_about_once(shop, client, reason, wanted, question):
    with shop.app_context():
        db.session.execute(update(ProductVariant).values(stock=5))
        db.session.commit()
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    data = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY",
            f"{prefix}-selected": "y", f"{prefix}-quantity": "1", f"{prefix}-reason": reason,
            f"{prefix}-exchange_for": wanted, "resolution": "exchange", "carrier": "dhl"}
    asked = client.post("/retouren/bestellung/600001", data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and question in html
    assert f'<option value="{wanted}" selected>' in html  # the choice is kept
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0
    confirmed = re.search(r'name="sizes_confirmed" type="hidden" value="(\w*)"', html).group(1)
    again = client.post("/retouren/bestellung/600001", data={**data, "sizes_confirmed": confirmed})
    assert again.status_code == 302  # asked once: sent again as it is, the return is registered
    with shop.app_context():
        assert db.session.scalar(select(ReturnItem.exchange_sku)) == wanted


def test_a_size_that_fits_the_reason_is_not_asked_about(shop, client):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    response = client.post("/retouren/bestellung/600001", data={
        "csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY", f"{prefix}-selected": "y",
        f"{prefix}-quantity": "1", f"{prefix}-reason": "zu-klein", f"{prefix}-exchange_for": "NL-JKT-L-NAVY",
        "resolution": "exchange", "carrier": "dhl"})
    assert response.status_code == 302


def test_form_errors_are_shown_next_to_the_item(shop, client):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    response = client.post("/retouren/bestellung/600001", data={
        "csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY", f"{prefix}-selected": "y",
        f"{prefix}-quantity": "1", f"{prefix}-reason": "", "resolution": "refund", "carrier": "dhl"})
    assert response.status_code == 422
    assert "Bitte wählen Sie einen Grund." in response.get_data(as_text=True)
    nothing = client.post("/retouren/bestellung/600001", data={"csrf_token": token, "submission_id": submission,
                                                               "resolution": "refund", "carrier": "dhl"})
    assert "Bitte wählen Sie mindestens einen Artikel" in nothing.get_data(as_text=True)


def _photo(kind="JPEG", size=(40, 30)):
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: metadata that must not be kept
    image.save(out, kind, exif=exif) if kind == "JPEG" else image.save(out, kind)
    return out.getvalue()


def test_photos_of_a_defect_are_checked_stripped_and_stored_outside_the_web_root(shop, client):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-LMP"]
    base = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-LMP", f"{prefix}-selected": "y",
            f"{prefix}-quantity": "1", f"{prefix}-reason": "defekt", "resolution": "refund", "carrier": "dhl"}
    fake = client.post("/retouren/bestellung/600001", content_type="multipart/form-data",
                       data={**base, f"{prefix}-photos": (io.BytesIO(b"\xff\xd8\xffnot really a jpeg"), "lampe.jpg")})
    assert fake.status_code == 422 and "lampe.jpg ist kein Foto" in fake.get_data(as_text=True)
    script = client.post("/retouren/bestellung/600001", content_type="multipart/form-data",
                         data={**base, f"{prefix}-photos": (io.BytesIO(b"<script>alert(1)</script>"), "x.png")})
    assert script.status_code == 422
    with shop.test_request_context():
        from app.returns.photos import PhotoRejected, check_photo
        with pytest.raises(PhotoRejected, match="größer als 5 MB"):
            check_photo("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0
    good = client.post("/retouren/bestellung/600001", content_type="multipart/form-data",
                       data={**base, f"{prefix}-photos": [(io.BytesIO(_photo()), "lampe.jpg"),
                                                          (io.BytesIO(_photo("PNG")), "detail.png")]})
    assert good.status_code == 302
    with shop.app_context():
        photos = db.session.scalars(select(ReturnPhoto)).all()
        assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
        # The bytes are in the row (every node serves them), re-encoded without the camera's metadata.
        assert photos[0].data[:3] == b"\xff\xd8\xff" and b"PhoneMaker" not in photos[0].data
        case = db.session.scalar(select(Case))
        assert "(2 Fotos)" in case.message


def test_return_reasons_are_kept_per_product(shop, client):
    from app.returns.insights import reasons_by_product

    login(client)
    post_return(client, jacket("zu-gross"))
    post_return(client, {"order_number": "600001", "items": [{"sku": "NL-PUL-M", "quantity": 2, "reason": "zu-klein"}],
                         "resolution": "refund", "carrier": "dhl"})
    with shop.app_context():
        rows = reasons_by_product()
        assert {(r.product, r.reason, r.quantity) for r in rows} == {("JKT", "zu-gross", 1), ("NL-PUL-M", "zu-klein", 2)}
        assert db.session.scalar(select(func.count()).select_from(ReturnItem)) == 2


def test_english_pages_give_english_drop_off_hints(shop, client):
    login(client)
    html = client.get("/retouren/bestellung/600001?lang=en").get_data(as_text=True)
    assert "at any DHL branch, Packstation or DHL parcel shop" in html and "Return this item" not in html
    assert "Which carrier will you use?" in html and "Too big" in html
    number = post_return(client, jacket()).get_json()["return_number"]
    with shop.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"return-confirmation:{number}"))
        assert mail.subject.startswith("Your return") and "at any DHL branch" in mail.body


def test_every_page_of_the_returns_center_renders_for_guests_too(shop, client):
    assert "Bestellung suchen" in client.get("/retouren").get_data(as_text=True)
    assert client.get("/retouren?order=600001").status_code == 200  # not proven yet: the lookup form, prefilled
    assert 'value="600001"' in client.get("/retouren?order=600001").get_data(as_text=True)
    assert client.get("/retouren/R-2026-000001").status_code == 404


def test_concurrent_retries_and_returns_each_count_once(shop):
    """Six retries of one request and six different returns at once: seven returns, gapless numbers, no 5xx."""
    import threading

    results, errors = [], []
    lines = ["NL-JKT-M-NAVY", "NL-PUL-M", "NL-SOCK", "NL-LMP"]

    def submit(index):
        client = shop.test_client()
        login(client)
        try:
            if index < 6:
                response = post_return(client, jacket(), key="same-retry-key")
            else:
                sku = lines[1 + index % 3]
                response = post_return(client, {"order_number": "600001", "items": [{"sku": sku, "reason": "zu-klein"}],
                                                "resolution": "refund", "carrier": "dhl"})
            results.append((index, response.status_code, (response.get_json() or {}).get("return_number")))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(status < 500 for _, status, _ in results), results
    retried = {number for index, _, number in results if index < 6}
    assert len(retried) == 1
    with shop.app_context():
        numbers = sorted(db.session.scalars(select(ReturnRequest.number)))
        assert numbers == [f"R-2026-{i:06d}" for i in range(1, len(numbers) + 1)]
        outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        assert outbox == len(numbers)


def test_a_guest_gets_the_label_by_mail_not_on_the_page(shop, client):
    """The label carries the full address: proving number + postcode is not enough to see it."""
    token = csrf_token_from(client, "/retouren")
    client.post("/retouren", data={"order_number": "600001", "postcode": "20095", "csrf_token": token})
    number = post_return(client, jacket()).get_json()["return_number"]
    page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert "Ihre Rücksendung ist angemeldet" in page and "per E-Mail geschickt" in page
    assert "etikett.pdf" not in page and "Lindenstraße" not in page and "kim.berg@example.com" not in page
    assert client.get(f"/retouren/{number}/etikett.pdf").status_code == 404
    assert client.get(f"/api/returns/{number}/label.pdf").status_code == 404
    assert client.get(f"/retouren/{number}/qr.png").status_code == 200  # the QR holds the return number only
    with shop.app_context():
        body = db.session.scalar(select(OutboxMessage.body))
    link = re.search(r"(/retouren/\S+/etikett\.pdf\?t=\S+)", body).group(1)
    assert client.get(link).data.startswith(b"%PDF")


def test_standing_counts_delivered_orders_and_what_came_back(shop, client):
    from app.returns.goodwill import customer_standing
    from app.shop.models import Customer

    login(client)
    with shop.app_context():
        kim = db.session.scalar(select(Customer.id).where(Customer.external_id == "K-1"))
        before = customer_standing(kim)
        assert (before.delivered_orders, before.delivered_items, before.returned_items) == (2, 8, 0)
    post_return(client, {"order_number": "600001", "items": [{"sku": "NL-PUL-M", "quantity": 2, "reason": "zu-klein"}],
                         "resolution": "refund", "carrier": "dhl"})
    with shop.app_context():
        after = customer_standing(kim)
        assert after.returned_items == 2 and after.return_rate == 0.25
