"""Every main page at 360 × 740 (and at desktop width): nothing scrolls sideways, no serious axe violation.

Walks the public pages, the customer's, the agent's (the returns console included), the admin's and the
editors'; staff sessions are put into the browser as after a full sign-in (password and second factor),
as tests/browser/test_admin_pages.py does. The return page shows the QR code before the steps on phones.
"""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from app.accounts.models import User
from app.accounts.sessions import SEEN_KEY, _epoch, now
from app.extensions import db, login_manager
from app.insights.models import utcnow
from tests.browser.conftest import assert_accessible
from tests.conftest import api_token, login

pytestmark = pytest.mark.browser

STAFF = {"agent": "walk.agent@example.com", "admin": "walk.admin@example.com", "editor": "walk.editor@example.com"}
CUSTOMER = "anna.schmidt@example.com"
SIZES = [(1280, 900), (360, 740)]


@pytest.fixture(scope="module")
def walk(demo_shop):
    """Staff accounts with a second factor, and a case and a return of Anna's to look at."""
    app = demo_shop.app
    with app.app_context():
        for role, email in STAFF.items():
            if db.session.scalar(select(User).where(User.email == email)) is None:
                user = User(email=email, name=f"Walk {role}", role=role, origin="invite")
                user.set_password("ein-langes-gutes-passwort")
                user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), utcnow()
                db.session.add(user)
        db.session.commit()
    client = app.test_client()
    login(client, CUSTOMER, "demo-kunde")
    headers = {"X-CSRFToken": api_token(client)}
    order = demo_shop.anna_order
    items = client.get(f"/api/orders/{order}/returnable").get_json()["items"]
    sku = next(i["sku"] for i in items if i["eligible"])
    created = client.post("/api/returns", headers=headers, json={
        "order_number": order, "items": [{"sku": sku, "quantity": 1, "reason": "zu-gross"}],
        "resolution": "refund", "carrier": "dhl"})
    assert created.status_code == 201, created.get_json()
    case = client.post("/api/cases", headers=headers, json={
        "topic": "sonstiges", "channel": "email", "order_number": order,
        "message": "Eine lange Frage ohne Leerzeichen: " + "Rücksendeetikettendruckerproblem" * 3})
    assert case.status_code == 201, case.get_json()
    demo_shop.walk_return = created.get_json()["return_number"]
    demo_shop.walk_case = case.get_json()["case_number"]
    _long_thread(demo_shop, client, headers)
    _token_pages(demo_shop)
    return demo_shop


LONG_WORD = "Rücksendeetikettendruckerproblembeschreibung" * 3
LONG_URL = "https://nordlicht.example/sendungsverfolgung/00340434165000000001?" + "&".join(
    f"parameter{i}=wert{i}" for i in range(12))


def _long_thread(shop, client, headers) -> None:
    """Anna's case gets a long thread (long words and links on both sides), two more cases for "Meine Anfragen",
    one of them resolved for the survey page, and a withdrawal for its receipt."""
    import datetime as dt

    from app.agent import actions
    from app.agent.survey import survey_token
    from app.cases.models import Case
    from app.withdrawal.service import WithdrawalRequest, submit_and_commit

    app, number = shop.app, shop.walk_case
    for body in (f"Hier der Link aus der Mail: {LONG_URL}", f"Und noch ein langes Wort: {LONG_WORD}"):
        answer = client.post(f"/api/cases/{number}/messages", headers=headers, json={"body": body})
        assert answer.status_code == 201, answer.get_json()
    others = []
    for message in (f"Frage zu {LONG_URL}", f"Noch eine Frage: {LONG_WORD}"):
        answer = client.post("/api/cases", headers=headers, json={"topic": "sonstiges", "channel": "email",
                                                                   "message": message})
        assert answer.status_code == 201, answer.get_json()
        others.append(answer.get_json()["case_number"])
    now = dt.datetime.now(dt.timezone.utc)
    with app.test_request_context():
        agent = db.session.scalar(select(User).where(User.email == STAFF["agent"]))
        anna = db.session.scalar(select(User).where(User.email == CUSTOMER))
        case = db.session.scalar(select(Case).where(Case.number == number))
        actions.reply_by_email(case, agent, None, f"Bitte nutzen Sie diesen Link: {LONG_URL}\n{LONG_WORD}", now)
        resolved = db.session.scalar(select(Case).where(Case.number == others[1]))
        actions.resolve(resolved, agent, "information", None, now)
        db.session.commit()
        shop.walk_survey = survey_token(resolved)
        withdrawal = submit_and_commit(WithdrawalRequest(
            order_number=shop.anna_order, name="Anna Schmidt", email=CUSTOMER,
            reason=f"Passt nicht, siehe {LONG_URL} – {LONG_WORD}"), anna, now).withdrawal
        shop.walk_withdrawal = withdrawal.number


