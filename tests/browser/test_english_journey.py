"""An English-speaking customer on a phone and at a desk: home → category → article in English, typeahead in English,
and a German-only article that says so in English."""
from __future__ import annotations

import re
import shutil
import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.browser.conftest import assert_accessible
from tests.conftest import SHIPPED_CONTENT, build_index

pytestmark = pytest.mark.browser

SIZES = [(1280, 900), (360, 740)]
GERMAN_ONLY = """---
title: "Ratenkauf mit Nordlicht Flex"
summary: "Bezahlen Sie größere Bestellungen in drei Monatsraten ohne Zinsen."
tags: [Ratenkauf, Raten]
lang: de
order: 9
status: published
updated: 2026-10-01
---
Ab 150 € können Sie an der Kasse **Nordlicht Flex** wählen und in drei Raten zahlen.
"""


@pytest.fixture(scope="module")
def english_server(tmp_path_factory):
    """The shipped articles plus one that exists only in German (every shipped one has its English version)."""
    content = tmp_path_factory.mktemp("english-content") / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    (content / "bestellung" / "ratenkauf.md").write_text(GERMAN_ONLY, encoding="utf-8")
    index = build_index(content, tmp_path_factory.mktemp("english-index"))
    db_path = tmp_path_factory.mktemp("english-db") / "helpcenter.db"
    app = create_app({"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
                      "HELPCENTER_CONTENT_DIR": str(content), "HELPCENTER_INDEX_DIR": str(index),
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.parametrize("width,height", SIZES)
def test_english_visitor_goes_home_category_article_and_meets_a_german_only_article(browser, english_server,
                                                                                    width, height):
    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(english_server.url + "/")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello! How can we help you?")
        assert page.get_attribute("html", "lang") == "en"
        categories = page.get_by_role("region", name="All topics")
        expect(categories.get_by_role("link", name="Ordering", exact=True)).to_be_visible()
        _no_sideways_scroll(page)
        assert_accessible(page)

        categories.get_by_role("link", name="Ordering", exact=True).click()
        expect(page).to_have_url(re.compile(r"/hilfe/bestellung$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Ordering")
        listed = page.locator(".article-list")
        expect(listed.get_by_role("link", name="Cancelling an order")).to_be_visible()
        expect(listed.get_by_role("listitem").filter(has_text="Ratenkauf mit Nordlicht Flex")).to_contain_text(
            "(in German)")
        _no_sideways_scroll(page)
        assert_accessible(page)

        listed.get_by_role("link", name="Cancelling an order").click()
        expect(page).to_have_url(re.compile(r"/hilfe/bestellung/cancel-an-order$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Cancelling an order")
        expect(page.locator("article")).to_have_attribute("lang", "en")
        expect(page.get_by_role("button", name="Yes")).to_be_visible()
        _no_sideways_scroll(page)
        assert_accessible(page)

        # The language switch leads to the German original, not to the same text.
        page.get_by_role("link", name="Deutsch").click()
        expect(page).to_have_url(re.compile(r"/hilfe/bestellung/bestellung-stornieren\?lang=de$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Bestellung stornieren")
        page.get_by_role("link", name="English").click()
        expect(page).to_have_url(re.compile(r"/hilfe/bestellung/cancel-an-order\?lang=en$"))

        page.goto(english_server.url + "/hilfe/bestellung/ratenkauf")
        expect(page.get_by_role("note")).to_contain_text("This article is only available in German.")
        expect(page.locator("article")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ratenkauf mit Nordlicht Flex")
        _no_sideways_scroll(page)
        assert_accessible(page)
    finally:
        context.close()


def test_english_typeahead_suggests_english_articles(browser, english_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(english_server.url + "/?lang=en")
        box = page.get_by_role("combobox")
        box.click()
        box.press_sequentially("forgot my password", delay=20)
        suggestions = page.get_by_role("listbox")
        expect(suggestions).to_be_visible()
        expect(suggestions.get_by_role("option").first).to_contain_text("Forgotten your password?")
        box.press("ArrowDown")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"/hilfe/kundenkonto/forgot-password$"))
    finally:
        context.close()
