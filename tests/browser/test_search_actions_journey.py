"""From question to action in a real browser, at desktop width and on a 360 px phone: paging through the results,
an order number typed in the search box offering "Bestellung … verfolgen" first (keyboard and click, guest and
owner), and "Kontakt aufnehmen" carrying the query into the contact form. axe-checked on the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone-360": {"width": 360, "height": 740}}


@pytest.fixture(params=list(VIEWPORTS))
def screen_page(browser, request):
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[request.param],
                                  is_mobile=request.param != "desktop")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def result_titles(page) -> list[str]:
    return page.locator("ol.results > li.result h2").all_inner_texts()


def test_paging_through_all_results(screen_page, live_server):
    page = screen_page
    page.goto(live_server.url + "/")
    page.get_by_role("combobox").fill("Bestellung")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/suche\?q=Bestellung$"))
    count = page.locator(".result-count")
    expect(count).to_contain_text("Artikel gefunden")
    total = int(re.search(r"\d+", count.inner_text()).group(0))
    pages = -(-total // 20)
    assert pages >= 2, "the shipped articles should fill more than one page for 'Bestellung'"
    pager = page.get_by_role("navigation", name="Seiten der Suchergebnisse")
    expect(pager).to_contain_text(f"Seite 1 von {pages}")
    assert fits_the_screen(page)
    assert_accessible(page)

    seen = result_titles(page)
    for number in range(2, pages + 1):
        pager.get_by_role("link", name="Nächste Seite").click()
        expect(page).to_have_url(re.compile(rf"seite={number}"))
        expect(pager).to_contain_text(f"Seite {number} von {pages}")
        expect(pager.locator("[aria-current=page]")).to_have_text(f"Seite {number}")
        expect(page.locator(".result-count")).to_have_text(f"{total} Artikel gefunden")
        seen += result_titles(page)
    assert len(seen) == total and len(set(seen)) == total
    expect(pager.get_by_role("link", name="Nächste Seite")).to_have_count(0)
    assert fits_the_screen(page)
    assert_accessible(page)

    pager.get_by_role("link", name="Seite 1", exact=True).click()
    expect(pager).to_contain_text(f"Seite 1 von {pages}")
    assert result_titles(page) == seen[:20]


def test_an_order_number_in_the_search_box_offers_its_tracking_first(screen_page, demo_shop):
    page, number = screen_page, demo_shop.anna_order
    page.goto(demo_shop.url + "/")
    box = page.get_by_role("combobox")
    box.click()
    box.press_sequentially(f"wo ist {number}", delay=20)
    suggestions = page.get_by_role("listbox")
    expect(suggestions).to_be_visible()
    first = suggestions.get_by_role("option").first
    expect(first).to_have_text(f"Bestellung {number} verfolgen")
    assert_accessible(page)

    # Keyboard: the shortcut is the first option, Enter opens the tracking flow with the number filled in.
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/sendungsverfolgung\?order={number}$"))
    expect(page.get_by_label("Bestellnummer")).to_have_value(number)
    assert fits_the_screen(page)
    assert_accessible(page)

    # The results page shows the same shortcut above the articles.
    page.goto(f"{demo_shop.url}/suche?q={number}")
    shortcut = page.get_by_role("link", name=f"Bestellung {number} verfolgen")
    expect(shortcut).to_be_visible()
    shortcut.click()
    expect(page.get_by_label("Bestellnummer")).to_have_value(number)


def test_the_owner_clicks_the_shortcut_and_sees_the_order(screen_page, demo_shop):
    page, number = screen_page, demo_shop.anna_order
    sign_in(page, demo_shop.url, "anna.schmidt@example.com", "demo-kunde")
    page.goto(demo_shop.url + "/")
    box = page.get_by_role("combobox")
    box.click()
    box.press_sequentially(number, delay=20)
    first = page.get_by_role("listbox").get_by_role("option").first
    expect(first).to_have_text(f"Bestellung {number} verfolgen")
    first.click()
    expect(page).to_have_url(re.compile(rf"/sendungsverfolgung/{number}$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page)


def test_kontakt_aufnehmen_carries_the_query_into_the_form(screen_page, live_server):
    page = screen_page
    query = "Paket mit falscher Farbe bekommen"
    page.goto(live_server.url + "/suche?q=" + query.replace(" ", "+"))
    way_on = page.get_by_role("complementary", name="Nicht gefunden, was Sie suchen?")
    expect(way_on).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page)
    way_on.get_by_role("link", name="Kontakt aufnehmen").click()
    expect(page).to_have_url(re.compile(r"/kontakt\?frage="))
    expect(page.get_by_label("Was ist passiert?")).to_have_value(query)
    assert fits_the_screen(page)
    assert_accessible(page)
