"""'Vertrag widerrufen' (/widerruf): both steps, the stored declaration, its e-mail, and what it must survive."""
import datetime as dt
import hashlib
import json
import re
import threading

import pytest
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.shop.cli import apply_import
from app.withdrawal.models import Withdrawal, WithdrawalImmutable
from app.withdrawal.service import WithdrawalRequest, submit_and_commit, verify
from tests.conftest import csrf_token_from, login
from tests.shop_factory import customer, document, order

# Wednesday 2 December 2026, 14:05 in Hamburg (13:05 UTC).
NOW = dt.datetime(2026, 12, 2, 13, 5, tzinfo=dt.timezone.utc)
ITEMS = [{"sku": "NL-1", "name": "Steppjacke", "category": "Damenmode", "size": "M", "colour": "Navy", "quantity": 1,
          "unit_price": "79.95", "returnable": True},
         {"sku": "NL-2", "name": "Schal", "category": "Damenmode", "quantity": 2, "unit_price": "19.95",
          "returnable": True}]
GUEST = {"order_number": "600001", "name": "Kim Berg", "email": "kim.berg@example.com"}


@pytest.fixture
def shop(app, make_user, monkeypatch):
    monkeypatch.setattr("app.withdrawal.views.now", lambda: NOW)
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [order("600001", placed=dt.date(2026, 11, 28), items=ITEMS),
             order("600009", cid="K-2", postcode="10115")]))
    make_user(customer_ref="K-1")
    return app


def step1(client, **fields):
    html = client.get("/widerruf").get_data(as_text=True)
    submission_id = re.search(r'name="submission_id" type="hidden" value="([0-9a-f]+)"', html).group(1)
    data = {"csrf_token": csrf_token_from(client, "/widerruf"), "submission_id": submission_id, **fields}
    return client.post("/widerruf", data=data)


def draft_of(html: str) -> str:
    return re.search(r'name="draft" type="hidden" value="([^"]+)"', html).group(1)


def confirm(client, review_html: str):
    return client.post("/widerruf/bestaetigen",
                       data={"csrf_token": csrf_token_from(client, "/widerruf"), "draft": draft_of(review_html)})


def declare(client, **fields):
    review = step1(client, **fields)
    assert review.status_code == 200, review.get_data(as_text=True)
    return confirm(client, review.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def visible_text(html: str) -> str:
    body = html[html.index("<main"):html.index("</main>")]
    return re.sub(r'name="(draft|csrf_token)" type="hidden" value="[^"]+"', "", body)


def test_footer_links_the_withdrawal_function_and_step_one_needs_no_login(shop, client):
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/widerruf">Vertrag widerrufen</a>' in home
    page = client.get("/widerruf")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "ohne Angabe von Gründen" in html and "Sie müssen keinen Grund angeben" in html
    assert 'name="order_number"' in html and 'name="email"' in html and 'name="reason"' in html


def test_guest_declares_withdrawal_in_two_steps(shop, client):
    review = step1(client, **GUEST, reason="Passt nicht.")
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and review.headers["Cache-Control"] == "no-store"
    assert "Bitte prüfen Sie Ihren Widerruf" in html and "Widerruf bestätigen" in html
    assert ("Hiermit widerrufe ich den von mir abgeschlossenen Vertrag über den Kauf der folgenden Waren:\n"
            "– alle Waren dieser Bestellung\nBestellnummer: 600001\nName: Kim Berg\nE-Mail: kim.berg@example.com\n"
            "Grund (freiwillige Angabe): Passt nicht.") in html
    with shop.app_context():
        assert count(Withdrawal) == 0  # nothing is stored before the confirmation

    done = confirm(client, html)
    assert done.status_code == 303 and done.headers["Location"] == "/widerruf/eingang/W-2026-000001"
    receipt = client.get(done.headers["Location"])
    page = receipt.get_data(as_text=True)
    assert receipt.headers["Cache-Control"] == "no-store"
    assert "W-2026-000001" in page and "2. Dezember 2026, 14:05 Uhr" in page
    assert 'href="/retouren?order=600001"' in page and "Rücksendeetikett erstellen" in page
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        assert withdrawal.matched is True and withdrawal.order.number == "600001" and withdrawal.user_id is None
        assert withdrawal.declared_at == dt.datetime(2026, 12, 2, 13, 5)  # UTC
        assert withdrawal.whole_order is True and json.loads(withdrawal.items) == []
        assert withdrawal.reason == "Passt nicht."
        assert withdrawal.declaration_text in html.replace("&#34;", '"')


def test_stored_declaration_has_a_sha256_over_its_content(shop, client):
    declare(client, **GUEST)
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        assert re.fullmatch(r"[0-9a-f]{64}", withdrawal.declaration_sha256)
        content = {"number": withdrawal.number, "declared_at": "2026-12-02T13:05:00Z",
                   "text": withdrawal.declaration_text, "items": [], "order_number": "600001", "name": "Kim Berg",
                   "email": "kim.berg@example.com", "reason": None}
        expected = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                                  .encode()).hexdigest()
        assert withdrawal.declaration_sha256 == expected and verify(withdrawal)


