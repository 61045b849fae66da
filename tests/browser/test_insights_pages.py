"""The insights pages over the demo data, at desktop and phone width: charts and tables shown, nothing scrolls
sideways, no serious axe violation; the content gap links to a new article with the query."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.insights.models import utcnow
from tests.browser.conftest import assert_accessible
from tests.browser.test_narrow_pages import SIZES, session_page

pytestmark = pytest.mark.browser

PEOPLE = {"editor": "insights.editor@example.com", "lead": "insights.lead@example.com"}


@pytest.fixture(scope="module")
def insights_shop(demo_shop):
    with demo_shop.app.app_context():
        for role, email in PEOPLE.items():
            if db.session.scalar(select(User).where(User.email == email)) is None:
                user = User(email=email, name=f"Insights {role}", role=role, origin="invite")
                user.set_password("ein-langes-gutes-passwort")
                user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), utcnow()
                db.session.add(user)
        db.session.commit()
    return demo_shop


def _fits_and_is_accessible(page):
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"
    assert_accessible(page)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_an_editor_finds_the_content_gaps_and_the_article_figures(browser, insights_shop, width, height):
    context, page = session_page(browser, insights_shop, PEOPLE["editor"], width, height)
    try:
        page.goto(insights_shop.url + "/redaktion/einblicke")
        expect(page.get_by_role("heading", level=1)).to_have_text("Einblicke")
        gaps = page.locator("[data-gaps]")
        expect(gaps).to_be_visible()
        write = gaps.get_by_role("link", name=re.compile(r"^Artikel schreiben\s*: Gutschein einlösen$"))
        expect(write).to_have_attribute("href", "/redaktion/artikel/neu?titel=Gutschein+einl%C3%B6sen")
        expect(page.locator("svg.chart[data-chart='searches-days']")).to_be_visible()
        expect(page.locator("[data-report='articles'] [data-comments] li").first).to_be_visible()
        _fits_and_is_accessible(page)
        # A narrower range from the form: the page says which days it shows.
        page.get_by_label("Von").fill("2026-01-01")
        page.get_by_label("Bis").fill("2026-01-07")
        page.get_by_role("button", name="Zeitraum zeigen").click()
        expect(page.locator("[data-range]")).to_contain_text("(7 Tage)")
        _fits_and_is_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_a_team_lead_sees_service_and_returns(browser, insights_shop, width, height):
    context, page = session_page(browser, insights_shop, PEOPLE["lead"], width, height)
    try:
        page.goto(insights_shop.url + "/agent/kennzahlen")
        expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen")
        expect(page.locator("[data-figure='target_met'] [data-value]")).not_to_have_text("–")
        expect(page.locator("svg.chart[data-chart='cases-days']")).to_be_visible()
        expect(page.locator("[data-products] tbody tr").first).to_be_visible()
        _fits_and_is_accessible(page)
        page.locator("[data-report='returns']").get_by_role("link", name="Name").click()
        expect(page.locator("[data-report='returns'] a[aria-current='true']")).to_have_text("Name")
        names = page.locator("[data-products] tbody th").all_inner_texts()
        assert names == sorted(names, key=str.lower)
        _fits_and_is_accessible(page)
    finally:
        context.close()