def _token_pages(shop) -> None:
    """An invited colleague's welcome link, Anna's password reset link, and the agent's member page."""
    from app.accounts.service import reset_token_for
    from app.accounts.staff import invitation_token_for

    with shop.app.app_context():
        invited = db.session.scalar(select(User).where(User.email == "walk.invited@example.com"))
        if invited is None:
            invited = User(email="walk.invited@example.com", name="Maximiliane Langnamige-Beispielhaftigkeit",
                           role="agent", origin="invite")
            invited.set_password("ein-langes-gutes-passwort")
            db.session.add(invited)
            db.session.commit()
        shop.walk_welcome = invitation_token_for(invited)
        shop.walk_reset = reset_token_for(db.session.scalar(select(User).where(User.email == CUSTOMER)))
        shop.walk_member = db.session.scalar(select(User.id).where(User.email == STAFF["agent"]))


def session_page(browser, server, email, width, height):
    """A browser context signed in as `email` (a complete sign-in; None for a visitor)."""
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    if email is None:
        return context, page
    agent = page.evaluate("navigator.userAgent")
    app = server.app
    with app.app_context():
        user_id = db.session.scalar(select(User).where(User.email == email)).get_id()
    environ = EnvironBuilder(environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}).get_environ()
    with app.test_request_context(environ_base=environ):
        identifier = login_manager._session_identifier_generator()
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": user_id, "_fresh": True, "_id": identifier, SEEN_KEY: _epoch(now()), "_permanent": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": server.url}])
    return context, page


TOO_WIDE = """() => {
  const name = e => [e.tagName.toLowerCase(), ...e.classList].join('.');
  const boxes = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
    .map(e => name(e) + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
  // Text wider than its own box (a long word) widens the page without any element sticking out.
  const texts = [...document.querySelectorAll('body *')]
    .filter(e => getComputedStyle(e).overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1
                 && e.clientWidth > 0 && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(e => name(e) + ' text ' + e.scrollWidth + 'px in ' + e.clientWidth + 'px');
  return [...boxes, ...texts].slice(0, 5);
}"""


def _too_wide(page) -> list[str]:
    """The outermost elements that stick out on the right, to name in the failure."""
    return page.evaluate(TOO_WIDE)