def test_unknown_order_or_other_email_is_received_flagged_and_answered_alike(shop, client):
    known = visible_text(step1(client, **GUEST).get_data(as_text=True))
    unknown = visible_text(step1(client, **dict(GUEST, order_number="699999")).get_data(as_text=True))
    assert known.replace("600001", "N") == unknown.replace("699999", "N")
    declare(client, **dict(GUEST, order_number="699999"))
    declare(client, **dict(GUEST, email="someone.else@example.com"))
    receipts = [client.get(f"/widerruf/eingang/W-2026-00000{n}").get_data(as_text=True) for n in (1, 2)]
    assert all("Ihr Widerruf ist bei uns eingegangen" in r for r in receipts)
    with shop.app_context():
        rows = db.session.scalars(select(Withdrawal).order_by(Withdrawal.id)).all()
        assert [(w.order_number_given, w.matched, w.order_id) for w in rows] == [("699999", False, None),
                                                                                 ("600001", False, None)]
        assert count(OutboxMessage) == 2


def test_confirmation_email_carries_the_declaration_time_number_and_label_link(shop, client):
    declare(client, **GUEST, items_text="Nur den Schal", reason="Zu klein", ordered_on="28.11.2026")
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        mail = db.session.scalar(select(OutboxMessage))
        assert mail.recipient == "kim.berg@example.com" and mail.dedupe_key == "withdrawal-ack:W-2026-000001"
        assert mail.subject == "Ihr Widerruf W-2026-000001 bei Nordlicht"
        assert "am 2. Dezember 2026, 14:05 Uhr erhalten" in mail.body and "W-2026-000001" in mail.body
        assert withdrawal.declaration_text in mail.body and "– Nur den Schal" in mail.body
        assert "Bestellt am: 28. November 2026" in mail.body and "Grund (freiwillige Angabe): Zu klein" in mail.body
        assert "http://127.0.0.1:5000/retouren?order=600001" in mail.body
        assert json.loads(withdrawal.items) == [{"description": "Nur den Schal"}] and not withdrawal.whole_order


def test_signed_in_customer_picks_an_order_and_items_prefilled(shop, client):
    login(client)
    html = client.get("/widerruf?order=600001").get_data(as_text=True)
    assert 'value="Kim Berg"' in html and 'value="kim.berg@example.com"' in html
    assert '<option value="600001" selected>' in html and "600009" not in html
    assert 'name="skus" value="NL-2"' in html
    review = step1(client, order_number="600001", name="Kim Berg", email="kim.berg@example.com", skus=["NL-2"])
    text = review.get_data(as_text=True)
    assert "– Schal, 2 Stück, Artikelnummer NL-2" in text and "Steppjacke" not in text.split("Ihre Erklärung")[1]
    assert "Bestellt am: 28. November 2026" in text
    confirm(client, text)
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        assert withdrawal.matched and withdrawal.user_id is not None and not withdrawal.whole_order
        assert json.loads(withdrawal.items) == [{"sku": "NL-2", "name": "Schal", "size": None, "colour": None,
                                                 "quantity": 2}]
    account = client.get("/konto").get_data(as_text=True)
    assert "W-2026-000001" in account


def test_signed_in_customer_cannot_pick_items_of_another_order(shop, client):
    login(client)
    response = step1(client, order_number="600001", name="Kim Berg", email="kim.berg@example.com", skus=["NL-404"])
    assert response.status_code == 422
    assert "Diese Artikel gehören nicht zur gewählten Bestellung." in response.get_data(as_text=True)


