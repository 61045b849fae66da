"""Anna's journey in a real browser: tracking dead end → pre-filled contact form → callback booked."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_from_the_tracking_dead_end_to_a_booked_callback(page, demo_shop):
    sign_in(page, demo_shop.url, "anna.schmidt@example.com", "demo-kunde")

    number = demo_shop.anna_order
    page.goto(demo_shop.url + f"/sendungsverfolgung/{number}")
    page.get_by_role("link", name="Paket nicht erhalten?").click()
    for _ in range(5):
        page.get_by_role("button", name="Nicht gefunden – weiter").click()
    page.get_by_role("link", name="Paket als nicht erhalten melden").click()

    expect(page).to_have_url(re.compile(rf"/kontakt\?order={number}&topic=lieferung-nicht-erhalten$"))
    expect(page.get_by_label("Worum geht es?")).to_have_value("lieferung-nicht-erhalten")
    expect(page.get_by_label("Bestellung", exact=True)).to_have_value(number)
    expect(page.get_by_label("Ihr Name")).to_have_count(0)  # signed in: nothing to type about herself
    assert_accessible(page)

    page.get_by_label("Was ist passiert?").press_sequentially(
        "Das Paket wurde als zugestellt angezeigt, ist aber nicht da. Nachbarn habe ich gefragt.", delay=5)
    suggestions = page.locator("[data-suggest-list] a")
    expect(suggestions.first).to_be_visible()
    expect(page.locator("[data-suggest-box]")).to_contain_text("zugestellt")

    expect(page.locator("input[name=channel]:checked")).to_have_count(0)  # how we answer is hers to choose
    expect(page.get_by_label("Telefonnummer für den Rückruf")).to_be_hidden()
    page.get_by_label("Rückruf zu einem Termin Ihrer Wahl").check()
    expect(page.locator("[data-slot-day] legend").first).to_be_visible()  # the day first, then its times
    page.get_by_label("Telefonnummer für den Rückruf").fill("040 555 0199")
    page.get_by_label(re.compile("Ich bin einverstanden")).check()
    first_slot = page.locator("input[name=callback_slot]").first
    slot_value = first_slot.get_attribute("value")
    first_slot.check()
    page.get_by_role("button", name="Anfrage senden").click()

    expect(page.get_by_role("heading", name="Danke! Ihre Anfrage ist bei uns.")).to_be_visible()
    case_number = page.locator("[data-case-number]").inner_text()
    assert re.fullmatch(r"NL-\d{4}-\d{6}", case_number)
    expect(page.get_by_text(re.compile(r"Wir rufen Sie am .* an\."))).to_be_visible()
    assert_accessible(page)

    with demo_shop.app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == case_number))
        assert case.verified and case.order.number == number and case.topic == "lieferung-nicht-erhalten"
        assert case.callback_slot == dt.datetime.fromisoformat(slot_value).astimezone(dt.timezone.utc).replace(tzinfo=None)
        assert '"not_received"' in case.trail and '"report"' in case.trail
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains(case_number)))
        assert mail.recipient == "anna.schmidt@example.com"

    # … and by e-mail, through a real SMTP server.
    from app.outbox.delivery import deliver_due
    from tests.test_outbox import SmtpSink, _free_port

    port = _free_port()
    demo_shop.app.config.update(HELPCENTER_MAIL_BACKEND="smtp", HELPCENTER_SMTP_HOST="127.0.0.1", HELPCENTER_SMTP_PORT=port)
    with SmtpSink(port) as smtp, demo_shop.app.app_context():
        deliver_due()
        received = [m for m in smtp.received if case_number in m.message["Subject"]]
        assert len(received) == 1 and received[0].rcpt_tos == ["anna.schmidt@example.com"]
        assert case_number in received[0].message.get_content()