def check(page, server, path):
    response = page.goto(server.url + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at {width[1]} px: {width[0]} px wide: {_too_wide(page)}"
    assert_accessible(page)


def _pages(server, who):
    order, ret, case = server.anna_order, server.walk_return, server.walk_case
    if who is None:
        return ["/", "/hilfe", "/suche?q=paket", "/kontakt", "/sendungsverfolgung", "/widerruf", "/anmelden",
                "/konto/passwort-vergessen", "/impressum", "/datenschutz", f"/kontakt/umfrage/{server.walk_survey}",
                f"/konto/willkommen/{server.walk_welcome}", f"/konto/passwort-neu/{server.walk_reset}"]
    if who == CUSTOMER:
        return ["/konto", "/konto/anfragen", "/retouren", f"/retouren/bestellung/{order}", f"/retouren/{ret}",
                f"/sendungsverfolgung/{order}", f"/sendungsverfolgung/{order}/nicht-erhalten",
                f"/kontakt/anfrage/{case}", "/kontakt", f"/widerruf/eingang/{server.walk_withdrawal}"]
    if who == STAFF["agent"]:
        return ["/agent", f"/agent/anfrage/{case}", "/agent/retouren", f"/agent/retouren/{ret}"]
    if who == STAFF["admin"]:
        return ["/admin", f"/admin/team/{server.walk_member}", "/admin/protokoll", "/konto/sicherheit"]
    article = "/redaktion/artikel/lieferung-ins-ausland"
    return ["/redaktion", "/redaktion/artikel", "/redaktion/artikel/neu?titel=Zoll", article, f"{article}/versionen",
            f"{article}/ansicht"]


@pytest.mark.parametrize("who", [None, CUSTOMER, STAFF["agent"], STAFF["admin"], STAFF["editor"]],
                         ids=["public", "customer", "agent", "admin", "editor"])
@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_no_main_page_scrolls_sideways(browser, walk, who, width, height):
    context, page = session_page(browser, walk, who, width, height)
    try:
        paths = _pages(walk, who)
        if who is None:  # the help pages by their links: a category and an article in it
            page.goto(walk.url + "/hilfe")
            category = page.locator("main a[href^='/hilfe/']").first.get_attribute("href")
            page.goto(walk.url + category)
            article = page.locator(f"main a[href^='{category}/']").first.get_attribute("href")
            paths += [category, article]
        if who == STAFF["agent"]:
            page.goto(walk.url + f"/agent/anfrage/{walk.walk_case}")
            queue = page.locator(".breadcrumb a[href^='/agent/warteschlange/']").get_attribute("href")
            paths.append(queue)
        for path in paths:
            check(page, walk, path)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_the_return_page_shows_the_qr_code_before_the_steps_on_a_phone(browser, walk, width, height):
    context, page = session_page(browser, walk, CUSTOMER, width, height)
    try:
        page.goto(walk.url + f"/retouren/{walk.walk_return}")
        qr = page.get_by_role("img", name=re.compile("QR-Code der Rücksendung"))
        steps = page.locator(".return-steps")
        expect(qr).to_be_visible()
        expect(steps).to_be_visible()
        qr_box, steps_box = qr.bounding_box(), steps.bounding_box()
        if width < 600:
            assert qr_box["y"] + qr_box["height"] <= steps_box["y"], (qr_box, steps_box)
        else:
            assert qr_box["x"] > steps_box["x"]  # beside the steps on a wide screen
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_an_agent_marks_a_return_received_in_the_console(browser, walk, width, height):
    from app.returns.models import ReturnRequest

    context, page = session_page(browser, walk, STAFF["agent"], width, height)
    try:
        with walk.app.app_context():
            ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == walk.walk_return))
            status = ret.status
        page.goto(walk.url + "/agent")
        page.get_by_role("link", name="Rücksendungen bearbeiten").click()
        page.get_by_role("link", name=walk.walk_return).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Rücksendung {walk.walk_return}")
        assert_accessible(page)
        if status == "registered":
            page.get_by_role("button", name="Als „Eingegangen“ markieren").click()
            expect(page.locator(".flash-success")).to_contain_text("Eingegangen")
        else:  # the desktop run moved it on already: the next step is the check
            page.get_by_label("Notiz zum Schritt (intern, optional)").fill("Ungetragen, Etikett dran")
            page.get_by_role("button", name="Als „Geprüft“ markieren").click()
            expect(page.locator(".flash-success")).to_contain_text("Geprüft")
            expect(page.locator("[data-return-history]")).to_contain_text("Ungetragen, Etikett dran")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page)
    finally:
        context.close()
