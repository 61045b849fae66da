"""Editors in a real browser, on a desktop and on a 360 px phone: from a search that found nothing to a written,
previewed and published article that a customer's search finds a moment later; and an old version restored.
axe-checked on every page of the way."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone-360": {"width": 360, "height": 740}}
PASSWORD = "Redaktion schreibt gern"
GAPS = {"desktop": "Zollgebühren Schweiz", "phone-360": "Zollgebühren Norwegen"}
RESTORED = {"desktop": "gutschein-einloesen", "phone-360": "geschenkgutschein-kaufen"}


def editor(server, screen: str) -> str:
    email = f"schreibt.{screen}@example.com"
    with server.app.app_context():
        if db.session.scalar(db.select(User).where(User.email == email)) is None:
            user = User(email=email, name=f"Rita Redaktion ({screen})", role="editor", origin="invite")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


def new_page(browser, screen):
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[screen], is_mobile=screen != "desktop")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def found_by_search(page, url: str, query: str, title: str, seconds: float = 10) -> bool:
    """The customer searches until the article shows (every node reloads within the reload interval)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(f"{url}/suche?q={query}")
        if page.get_by_role("link", name=title).count():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_an_editor_closes_a_content_gap_and_a_customer_finds_the_article(browser, live_server, screen):
    from app.insights.models import SearchLog

    gap = GAPS[screen]
    with live_server.app.app_context():
        db.session.add_all([SearchLog(query=gap, lang="de", result_count=0) for _ in range(3)])
        db.session.commit()
    context, page = new_page(browser, screen)
    sign_in(page, live_server.url, editor(live_server, screen), PASSWORD)
    page.goto(live_server.url + "/redaktion")
    expect(page.locator("[data-missed-searches]")).to_contain_text(gap)
    page.get_by_role("link", name=re.compile(f"Artikel schreiben.*{gap}")).click()

    expect(page.get_by_role("heading", name="Artikel schreiben", exact=True)).to_be_visible()
    expect(page.get_by_label("Titel", exact=True)).to_have_value(gap)
    title = f"{gap}: was bei der Lieferung anfällt"
    page.get_by_label("Titel", exact=True).fill(title)
    page.get_by_label("Kurzbeschreibung").fill("Welche Gebühren der Zoll verlangt und wer sie bezahlt.")
    page.get_by_label("Kategorie", exact=True).select_option(label="Versand & Lieferung")
    page.get_by_label("Suchwörter").fill("Zoll, Einfuhr, Gebühren")
    body = page.get_by_label("Text (Markdown)")
    body.fill("Bei Lieferungen außerhalb der EU verlangt der Zoll Einfuhrabgaben.\n\n")
    page.get_by_role("button", name="Zwischenüberschrift").click()
    body.press("End")
    body.type("\n\nDie Zollgebühren zahlt der Empfänger bei der Zustellung.\n\n")
    page.get_by_role("button", name="Hinweiskasten").click()
    # The live preview renders as the public page does: the heading, the box, no script.
    preview = page.locator("[data-preview]")
    expect(preview.locator("h2")).to_have_text("Zwischenüberschrift")
    expect(preview.locator(".admonition")).to_contain_text("Gut zu wissen")
    assert fits_the_screen(page)
    assert_accessible(page)

    page.get_by_role("button", name="Speichern und veröffentlichen").click()
    expect(page.get_by_text(re.compile(r"Veröffentlicht: Version 1 ist jetzt für alle sichtbar"))).to_be_visible()
    assert_accessible(page)

    customer_context, customer = new_page(browser, screen)
    assert found_by_search(customer, live_server.url, "Zollgebühren", title)
    customer.get_by_role("link", name=title).click()
    expect(customer.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(customer.locator(".admonition")).to_contain_text("Gut zu wissen")
    customer_context.close()
    context.close()


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_an_editor_restores_an_old_version(browser, live_server, screen):
    slug = RESTORED[screen]
    context, page = new_page(browser, screen)
    sign_in(page, live_server.url, editor(live_server, screen), PASSWORD)
    page.goto(f"{live_server.url}/redaktion/artikel?q={slug}")
    assert_accessible(page)
    page.locator(f'tr[data-article="{slug}"] a').first.click()
    original_summary = page.get_by_label("Kurzbeschreibung").input_value()

    page.get_by_label("Kurzbeschreibung").fill("Eine verunglückte Fassung.")
    page.get_by_role("button", name="Speichern und veröffentlichen").click()
    expect(page.get_by_text(re.compile("Veröffentlicht: Version"))).to_be_visible()

    page.get_by_role("link", name="Versionen").click()
    expect(page.get_by_role("heading", name=re.compile("Versionen von"))).to_be_visible()
    diff = page.locator("[data-diff]")
    expect(diff.locator(".diff-removed").filter(has_text="summary:")).to_contain_text(original_summary[:30])
    expect(diff.locator(".diff-added").filter(has_text="summary:")).to_contain_text("Eine verunglückte Fassung.")
    assert fits_the_screen(page)
    assert_accessible(page)

    rows = page.locator("[data-versions] tbody tr")
    oldest = rows.last.get_attribute("data-version")
    page.get_by_role("button", name=re.compile(rf"Wiederherstellen.*\(Version {oldest}\)")).click()
    expect(page.get_by_text(re.compile(f"Version {oldest} ist jetzt wieder die neueste"))).to_be_visible()
    expect(page.get_by_label("Kurzbeschreibung")).to_have_value(original_summary)
    page.get_by_role("button", name=re.compile(r"Version \d+ veröffentlichen")).click()
    expect(page.get_by_text(re.compile("Veröffentlicht: Version"))).to_be_visible()
    assert_accessible(page)
    context.close()
