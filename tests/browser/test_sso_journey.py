"""A shop customer in a real browser: the shop signs a token, the help center opens the contact form
verified and filled in — no order number and postcode to prove, no password."""
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.extensions import db
from app.shop.models import Customer, Order
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

SHOP_SECRET = "nordlicht-shop-und-hilfe-teilen-diesen-schluessel-2026"


@pytest.fixture
def shop_customer(demo_shop, monkeypatch):
    """A demo shop customer who has never used the help center, with their newest order; JWT SSO switched on."""
    monkeypatch.setitem(demo_shop.app.config, "HELPCENTER_SSO_JWT_SECRET", SHOP_SECRET)
    with demo_shop.app.app_context():
        row = db.session.execute(
            select(Customer.external_id, Customer.email, Customer.first_name, Customer.last_name, Order.number)
            .join(Order, Order.customer_id == Customer.id)
            .outerjoin(User, User.customer_id == Customer.id)
            .where(User.id.is_(None), Customer.email.not_in(db.session.scalars(select(User.email))))
            .order_by(Order.placed_at.desc())).first()
    assert row is not None, "the demo shop has a customer without a help-center account"
    return row


def shop_link(customer, path: str) -> str:
    """What the shop's "Hilfe" link does (the README's example): sign a token for the signed-in customer."""
    now = int(time.time())
    token = jwt.encode({"sub": customer.external_id, "email": customer.email,
                        "name": f"{customer.first_name} {customer.last_name}",
                        "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex}, SHOP_SECRET, algorithm="HS256")
    return "/sso/jwt?" + urlencode({"jwt": token, "return_to": path})


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}],
                         ids=["desktop", "360px"])
def test_customer_from_the_shop_lands_in_a_verified_contact_form(browser, demo_shop, shop_customer, viewport):
    context = browser.new_context(locale="de-DE", viewport=viewport, is_mobile=viewport["width"] < 400)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        number = shop_customer.number
        path = f"/kontakt?order={number}&topic=lieferung-verspaetet"
        page.goto(demo_shop.url + shop_link(shop_customer, path))

        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.get_by_role("button", name="Abmelden")).to_be_attached()  # signed in (menu on a phone)
        expect(page.get_by_label("Worum geht es?")).to_have_value("lieferung-verspaetet")
        expect(page.get_by_label("Bestellung", exact=True)).to_have_value(number)
        # Verified by the shop: nothing to prove and nothing about themselves to type.
        expect(page.get_by_label("Postleitzahl der Lieferadresse (optional)")).to_have_count(0)
        expect(page.get_by_label("Ihr Name")).to_have_count(0)
        expect(page.get_by_label("Passwort")).to_have_count(0)
        assert_accessible(page)

        page.get_by_label("Was ist passiert?").fill("Die Lieferung ist seit drei Tagen überfällig, bitte prüfen.")
        page.get_by_label("Antwort per E-Mail").check()
        page.get_by_role("button", name="Anfrage senden").click()

        expect(page.get_by_role("heading", name="Danke! Ihre Anfrage ist bei uns.")).to_be_visible()
        case_number = page.locator("[data-case-number]").inner_text()
        assert_accessible(page)
        with demo_shop.app.app_context():
            case = db.session.scalar(select(Case).where(Case.number == case_number))
            assert case.verified and case.order.number == number and case.queue != "unverifiziert"
            assert case.contact_email == shop_customer.email
            user = db.session.scalar(select(User).where(User.email == shop_customer.email))
            assert user.origin == "sso-jwt" and not user.has_password
    finally:
        context.close()


def test_a_spent_or_broken_link_shows_the_refusal_page(page, demo_shop, shop_customer):
    link = shop_link(shop_customer, "/kontakt")
    page.goto(demo_shop.url + link)
    expect(page).to_have_url(re.compile(r"/kontakt$"))
    page.context.clear_cookies()
    response = page.goto(demo_shop.url + link)
    assert response.status == 400
    expect(page.get_by_role("heading", name="Die Anmeldung über Nordlicht hat nicht geklappt")).to_be_visible()
    expect(page.get_by_role("link", name="Kontaktformular ohne Anmeldung")).to_be_visible()
    assert_accessible(page)


class _ShopLogin(BaseHTTPRequestHandler):
    """The shop's sign-in page (remote login URL): the customer is signed in at the shop already, so it
    signs a token at once and sends them back to the help center with the return_to it was given."""

    def do_GET(self):  # noqa: N802 — http.server's name
        query = parse_qs(urlsplit(self.path).query)
        self.send_response(302)
        self.send_header("Location", self.server.help_center + shop_link(self.server.customer, query["return_to"][0]))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def shop_site(shop_customer, demo_shop):
    server = HTTPServer(("127.0.0.1", 0), _ShopLogin)
    server.customer, server.help_center = shop_customer, demo_shop.url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/kunden/anmelden"
    server.shutdown()
    server.server_close()


def test_sign_in_page_sends_customers_to_the_shop_and_back(browser, demo_shop, shop_customer, shop_site, monkeypatch):
    monkeypatch.setitem(demo_shop.app.config, "HELPCENTER_CUSTOMER_LOGIN", "sso")
    monkeypatch.setitem(demo_shop.app.config, "HELPCENTER_SSO_JWT_LOGIN_URL", shop_site)
    context = browser.new_context(locale="de-DE", viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(demo_shop.url + "/konto")  # signed out: to the sign-in page, next=/konto
        expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Mit Ihrem Kundenkonto bei Nordlicht anmelden").click()
        expect(page).to_have_url(demo_shop.url + "/konto")
        expect(page.get_by_text(shop_customer.number).first).to_be_visible()
    finally:
        context.close()
