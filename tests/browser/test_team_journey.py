"""The whole way into the team, in a real browser: an admin signs in with password and second factor,
invites an agent on /admin, and the agent opens the link, chooses a password, sets up a second factor
and lands in the console — on a desktop and on a 360 px phone."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible
from tests.browser.test_staff_journey import VIEWPORTS, fits_the_screen, otp_clock, walk_from_invitation  # noqa: F401
from tests.staff_helpers import give_second_factor

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Leuchtturm am Deich 1987"


def _admin(server, email: str) -> str:
    with server.app.app_context():
        if db.session.scalar(db.select(User).where(User.email == email)) is None:
            user = User(email=email, name="Ada Admin", role="admin", origin="invite")
            user.set_password(ADMIN_PASSWORD)
            db.session.add(user)
            db.session.commit()
    return give_second_factor(server.app, email)


@pytest.mark.parametrize("screen", VIEWPORTS)
def test_admin_invites_an_agent_who_sets_password_and_second_factor_and_lands_in_the_console(
        browser, live_server, otp_clock, screen):
    admin_email, agent_email = f"ada.{screen}@example.com", f"tom.{screen}@example.com"
    secret = _admin(live_server, admin_email)
    options = {"locale": "de-DE", "viewport": VIEWPORTS[screen], "is_mobile": screen != "desktop"}

    admin_context = browser.new_context(**options)
    admin = admin_context.new_page()
    admin.set_default_timeout(10_000)
    admin.goto(live_server.url + "/anmelden")
    admin.get_by_label("E-Mail-Adresse").fill(admin_email)
    admin.get_by_label("Passwort").fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name="Anmelden").click()
    expect(admin.get_by_role("heading", name="Anmelden: zweiter Faktor")).to_be_visible()
    admin.get_by_label("Code").fill(otp_clock.code(secret))
    admin.get_by_role("button", name="Anmelden").click()
    # Admins start on their own workspace.
    expect(admin.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    assert "/admin" in admin.url

    admin.get_by_label("E-Mail-Adresse").fill(agent_email)
    admin.get_by_label("Name (optional)").fill("Tom Teamneu")
    admin.get_by_label("Rolle im Team").select_option("agent")
    admin.get_by_role("button", name="Einladen").click()
    expect(admin.get_by_role("heading", name="Tom Teamneu ist eingeladen")).to_be_visible()
    link = admin.get_by_label("Einmal-Link zum Passwort-Wählen").input_value()
    assert fits_the_screen(admin)
    assert_accessible(admin)

    # The colleague opens the link on their own device.
    agent_context = browser.new_context(**options)
    agent = agent_context.new_page()
    agent.set_default_timeout(10_000)
    otp_clock.next_step()
    # The link is built on HELPCENTER_BASE_URL; the test server listens on its own port.
    walk_from_invitation(agent, live_server.url + urlsplit(link).path, otp_clock)
    expect(agent.get_by_role("heading", name="Agenten-Konsole")).to_be_visible()

    # The admin sees the new colleague with password and second factor, and the steps in the trail.
    admin.goto(live_server.url + "/admin")
    row = admin.locator(f'[data-member="{agent_email}"]')
    expect(row).to_contain_text("gewählt")  # the password is chosen …
    expect(row.locator("td").nth(5)).to_have_text("an")  # … and the second factor is on
    row.get_by_role("link", name="Tom Teamneu").click()
    admin.get_by_role("link", name="Alles zu diesem Konto im Protokoll").click()
    trail = admin.locator("[data-trail] tbody")
    expect(trail).to_contain_text("Konto angelegt")
    expect(trail).to_contain_text(re.compile("Passwort"))
    agent_context.close()
    admin_context.close()
