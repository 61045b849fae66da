"""A customer in a real browser: search as you type, read an article, vote — and every page is accessible."""
import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog, today
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_home_type_a_query_open_a_suggestion_and_vote(page, live_server):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wie können wir Ihnen helfen?")
    box = page.get_by_role("combobox")
    box.click()
    box.press_sequentially("Rücksendeetikett", delay=30)
    suggestions = page.get_by_role("listbox")
    expect(suggestions).to_be_visible()
    # The flow first (a label comes with a return), then the articles.
    expect(suggestions.get_by_role("option").first).to_have_text("Rücksendung starten")
    first_article = suggestions.locator("[role=option][data-position='1']")
    expect(first_article).to_contain_text("Etikett")
    assert box.get_attribute("aria-expanded") == "true"

    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(first_article).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/hilfe/ruecksendung-umtausch/retourenschein-drucken$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Etikett")
    expect(page.get_by_role("navigation", name="Brotkrumen")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Nein").click()
    expect(page.get_by_text("Vielen Dank für Ihr Feedback!")).to_be_visible()
    page.get_by_label("Was hat gefehlt? (optional)").fill("Ich habe keinen Drucker.")
    page.get_by_role("button", name="Hinweis senden").click()
    expect(page.get_by_text("Vielen Dank für Ihren Hinweis!")).to_be_visible()

    with live_server.app.app_context():
        vote = db.session.scalars(db.select(ArticleVote).where(ArticleVote.slug == "retourenschein-drucken")).one()
        assert (vote.helpful, vote.comment) == (False, "Ich habe keinen Drucker.")
        views = db.session.get(ArticleViewDay, ("retourenschein-drucken", today()))
        assert views is not None and views.views >= 1
        typed = db.session.scalars(db.select(SearchLog).where(SearchLog.source == "typeahead")).all()
        assert [(s.query, s.clicked_slug) for s in typed] == [("Rücksendeetikett", "retourenschein-drucken")]


def test_search_page_with_suggestion_and_no_results(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("combobox").fill("Rechnug")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/suche\?q=Rechnug"))
    expect(page.get_by_text("Meinten Sie")).to_be_visible()
    expect(page.locator(".result mark").first).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/suche?q=Drachenfutter")
    expect(page.get_by_text("haben wir leider nichts gefunden")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Wo ist meine Bestellung"))).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("path", [
    "/", "/?lang=en", "/hilfe/versand-lieferung", "/hilfe/sendungsverfolgung/paket-zugestellt-nicht-erhalten",
    "/hilfe/versand-lieferung/versandkosten", "/suche", "/impressum", "/datenschutz", "/gibt-es-nicht",
])
def test_every_page_passes_axe(page, live_server, path):
    page.goto(live_server.url + path)
    assert_accessible(page)


def test_small_screen_layout_keeps_search_usable(browser, live_server):
    context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/")
    box = page.get_by_role("combobox")
    expect(box).to_be_visible()
    assert box.bounding_box()["width"] > 250
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    context.close()
