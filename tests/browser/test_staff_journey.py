"""A new team member in a real browser: from the invitation link to a password, the second factor with
recovery codes and the agent console; then signing out and in again with password and code — on a desktop
and on a 360 px phone screen, axe-checked on every new page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.accounts.staff import create_staff, invitation_token_for
from app.extensions import db
from tests.browser.conftest import assert_accessible
from tests.staff_helpers import OtpClock

pytestmark = pytest.mark.browser

PASSWORD = "Fjorde im Nebel sind still"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone-360": {"width": 360, "height": 740}}


@pytest.fixture
def otp_clock(monkeypatch):
    # The server runs in this process: its second-factor clock is moved by the test, so the second
    # sign-in gets the next 30-second code without waiting for it.
    clock = OtpClock()
    monkeypatch.setattr("app.accounts.twofactor.clock", clock)
    return clock


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def invite(server, email: str, role: str = "agent", name: str = "") -> str:
    """The invitation link for a new staff member (what `users create` prints and /admin will show)."""
    with server.app.app_context():
        user = create_staff(email, role, name, actor_label="cli")
        db.session.commit()
        return f"{server.url}/konto/willkommen/{invitation_token_for(user)}"


def walk_from_invitation(page, link: str, clock: OtpClock) -> tuple[str, list[str]]:
    """The invited person opens the link, chooses a password, sets up the second factor and reaches the
    console; returns the TOTP secret and the recovery codes as the page showed them."""
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile("Willkommen"))).to_be_visible()
    expect(page.get_by_text("mindestens 12 Zeichen")).to_be_visible()  # the rules before typing
    assert fits_the_screen(page)
    assert_accessible(page)
    page.get_by_label("Neues Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page.get_by_role("heading", name="Agenten-Konsole")).to_be_visible()

    page.get_by_role("link", name="Zweiten Faktor einrichten").click()
    page.get_by_role("button", name="Zweiten Faktor einrichten").click()
    expect(page.get_by_role("img", name="QR-Code für Ihre Authenticator-App")).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page)
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App (6 Ziffern)").fill(clock.code(secret))
    page.get_by_role("button", name="Bestätigen und einschalten").click()

    expect(page.get_by_role("heading", name="Ihre Wiederherstellungscodes")).to_be_visible()
    codes = page.locator("[data-recovery-codes] li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}", c) for c in codes)
    assert fits_the_screen(page)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Codes gesichert")).click()
    expect(page.get_by_role("heading", name="Agenten-Konsole")).to_be_visible()
    return secret, codes


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_an_invited_agent_sets_password_and_second_factor_and_signs_in_again(browser, live_server, otp_clock, screen):
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[screen], is_mobile=screen != "desktop")
    page = context.new_page()
    page.set_default_timeout(10_000)
    email = f"neu.{screen}@example.com"
    secret, _codes = walk_from_invitation(page, invite(live_server, email, name="Neu Im Team"), otp_clock)

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
    page.goto(live_server.url + "/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Anmelden: zweiter Faktor")).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page)
    page.get_by_label("Code").fill(otp_clock.code(secret))  # the code used for the set-up is spent
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text("Der Code stimmt nicht")).to_be_visible()
    otp_clock.next_step()
    page.get_by_label("Code").fill(otp_clock.code(secret))
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Agenten-Konsole")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    page.get_by_role("link", name="Mein Konto").click()
    expect(page.locator('[data-second-factor="on"]')).to_contain_text("Eingerichtet")
    expect(page.get_by_text("noch 10 unbenutzte Wiederherstellungscodes")).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_an_invited_editor_lands_on_the_editors_page(browser, live_server, screen):
    from app.insights.models import SearchLog

    with live_server.app.app_context():
        db.session.add(SearchLog(query="Gutschein einlösen", lang="de", result_count=0))
        db.session.commit()
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[screen], is_mobile=screen != "desktop")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(invite(live_server, f"redaktion.{screen}@example.com", "editor"))
    page.get_by_label("Neues Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page.get_by_role("heading", name="Redaktion", exact=True)).to_be_visible()
    expect(page.locator("[data-missed-searches]")).to_contain_text("Gutschein einlösen")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"Suche öffnen.*Gutschein einlösen")).first.click()
    expect(page).to_have_url(re.compile(r"/suche\?q=Gutschein"))
    context.close()