def test_receipt_is_private(shop, client, app):
    declare(client, **GUEST)
    other = app.test_client()
    assert other.get("/widerruf/eingang/W-2026-000001").status_code == 404
    assert other.get("/widerruf/eingang/W-2026-000099").status_code == 404


def test_double_submit_creates_one_withdrawal_and_one_mail(shop, client):
    review = step1(client, **GUEST).get_data(as_text=True)
    first, second = confirm(client, review), confirm(client, review)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    # Back to step 1 and sent again unchanged: the same form, the same withdrawal.
    again = client.post("/widerruf", data={"csrf_token": csrf_token_from(client, "/widerruf"), **GUEST,
                                           "submission_id": json.loads(_payload(review))["request"]["submission_id"]})
    assert confirm(client, again.get_data(as_text=True)).headers["Location"] == first.headers["Location"]
    with shop.app_context():
        assert count(Withdrawal) == 1 and count(OutboxMessage) == 1


def test_same_form_changed_after_going_back_is_a_new_declaration(shop, client):
    review = step1(client, **GUEST).get_data(as_text=True)
    submission_id = json.loads(_payload(review))["request"]["submission_id"]
    confirm(client, review)
    changed = client.post("/widerruf", data={"csrf_token": csrf_token_from(client, "/widerruf"), **GUEST,
                                             "reason": "Doch mit Grund", "submission_id": submission_id})
    assert confirm(client, changed.get_data(as_text=True)).headers["Location"].endswith("W-2026-000002")


def _payload(html: str) -> str:
    import base64
    import zlib

    token = draft_of(html)
    compressed = token.startswith(".")
    body = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_concurrent_confirmations_of_one_form_store_one_withdrawal(shop, client):
    review = step1(client, **GUEST).get_data(as_text=True)
    req = WithdrawalRequest.from_dict(json.loads(_payload(review))["request"])
    results, errors = [], []

    def run():
        try:
            with shop.app_context():
                results.append(submit_and_commit(req, None, NOW).withdrawal.number)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and set(results) == {"W-2026-000001"}
    with shop.app_context():
        assert count(Withdrawal) == 1 and count(OutboxMessage) == 1


def test_tampered_draft_is_refused(shop, client):
    review = step1(client, **GUEST).get_data(as_text=True)
    token = draft_of(review)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post("/widerruf/bestaetigen", data={"csrf_token": csrf_token_from(client, "/widerruf"),
                                                          "draft": forged})
    assert response.status_code == 400
    with shop.app_context():
        assert count(Withdrawal) == 0


def test_change_goes_back_to_step_one_filled_in(shop, client):
    review = step1(client, **GUEST, reason="Gefällt nicht").get_data(as_text=True)
    back = client.post("/widerruf/aendern", data={"csrf_token": csrf_token_from(client, "/widerruf"),
                                                  "draft": draft_of(review)})
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and 'value="600001"' in html and "Gefällt nicht</textarea>" in html


def test_stored_withdrawal_cannot_be_changed_or_deleted(shop, client):
    declare(client, **GUEST)
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        withdrawal.reason = "nachträglich geändert"
        with pytest.raises(WithdrawalImmutable):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(Withdrawal)))
        with pytest.raises(WithdrawalImmutable):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(WithdrawalImmutable):
            db.session.execute(update(Withdrawal).values(contact_email="x@example.com"))
        db.session.rollback()
        with pytest.raises(WithdrawalImmutable):
            db.session.execute(delete(Withdrawal))
        db.session.rollback()
        stored = db.session.scalar(select(Withdrawal))
        assert stored.reason is None and verify(stored)


def test_every_form_needs_csrf(shop, make_app, fixture_index):
    client = shop.test_client()
    assert client.post("/widerruf", data=GUEST).status_code == 400
    assert client.post("/widerruf/bestaetigen", data={"draft": "x"}).status_code == 400
    assert client.post("/widerruf/aendern", data={"draft": "x"}).status_code == 400


