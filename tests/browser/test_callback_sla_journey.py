"""The callback SLA in the agent console, from the booked slot, in a real browser at desktop width and on a 360 px
phone: a Friday callback booked on Monday reads "Rückruf Fr 10:00–10:30" (not overdue on Thursday), 'Rückruf erledigt'
waits for the slot, and works once it has begun."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.cases.models import Case
from app.extensions import db
from app.shop.fields import SHOP_TIMEZONE
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import api_token, login

pytestmark = pytest.mark.browser

MONDAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)
FRIDAY_10 = "2026-11-20T10:00:00+01:00"


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


def book_friday_callback(app) -> str:
    """Anna books Friday 10:00 through the API, as the contact form does."""
    client = app.test_client()
    login(client, "anna.schmidt@example.com", "demo-kunde")
    answer = client.post("/api/cases", headers={"X-CSRFToken": api_token(client)}, json={
        "topic": "sonstiges", "message": "Bitte rufen Sie mich am Freitag an.", "channel": "phone",
        "phone": "040 555 0199", "phone_consent": True, "callback_slot": FRIDAY_10})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["case_number"]


@pytest.fixture
def quiet_queues(demo_shop):
    with demo_shop.app.app_context():
        db.session.execute(update(Case).where(Case.status != "resolved").values(status="resolved"))
        db.session.commit()
    return demo_shop


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)], ids=["desktop", "phone"])
def test_the_agent_sees_the_callback_by_its_slot_and_calls_in_it(browser, quiet_queues, monkeypatch, width, height):
    server = quiet_queues
    clock = Clock(MONDAY)
    monkeypatch.setattr("app.contact.views.now", clock)
    number = book_friday_callback(server.app)

    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        clock.moment = dt.datetime(2026, 11, 19, 18, 0, tzinfo=SHOP_TIMEZONE)  # Thursday evening
        sign_in(page, server.url, "agent@example.com", "demo-agent")
        page.goto(server.url + "/agent")
        row = page.locator(f'[data-callbacks] tr[data-case="{number}"]')
        expect(row).to_contain_text("Rückruf Fr 10:00–10:30")
        expect(row).not_to_contain_text("überfällig")
        expect(row).not_to_contain_text("überschritten")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
        assert_accessible(page)

        row.get_by_role("link", name=number).click()
        expect(page.get_by_text("Der Rückruf ist für Freitag, 20. November um 10:00 Uhr vereinbart.")).to_be_visible()
        expect(page.get_by_role("button", name="Rückruf erledigt")).to_be_disabled()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
        assert_accessible(page)

        clock.moment = dt.datetime(2026, 11, 20, 10, 5, tzinfo=SHOP_TIMEZONE)  # Friday, inside the slot
        page.reload()
        expect(page.get_by_text("Rückruf Fr 10:00–10:30 · jetzt anrufen")).to_be_visible()
        page.get_by_label("Erreicht – gelöst").check()
        page.get_by_role("button", name="Rückruf erledigt").click()
        expect(page.get_by_text("Rückruf eingetragen.")).to_be_visible()
        expect(page.locator("[data-case-status]")).to_have_attribute("data-case-status", "resolved")
        expect(page.get_by_text("Erste Antwort rechtzeitig")).to_be_visible()
    finally:
        context.close()
