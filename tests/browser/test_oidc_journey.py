"""A shop customer signs in through the shop's OpenID Connect provider in a real browser (desktop and 360 px)."""
import re
import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible
from tests.conftest import SHIPPED_CONTENT
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider

pytestmark = pytest.mark.browser

SIGN_IN_BUTTON = "Mit Ihrem Kundenkonto anmelden"


@pytest.fixture(scope="module")
def provider():
    provider = TestProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def oidc_site(tmp_path_factory, shipped_index, provider):
    """The help center with the shop's provider configured, on a real HTTP server."""
    app = create_app({
        "SECRET_KEY": "browser-test-oidc",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('oidc-db') / 'helpcenter.db'}",
        "HELPCENTER_CONTENT_DIR": str(SHIPPED_CONTENT),
        "HELPCENTER_INDEX_DIR": str(shipped_index),
        "RATELIMIT_STORAGE_URI": "memory://",
        "HELPCENTER_OIDC_ISSUER": provider.url,
        "HELPCENTER_OIDC_CLIENT_ID": CLIENT_ID,
        "HELPCENTER_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    })
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.url = f"http://127.0.0.1:{server.server_port}"
    # The redirect URI the provider sends the browser back to is built on the base URL.
    app.config["HELPCENTER_BASE_URL"] = server.url
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _start(page, site):
    """From the sign-in page's button when it offers one, else the link the shop's pages use."""
    page.goto(site.url + "/anmelden")
    button = page.get_by_role("link", name=SIGN_IN_BUTTON).or_(page.get_by_role("button", name=SIGN_IN_BUTTON))
    if button.count():
        button.first.click()
    else:
        page.goto(site.url + "/sso/oidc/login?next=/konto")


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
def test_a_shop_customer_signs_in_with_the_shop_account(browser, oidc_site, provider, width):
    provider.reset()
    provider.user.update(sub=f"K-{width}", email=f"kunde-{width}@example.com", name="Kim Berg")
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        _start(page, oidc_site)

        expect(page).to_have_url(re.compile(r"/konto$"))
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        assert_accessible(page)
        page.goto(oidc_site.url + "/kontakt")
        expect(page.get_by_label("Ihr Name")).to_have_count(0)  # signed in: nothing to type about herself
    finally:
        context.close()

    with oidc_site.app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"kunde-{width}@example.com"))
        assert user.origin == "sso-oidc" and user.customer.external_id == f"K-{width}"


def test_a_refused_sign_in_shows_one_clear_page(page, oidc_site, provider):
    provider.reset()
    provider.behaviour["authorize_error"] = "access_denied"
    page.set_viewport_size({"width": 360, "height": 800})

    page.goto(oidc_site.url + "/sso/oidc/login?next=/konto")

    expect(page.get_by_role("heading", name="Die Anmeldung über Nordlicht hat nicht geklappt")).to_be_visible()
    expect(page.get_by_role("link", name="Kontaktformular ohne Anmeldung")).to_be_visible()
    assert_accessible(page)