def test_posts_are_rate_limited(shop, client):
    token = csrf_token_from(client, "/widerruf")
    statuses = [client.post("/widerruf", data={"csrf_token": token, **GUEST}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


@pytest.mark.parametrize("field, value, message", [
    ("order_number", "", "Bitte geben Sie die Bestellnummer an."),
    ("order_number", "6" * 10_000, "Bitte höchstens 40 Zeichen."),
    ("name", "Kim\x00Berg", "Bitte entfernen Sie Steuerzeichen und Zeilenumbrüche aus diesem Feld."),
    ("email", "kim@example.com\r\nBcc: all@example.com", "Bitte prüfen Sie Ihre E-Mail-Adresse"),
    ("email", "kein-at-zeichen", "Bitte prüfen Sie Ihre E-Mail-Adresse"),
    ("reason", "x" * 10_000, "Bitte höchstens 2000 Zeichen."),
    ("reason", "Grund\x07", "Bitte entfernen Sie die Steuerzeichen aus diesem Feld."),
    ("items_text", "Schal\x1b", "Bitte entfernen Sie die Steuerzeichen aus diesem Feld."),
    ("ordered_on", "gestern", "Bitte geben Sie das Bestelldatum als Datum an"),
])
def test_odd_input_gets_a_clear_message_and_stores_nothing(shop, client, field, value, message):
    response = step1(client, **dict(GUEST, **{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Bitte prüfen Sie die markierten Angaben." in html
    with shop.app_context():
        assert count(Withdrawal) == 0 and count(OutboxMessage) == 0


def test_card_numbers_in_free_text_are_masked_before_showing_storing_and_mailing(shop, client):
    review = step1(client, **GUEST, reason="Karte 4111 1111 1111 1111 bitte erstatten", items_text="4111111111111111")
    assert "4111 1111 1111 1111" not in review.get_data(as_text=True)
    confirm(client, review.get_data(as_text=True))
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        mail = db.session.scalar(select(OutboxMessage))
        for text in (withdrawal.reason, withdrawal.declaration_text, withdrawal.items, mail.body):
            assert "4111111111111111" not in text and "4111 1111 1111 1111" not in text
        assert "411111******1111" in withdrawal.reason


def test_english_pages_and_declaration(shop, client):
    client.get("/widerruf?lang=en")
    review = step1(client, **GUEST).get_data(as_text=True)
    assert "I hereby withdraw from the contract concluded by me for the purchase of the following goods:" in review
    confirm(client, review)
    with shop.app_context():
        mail = db.session.scalar(select(OutboxMessage))
        assert "2 December 2026, 14:05" in mail.body and "/retouren?order=600001" in mail.body


def test_extra_form_fields_cannot_set_what_the_server_decides(shop, client):
    declare(client, **dict(GUEST, email="someone.else@example.com"), matched="y", order_id="1", user_id="1",
            number="W-2026-999999", declared_at="2020-01-01T00:00:00")
    with shop.app_context():
        withdrawal = db.session.scalar(select(Withdrawal))
        assert (withdrawal.number, withdrawal.matched, withdrawal.order_id, withdrawal.user_id) == \
            ("W-2026-000001", False, None, None)
        assert withdrawal.declared_at == dt.datetime(2026, 12, 2, 13, 5)


def test_a_failing_confirmation_mail_leaves_no_withdrawal_and_gives_the_number_back(shop, client, monkeypatch):
    review = step1(client, **GUEST).get_data(as_text=True)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("app.outbox.service.queue_email", broken)
    assert confirm(client, review).status_code == 500
    monkeypatch.undo()
    monkeypatch.setattr("app.withdrawal.views.now", lambda: NOW)
    assert confirm(client, review).headers["Location"].endswith("W-2026-000001")
    with shop.app_context():
        assert count(Withdrawal) == 1 and count(OutboxMessage) == 1


def test_concurrent_withdrawals_get_unique_gapless_numbers(shop):
    numbers, errors = [], []

    def run(n):
        try:
            with shop.app_context():
                req = WithdrawalRequest(**GUEST, reason=f"Nummer {n}", submission_id=f"form-{n}")
                numbers.append(submit_and_commit(req, None, NOW).withdrawal.number)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(numbers) == [f"W-2026-00000{n}" for n in range(1, 6)]
    with shop.app_context():
        assert count(OutboxMessage) == 5


def _item_groups(html: str) -> dict[str, bool]:
    """Per order on step 1: are its articles shown (True) or hidden (False)?"""
    return {number: not rest.startswith(" hidden")
            for number, rest in re.findall(r'<div class="order-items" data-order="(\d+)"([^>]*)>', html)}


def test_withdrawal_form_lists_only_the_chosen_orders_items_and_preselects_nothing(shop, client):
    with shop.app_context():
        apply_import(document([customer()], [order("600002", placed=dt.date(2026, 11, 20), items=[
            {"sku": "NL-9", "name": "Mütze", "category": "Damenmode", "quantity": 1, "unit_price": "14.95",
             "returnable": True}])]))
    login(client)
    html = client.get("/widerruf").get_data(as_text=True)
    assert '<option value="" selected>Bitte wählen Sie die Bestellung …</option>' in html
    assert re.search(r'<option value="6000\d\d" selected', html) is None
    assert _item_groups(html) == {"600001": False, "600002": False} and " checked" not in html
    assert "Wählen Sie zuerst die Bestellung – dann sehen Sie hier ihre Artikel." in html

    html = client.get("/widerruf?order=600002").get_data(as_text=True)
    assert _item_groups(html) == {"600001": False, "600002": True} and " checked" not in html

    # Without JavaScript the page comes back with the chosen order's articles and everything typed kept.
    response = client.post("/widerruf/bestellung", data={
        "csrf_token": csrf_token_from(client, "/widerruf"), "order_number": "600001", "name": "Kim Berg",
        "email": "", "reason": "Zu warm.", "skus": ["NL-9"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<option value="600001" selected>' in html
    assert _item_groups(html) == {"600001": True, "600002": False} and " checked" not in html
    assert 'value="Kim Berg"' in html and "Zu warm." in html and "form-error" not in html


def _registered_return(app, skus, status="registered", number="R-2026-000001"):
    from app.returns.models import ReturnItem, ReturnRequest
    from app.shop.models import Order

    with app.app_context():
        shop_order = db.session.scalar(select(Order).where(Order.number == "600001"))
        ret = ReturnRequest(number=number, order_id=shop_order.id, customer_id=shop_order.customer_id,
                            status=status, resolution="refund", carrier="dhl")
        for item in shop_order.items:
            if item.sku in skus:
                ret.items.append(ReturnItem(order_item_id=item.id, sku=item.sku, name=item.name,
                                            category=item.category, quantity=item.quantity,
                                            unit_price_cents=7995, reason="gefaellt-nicht"))
        db.session.add(ret)
        db.session.commit()


def test_receipt_leads_to_the_return_already_registered_for_the_items(shop, client):
    _registered_return(shop, {"NL-1"})
    login(client)
    page = declare(client, order_number="600001", name="Kim Berg", email="kim.berg@example.com", skus=["NL-1"])
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'href="/retouren/R-2026-000001" data-open-return>Rücksendung R-2026-000001: Etikett und QR-Code</a>' in html
    assert "Für diese Artikel haben Sie schon eine Rücksendung angemeldet." in html
    assert "Rücksendeetikett erstellen" not in html and "/retouren?order" not in html
    status_page = client.get("/retouren/R-2026-000001").get_data(as_text=True)
    assert "/retouren/R-2026-000001/etikett.pdf" in status_page and "/retouren/R-2026-000001/qr.png" in status_page


def test_receipt_offers_a_new_return_for_the_items_in_none(shop, client):
    _registered_return(shop, {"NL-1"})
    login(client)
    page = declare(client, order_number="600001", name="Kim Berg", email="kim.berg@example.com",
                   skus=["NL-1", "NL-2"])
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'href="/retouren/R-2026-000001" data-open-return>' in html
    assert ('<a class="button" href="/retouren?order=600001&amp;sku=NL-2">'
            "Rücksendeetikett für die übrigen Artikel erstellen</a>") in html


def test_receipt_ignores_a_cancelled_return_and_names_none_to_a_guest(shop, client, app):
    _registered_return(shop, {"NL-1"}, status="cancelled")
    login(client)
    page = declare(client, order_number="600001", name="Kim Berg", email="kim.berg@example.com", skus=["NL-1"])
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "R-2026-000001" not in html and 'href="/retouren?order=600001&amp;sku=NL-1">Rücksendeetikett erstellen' \
        in html

    _registered_return(shop, {"NL-1", "NL-2"}, number="R-2026-000002")
    guest = app.test_client()
    page = declare(guest, **GUEST)
    html = guest.get(page.headers["Location"]).get_data(as_text=True)
    # A guest who has not proved the order with its postcode is sent to the returns center, which asks for it.
    assert "R-2026-000002" not in html and 'href="/retouren?order=600001">Rücksendeetikett erstellen' in html
