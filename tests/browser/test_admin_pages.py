"""The admin pages in a real browser, at desktop width and on a 360 px phone: invite a colleague, see the link
once, deactivate, follow it in the trail; no serious accessibility violation, no page wider than the screen.

The admin's session is put into the browser as it is after a complete sign-in (password and second
factor), so this walks the admin pages and not the sign-in steps, which have their own journey.
"""
from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from playwright.sync_api import expect
from werkzeug.test import EnvironBuilder

from app.accounts.models import User
from app.accounts.sessions import SEEN_KEY, _epoch, now
from app.extensions import db, login_manager
from app.insights.models import utcnow
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

ADMIN = "browser.admin@example.com"


@pytest.fixture(scope="module")
def admin_account(live_server):
    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == ADMIN))
        if user is None:
            user = User(email=ADMIN, name="Bea Browser", role="admin", origin="invite")
            user.set_password("ein-langes-gutes-passwort")
            # The second factor admins must use is set up (the session below is one after both steps).
            user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), utcnow()
            db.session.add(user)
            db.session.commit()
    return live_server


def signed_in_page(browser, server, width, height):
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    agent = page.evaluate("navigator.userAgent")
    app = server.app
    with app.app_context():
        user_id = db.session.scalar(db.select(User).where(User.email == ADMIN)).get_id()
    environ = EnvironBuilder(environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}).get_environ()
    with app.test_request_context(environ_base=environ):
        identifier = login_manager._session_identifier_generator()
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": user_id, "_fresh": True, "_id": identifier, SEEN_KEY: _epoch(now()), "_permanent": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": server.url}])
    return context, page


def no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)])
def test_an_admin_invites_deactivates_and_finds_it_in_the_trail(browser, admin_account, width, height):
    server = admin_account
    email = f"nele.{width}@example.com"
    context, page = signed_in_page(browser, server, width, height)
    try:
        page.goto(server.url + "/")
        page.get_by_role("link", name="Verwaltung").click()
        expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
        assert_accessible(page)
        no_sideways_scrolling(page)

        page.get_by_label("E-Mail-Adresse").fill(email)
        page.get_by_label("Name (optional)").fill("Nele Neu")
        page.get_by_label("Rolle im Team").select_option("agent")
        page.get_by_role("button", name="Einladen").click()
        expect(page.get_by_role("heading", name="Nele Neu ist eingeladen")).to_be_visible()
        link = page.get_by_label("Einmal-Link zum Passwort-Wählen").input_value()
        assert "/konto/willkommen/" in link
        assert_accessible(page)
        no_sideways_scrolling(page)

        page.get_by_role("link", name="Zum Konto von Nele Neu").click()
        expect(page.get_by_role("heading", name="Nele Neu")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Deaktivieren (meldet sofort überall ab)").click()
        expect(page.get_by_text("Das Konto ist deaktiviert. Alle Sitzungen sind beendet.")).to_be_visible()
        no_sideways_scrolling(page)

        page.get_by_role("link", name="Alles zu diesem Konto im Protokoll").click()
        expect(page.get_by_role("heading", name="Protokoll")).to_be_visible()
        rows = page.locator("[data-trail] tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Konto deaktiviert")
        expect(rows.nth(1)).to_contain_text("Konto angelegt")
        expect(rows.nth(0)).to_contain_text(ADMIN)
        today = dt.datetime.now().strftime("%Y-%m-%d")
        page.get_by_label("Von (Tag)").fill(today)
        page.get_by_role("button", name="Filtern").click()
        expect(rows).to_have_count(2)
        assert_accessible(page)
        no_sideways_scrolling(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Als CSV herunterladen (Excel)").click()
        with open(download.value.path(), encoding="utf-8-sig") as handle:
            content = handle.read()
        assert content.count(email) == 2 and content.startswith("Zeit (Europe/Berlin);Person;")
    finally:
        context.close()
