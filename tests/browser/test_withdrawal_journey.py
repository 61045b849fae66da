"""'Vertrag widerrufen' in a real browser: a guest from the footer link to the receipt."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.shop.cli import apply_import
from app.shop.fields import shop_today
from tests.browser.conftest import assert_accessible
from tests.shop_factory import customer, document, order

pytestmark = pytest.mark.browser
TODAY = shop_today()


@pytest.fixture(scope="module")
def shop(live_server):
    with live_server.app.app_context():
        apply_import(document(
            [customer("K-88", "lena.test@example.com", "Lena", "Test", "20095")],
            [order("800001", cid="K-88", placed=TODAY - dt.timedelta(days=3), status="delivered")]))
    return live_server


def test_guest_withdraws_from_the_footer_link_to_the_receipt(browser, shop):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(shop.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Vertrag widerrufen").click()
    expect(page.get_by_role("heading", name="Vertrag widerrufen")).to_be_visible()
    expect(page.get_by_text("Sie müssen keinen Grund angeben")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Bestellnummer").fill("800001")
    page.get_by_label("Ihr Name").fill("Lena Test")
    page.get_by_label("Ihre E-Mail-Adresse").fill("lena.test@example.com")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    expect(page.get_by_role("heading", name="Bitte prüfen Sie Ihren Widerruf")).to_be_visible()
    declaration = page.locator("[data-declaration]")
    expect(declaration).to_contain_text("Hiermit widerrufe ich den von mir abgeschlossenen Vertrag")
    expect(declaration).to_contain_text("Bestellnummer: 800001")
    assert_accessible(page)

    page.get_by_role("button", name="Widerruf bestätigen").click()
    expect(page.get_by_role("heading", name="Ihr Widerruf ist bei uns eingegangen")).to_be_visible()
    expect(page.locator("[data-withdrawal-number]")).to_have_text(re.compile(r"^W-\d{4}-\d{6}$"))
    expect(page.get_by_role("link", name="Rücksendeetikett erstellen")).to_have_attribute("href",
                                                                                        "/retouren?order=800001")
    assert_accessible(page)
    context.close()
