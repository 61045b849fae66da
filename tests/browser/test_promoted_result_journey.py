"""A promoted result in a real browser, on a desktop and on a 360 px phone: an editor pins an article to a query on
/redaktion/empfehlungen; a customer searching that query (in another spelling) sees it first, marked "Empfohlen", on
the results page and in the suggestions while typing. axe-checked on both pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone-360": {"width": 360, "height": 740}}
PASSWORD = "Redaktion heftet an"
# A different question per screen, so the two runs do not meet in the shared live server.
QUERIES = {"desktop": ("Geld nicht angekommen", "geld NICHT angekommen?"),
           "phone-360": ("Zahlung fehlt", "zahlung  fehlt!")}
ARTICLE = "Mit PayPal bezahlen"


def editor(server, screen: str) -> str:
    email = f"heftet.{screen}@example.com"
    with server.app.app_context():
        if db.session.scalar(db.select(User).where(User.email == email)) is None:
            user = User(email=email, name=f"Pia Pin ({screen})", role="editor", origin="invite")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_an_editor_pins_an_article_and_a_customer_sees_it_first_marked(browser, live_server, screen):
    pinned_query, typed_query = QUERIES[screen]
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[screen], is_mobile=screen != "desktop")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, editor(live_server, screen), PASSWORD)
    page.goto(live_server.url + "/redaktion/empfehlungen")
    assert_accessible(page)
    page.get_by_label("Suche", exact=True).fill(pinned_query)
    page.get_by_label("Sprache", exact=True).select_option("de")
    option = page.locator("#pin-slug option", has_text=ARTICLE).first.get_attribute("value")
    page.get_by_label("Artikel", exact=True).select_option(option)
    page.get_by_role("button", name="Anheften").click()
    expect(page.get_by_text("Angeheftet: Kunden sehen den Artikel bei dieser Suche zuerst.")).to_be_visible()
    block = page.locator('[data-promotion][data-lang="de"]', has_text=pinned_query)
    expect(block.locator("[data-pin]")).to_have_count(1)
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()

    customer = browser.new_context(locale="de-DE", viewport=VIEWPORTS[screen], is_mobile=screen != "desktop")
    shopper = customer.new_page()
    shopper.set_default_timeout(10_000)
    shopper.goto(live_server.url + "/suche?q=" + typed_query.replace(" ", "+"))
    first = shopper.locator("ol.results > li").first
    expect(first.get_by_role("link", name=ARTICLE)).to_be_visible()
    expect(first.get_by_text("Empfohlen")).to_be_visible()
    expect(shopper.locator("[data-promoted]")).to_have_count(1)
    assert_accessible(shopper)
    assert shopper.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # The same while typing: the first article suggested is the pinned one, marked (a shortcut into a flow,
    # such as asking about a refund, may come before the articles).
    shopper.goto(live_server.url + "/")
    shopper.get_by_role("combobox", name="Wie können wir helfen?").press_sequentially(typed_query, delay=20)
    suggestion = shopper.get_by_role("listbox").locator("[role=option]:not(.sugg-action)").first
    expect(suggestion).to_contain_text(ARTICLE)
    expect(suggestion).to_contain_text("Empfohlen")
    customer.close()
