"""The agents' side in a real browser: a callback from the tracking dead end is worked in the console and the
customer gets the survey; a live chat between a customer and an agent in two browser contexts."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.cases.models import Case
from app.extensions import db
from app.shop.fields import SHOP_TIMEZONE
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def empty_queues(demo_shop):
    # Other browser journeys share this server and leave their cases open; the agent worked them off.
    with demo_shop.app.app_context():
        db.session.execute(update(Case).where(Case.status != "resolved").values(status="resolved"))
        db.session.commit()
    return demo_shop


@pytest.fixture
def agent_page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_callback_from_the_dead_end_is_worked_by_the_agent_and_surveyed(page, agent_page, empty_queues, monkeypatch):
    server = empty_queues
    number = server.anna_order
    sign_in(page, server.url, "anna.schmidt@example.com", "demo-kunde")
    page.goto(server.url + f"/sendungsverfolgung/{number}")
    page.get_by_role("link", name="Paket nicht erhalten?").click()
    for _ in range(5):
        page.get_by_role("button", name="Nicht gefunden – weiter").click()
    page.get_by_role("link", name="Paket als nicht erhalten melden").click()
    page.get_by_label("Was ist passiert?").fill("Laut Zusteller zugestellt, aber nicht da. Nachbarn gefragt.")
    page.get_by_label("Rückruf zu einem Termin Ihrer Wahl").check()
    page.get_by_label("Telefonnummer für den Rückruf").fill("040 555 0199")
    page.get_by_label(re.compile("Ich bin einverstanden")).check()
    slot = page.locator("input[name=callback_slot]").first
    slot.check()
    booked = dt.datetime.fromisoformat(slot.get_attribute("value"))
    page.get_by_role("button", name="Anfrage senden").click()
    case_number = page.locator("[data-case-number]").inner_text()
    # The agent calls when the booked slot has begun ('Rückruf erledigt' is refused before).
    monkeypatch.setattr("app.contact.views.now", lambda: booked + dt.timedelta(minutes=1))

    sign_in(agent_page, server.url, "agent@example.com", "demo-agent")
    agent_page.get_by_role("link", name="Agenten").click()
    expect(agent_page.get_by_role("heading", name="Agenten-Konsole")).to_be_visible()
    first_callback = agent_page.locator("[data-callbacks] tbody tr").first
    expect(first_callback).to_have_attribute("data-case", case_number)
    expect(agent_page.locator('[data-queue="rueckruf-1st-level"] [data-count]').first).to_have_text("1")
    assert_accessible(agent_page)

    first_callback.get_by_role("link", name=case_number).click()
    expect(agent_page.locator("[data-case-order]")).to_contain_text(number)
    expect(agent_page.locator("[data-customer]")).to_contain_text("Anna Schmidt")
    trail = agent_page.locator("[data-trail]")
    expect(trail).to_contain_text("Paket nicht erhalten (Checkliste)")
    expect(trail).to_contain_text("nicht gefunden")  # words, not the code "not_found"
    expect(agent_page.locator('[data-suggestion="trace"]')).to_be_visible()
    assert_accessible(agent_page)

    agent_page.get_by_label("Erreicht – gelöst").check()
    agent_page.get_by_label("Notiz zum Gespräch").fill("Paket lag beim Nachbarn im Hinterhaus.")
    agent_page.get_by_role("button", name="Rückruf erledigt").click()
    expect(agent_page.get_by_text("Rückruf eingetragen.")).to_be_visible()
    expect(agent_page.locator("[data-case-status]")).to_have_attribute("data-case-status", "resolved")
    expect(agent_page.locator('[data-audit] [data-event="callback_done"]')).to_contain_text("Jonas Weber")

    page.goto(server.url + f"/kontakt/anfrage/{case_number}")
    expect(page.locator(".facts")).to_contain_text("Erledigt")

    from app.outbox.delivery import deliver_due
    from tests.test_outbox import SmtpSink, _free_port

    port = _free_port()
    server.app.config.update(HELPCENTER_MAIL_BACKEND="smtp", HELPCENTER_SMTP_HOST="127.0.0.1", HELPCENTER_SMTP_PORT=port)
    with SmtpSink(port) as smtp, server.app.app_context():
        deliver_due()
        surveys = [m for m in smtp.received if m.message["Subject"] == f"Ihre Anfrage {case_number} ist erledigt – wie war es?"]
    assert len(surveys) == 1 and surveys[0].rcpt_tos == ["anna.schmidt@example.com"]
    link = re.search(r"https?://\S+(/kontakt/umfrage/\S+)", surveys[0].message.get_content()).group(1)

    page.goto(server.url + link)
    assert_accessible(page)
    page.get_by_label("4 – zufrieden").check()
    page.get_by_label("Möchten Sie uns noch etwas sagen? (optional)").fill("Schnell geholfen, danke!")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_role("heading", name="Danke für Ihre Antwort")).to_be_visible()
    page.goto(server.url + link)
    expect(page.get_by_role("heading", name="Diese Umfrage ist schon beantwortet")).to_be_visible()
    with server.app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == case_number))
        assert (case.status, case.outcome, case.survey_score) == ("resolved", "solved", 4)
        assert case.first_response_at is not None and case.resolved_at is not None


def test_live_chat_between_customer_and_agent(page, agent_page, empty_queues, monkeypatch):
    server = empty_queues
    # A weekday morning inside the service hours, whatever the clock says when the tests run.
    monkeypatch.setattr("app.contact.views.now", lambda: dt.datetime.now(SHOP_TIMEZONE).replace(
        year=2026, month=11, day=18, hour=10))
    sign_in(agent_page, server.url, "agent@example.com", "demo-agent")
    agent_page.goto(server.url + "/agent")
    agent_page.get_by_label("Online (Chat annehmen)").check()
    agent_page.get_by_role("button", name="Status setzen").click()
    expect(agent_page.get_by_text("Ihr Status: online")).to_be_visible()

    sign_in(page, server.url, "anna.schmidt@example.com", "demo-kunde")
    page.goto(server.url + "/kontakt?topic=sonstiges")
    page.get_by_label("Was ist passiert?").fill("Kann ich meine Lieferadresse noch ändern?")
    page.get_by_label("Chat", exact=True).check()
    page.get_by_role("button", name="Anfrage senden").click()
    case_number = page.locator("[data-case-number]").inner_text()
    expect(page.locator("[data-chat-status]")).to_have_text(re.compile("Sie sind an Position 1 in der Warteschlange"))
    assert_accessible(page)

    agent_page.goto(server.url + "/agent")
    agent_page.locator("[data-chats]").get_by_role("link", name=case_number).click()
    agent_page.get_by_role("button", name="Chat annehmen").click()
    expect(agent_page.get_by_text("Sie bearbeiten die Anfrage jetzt.")).to_be_visible()
    expect(page.locator("[data-chat-status]")).to_have_text("Jonas Weber (Kundenservice) ist für Sie da.")

    agent_page.get_by_label("Nachricht", exact=True).fill("Guten Tag! Ja, das geht noch – wohin soll es gehen?")
    agent_page.locator("[data-chat-form]").get_by_role("button", name="Senden").click()
    expect(page.locator("[data-chat-log]")).to_contain_text("wohin soll es gehen?")
    page.get_by_label("Ihre Nachricht").fill("Bitte an die Lindenstraße 14 statt 12.")
    page.locator("[data-chat-form]").get_by_role("button", name="Senden").click()
    expect(agent_page.locator("[data-chat-log]")).to_contain_text("Lindenstraße 14 statt 12")
    expect(page.locator("[data-chat-log] li")).to_have_count(2)
    assert_accessible(agent_page)

    with server.app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == case_number))
        assert [(m.sender, m.body) for m in case.chat_messages] == [
            ("agent", "Guten Tag! Ja, das geht noch – wohin soll es gehen?"),
            ("customer", "Bitte an die Lindenstraße 14 statt 12.")]
        assert case.assigned_to.email == "agent@example.com" and case.first_response_at is not None
    agent_page.reload()
    expect(agent_page.locator("[data-chat-log]")).to_contain_text("Lindenstraße 14 statt 12")
