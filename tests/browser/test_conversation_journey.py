"""A case is one conversation, in a real browser at desktop width and on a 360 px phone: an agent answers a case,
the customer (signed in) opens "Meine Anfragen", reads the answer in the thread and replies on the web, and the
agent sees the reply marked as new on the case page."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def _open_case(server, message: str) -> str:
    """Anna's e-mail case, as the contact form would store it."""
    from app.cases.service import CaseRequest, submit_and_commit

    app = server.app
    with app.app_context(), app.test_request_context():
        anna = db.session.scalar(select(User).where(User.email == "anna.schmidt@example.com"))
        submission = submit_and_commit(
            CaseRequest(topic="sonstiges", message=message, channel="email"), anna,
            app.extensions["helpcenter.routing"], dt.datetime.now(dt.timezone.utc),
            app.config["HELPCENTER_FEDERAL_STATE"])
        return submission.case.number


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)])
def test_agent_answers_customer_reads_and_replies_agent_sees_it_marked(browser, demo_shop, width, height):
    server = demo_shop
    number = _open_case(server, f"Meine Frage zur Lieferung ({width} px).")

    agent_context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    customer_context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    try:
        agent = agent_context.new_page()
        customer = customer_context.new_page()
        for p in (agent, customer):
            p.set_default_timeout(10_000)

        sign_in(agent, server.url, "agent@example.com", "demo-agent")
        agent.goto(server.url + f"/agent/anfrage/{number}")
        agent.get_by_label("Antwort an die Kundin/den Kunden").fill("Guten Tag, Ihr Paket kommt morgen.")
        agent.get_by_role("button", name="Antwort senden").click()
        expect(agent.get_by_text("Antwort ist unterwegs.")).to_be_visible()

        sign_in(customer, server.url, "anna.schmidt@example.com", "demo-kunde")
        customer.goto(server.url + "/konto")
        customer.get_by_role("link", name="Ihre Anfragen an den Kundenservice mit allen Antworten").click()
        expect(customer.get_by_role("heading", name="Meine Anfragen")).to_be_visible()
        row = customer.locator(f'[data-case="{number}"]')
        expect(row).to_contain_text("In Bearbeitung")
        _no_sideways_scroll(customer)
        assert_accessible(customer)
        row.get_by_role("link", name=f"Anfrage {number}").click()
        thread = customer.locator("[data-thread]")
        expect(thread.locator('[data-from="agent"]')).to_contain_text("Guten Tag, Ihr Paket kommt morgen.")
        expect(customer.get_by_text("Sie erhalten unsere Antwort per E-Mail bis")).to_have_count(0)
        _no_sideways_scroll(customer)
        assert_accessible(customer)
        customer.get_by_label("Ihre Antwort").fill("Danke! Bitte beim Nachbarn abgeben.")
        customer.get_by_role("button", name="Antwort senden").click()
        expect(customer.get_by_text("Danke! Ihre Nachricht ist bei uns.")).to_be_visible()
        expect(thread.locator('[data-from="customer"]').last).to_contain_text("Bitte beim Nachbarn abgeben.")

        agent.goto(server.url + f"/agent/anfrage/{number}")
        marked = agent.locator("[data-thread] [data-new]")
        expect(marked).to_have_count(1)
        expect(marked).to_contain_text("Danke! Bitte beim Nachbarn abgeben.")
        expect(marked).to_contain_text("Neu")
        expect(agent.locator("[data-thread] h2")).to_contain_text("1 neue Kundennachricht")
        _no_sideways_scroll(agent)
        assert_accessible(agent)
    finally:
        agent_context.close()
        customer_context.close()
