"""Anna's journey in a real browser: tracking dead end → pre-filled contact form → callback booked."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.shop.cli import apply_import
from app.shop.fields import shop_today
from app.shop.models import Customer
from tests.browser.conftest import assert_accessible
from tests.shop_factory import customer, document, event, order, shipment

pytestmark = pytest.mark.browser
TODAY = shop_today()


@pytest.fixture(scope="module")
def anna(live_server):
    with live_server.app.app_context():
        apply_import(document(
            [customer("K-88", "anna.kontakt@example.com", "Anna", "Kontakt", "20095")],
            [order("800001", cid="K-88", placed=TODAY - dt.timedelta(days=6), status="delivered",
                   shipments=[shipment("00340434168000000001", "delivered",
                                       [event(TODAY - dt.timedelta(days=3), "in_transit", "Im Paketzentrum bearbeitet"),
                                        event(TODAY - dt.timedelta(days=2), "delivered", "Zugestellt")])])]))
        user = User(email="anna.kontakt@example.com", name="Anna Kontakt", role="customer")
        user.set_password("browser-passwort-2")
        user.customer_id = db.session.scalar(select(Customer.id).where(Customer.external_id == "K-88"))
        db.session.add(user)
        db.session.commit()
    return live_server


def test_from_the_tracking_dead_end_to_a_booked_callback(page, anna):
    page.goto(anna.url + "/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("anna.kontakt@example.com")
    page.get_by_label("Passwort").fill("browser-passwort-2")
    page.get_by_role("button", name="Anmelden").click()

    page.goto(anna.url + "/sendungsverfolgung/800001")
    page.get_by_role("link", name="Paket nicht erhalten?").click()
    for _ in range(5):
        page.get_by_role("button", name="Nicht gefunden – weiter").click()
    page.get_by_role("link", name="Paket als nicht erhalten melden").click()

    expect(page).to_have_url(re.compile(r"/kontakt\?order=800001&topic=lieferung-nicht-erhalten$"))
    expect(page.get_by_label("Worum geht es?")).to_have_value("lieferung-nicht-erhalten")
    expect(page.get_by_label("Bestellung", exact=True)).to_have_value("800001")
    expect(page.get_by_label("Ihr Name")).to_have_count(0)  # signed in: nothing to type about herself
    assert_accessible(page)

    page.get_by_label("Was ist passiert?").press_sequentially(
        "Das Paket wurde als zugestellt angezeigt, ist aber nicht da. Nachbarn habe ich gefragt.", delay=5)
    suggestions = page.locator("[data-suggest-list] a")
    expect(suggestions.first).to_be_visible()
    expect(page.locator("[data-suggest-box]")).to_contain_text("zugestellt")

    page.get_by_label("Telefonnummer für den Rückruf").fill("040 555 0199")
    page.get_by_label(re.compile("Ich bin einverstanden")).check()
    first_slot = page.locator("input[name=callback_slot]").first
    slot_value = first_slot.get_attribute("value")
    first_slot.check()
    page.get_by_role("button", name="Anfrage senden").click()

    expect(page.get_by_role("heading", name="Danke! Ihre Anfrage ist bei uns.")).to_be_visible()
    number = page.locator("[data-case-number]").inner_text()
    assert re.fullmatch(r"NL-\d{4}-\d{6}", number)
    expect(page.get_by_text(re.compile(r"Wir rufen Sie am .* an\."))).to_be_visible()
    assert_accessible(page)

    with anna.app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case.verified and case.order.number == "800001" and case.topic == "lieferung-nicht-erhalten"
        assert case.callback_slot == dt.datetime.fromisoformat(slot_value).astimezone(dt.timezone.utc).replace(tzinfo=None)
        assert '"not_received"' in case.trail and '"report"' in case.trail
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "anna.kontakt@example.com"))
        assert number in mail.subject

    # … and by e-mail, through a real SMTP server.
    from app.outbox.delivery import deliver_due
    from tests.test_outbox import SmtpSink, _free_port

    port = _free_port()
    anna.app.config.update(HELPCENTER_MAIL_BACKEND="smtp", HELPCENTER_SMTP_HOST="127.0.0.1", HELPCENTER_SMTP_PORT=port)
    with SmtpSink(port) as smtp, anna.app.app_context():
        deliver_due()
        received = [m for m in smtp.received if m.rcpt_tos == ["anna.kontakt@example.com"]]
        assert len(received) == 1
        assert number in received[0].message["Subject"] and number in received[0].message.get_content()
