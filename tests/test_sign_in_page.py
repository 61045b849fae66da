"""What /anmelden offers under HELPCENTER_CUSTOMER_LOGIN=password|both|sso, and the shop's remote login link."""
from __future__ import annotations

import html as html_lib

import pytest

from tests.conftest import FIXTURE_CONTENT, csrf_token_from, login

SHOP_LOGIN = "https://shop.example/konto/anmelden"
SHOP_BUTTON = "Mit Ihrem Kundenkonto bei Nordlicht anmelden"


@pytest.fixture
def site(make_app, fixture_index, make_user):
    """An app with the given sign-in settings, Kim (customer, password) and an agent."""
    make_user()
    make_user(email="agent@example.com", password="agenten-passwort-1", role="agent", name="Jonas Weber")

    def factory(**settings):
        return make_app(FIXTURE_CONTENT, fixture_index, **settings)

    return factory


def page(client, path="/anmelden") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html_lib.unescape(response.get_data(as_text=True))


def test_password_mode_shows_only_the_form(site):
    app = site(HELPCENTER_CUSTOMER_LOGIN="password", HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    html = page(app.test_client())
    assert SHOP_BUTTON not in html and SHOP_LOGIN not in html and "Mitarbeitende" not in html
    assert 'name="password"' in html and "Passwort vergessen?" in html
    assert login(app.test_client()).status_code == 302


def test_both_mode_offers_the_shop_sign_in_with_return_to_and_the_form(site):
    app = site(HELPCENTER_CUSTOMER_LOGIN="both", HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    client = app.test_client()
    html = page(client, "/anmelden?next=/kontakt%3Forder%3D500001%26topic%3Dlieferung")
    assert f'href="{SHOP_LOGIN}?return_to=%2Fkontakt%3Forder%3D500001%26topic%3Dlieferung">{SHOP_BUTTON}</a>' in html
    assert "<h2>Mit E-Mail-Adresse und Passwort</h2>" in html and 'name="password"' in html
    # next still works for the password form
    assert 'name="next" type="hidden" value="/kontakt?order=500001&topic=lieferung"' in html
    response = client.post("/anmelden", data={"email": "kim.berg@example.com", "password": "richtig-gutes-passwort",
                                              "next": "/kontakt?order=500001&topic=lieferung",
                                              "csrf_token": csrf_token_from(client, "/anmelden")})
    assert response.status_code == 302 and response.headers["Location"] == "/kontakt?order=500001&topic=lieferung"


@pytest.mark.parametrize("next_path", ["", "https://evil.example/", "//evil.example"])
def test_remote_login_returns_to_my_account_without_a_local_next(site, next_path):
    app = site(HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN + "?lang=de&return_to=/alt")
    html = page(app.test_client(), f"/anmelden?next={next_path}")
    assert f'href="{SHOP_LOGIN}?lang=de&return_to=%2Fkonto"' in html
    assert "evil.example" not in html


def test_openid_connect_link_when_an_issuer_is_configured(site):
    app = site(HELPCENTER_OIDC_ISSUER="https://id.shop.example", HELPCENTER_OIDC_CLIENT_ID="helpcenter")
    html = page(app.test_client(), "/anmelden?next=/kontakt")
    assert f'href="/sso/oidc/login?next=/kontakt">{SHOP_BUTTON}</a>' in html
    html = page(app.test_client(), "/anmelden")
    assert f'href="/sso/oidc/login">{SHOP_BUTTON}</a>' in html


def test_both_single_sign_ons_get_a_button_each(site):
    app = site(HELPCENTER_OIDC_ISSUER="https://id.shop.example", HELPCENTER_OIDC_CLIENT_ID="helpcenter",
               HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    html = page(app.test_client())
    assert f'href="/sso/oidc/login">{SHOP_BUTTON}</a>' in html
    assert f'href="{SHOP_LOGIN}?return_to=%2Fkonto">Im Shop Nordlicht anmelden</a>' in html


def test_sso_mode_keeps_the_form_for_staff_and_sends_customers_to_the_shop(site):
    app = site(HELPCENTER_CUSTOMER_LOGIN="sso", HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    client = app.test_client()
    html = page(client)
    assert html.index(SHOP_BUTTON) < html.index("<h2>Anmeldung für Mitarbeitende</h2>") < html.index('name="password"')

    response = login(client)  # a customer with a correct password
    assert response.status_code == 403
    refused = html_lib.unescape(response.get_data(as_text=True))
    assert "Bitte melden Sie sich oben mit Ihrem Kundenkonto bei Nordlicht an" in refused and SHOP_BUTTON in refused
    assert client.get("/konto").status_code == 302  # not signed in

    staff = app.test_client()
    assert login(staff, "agent@example.com", "agenten-passwort-1").status_code == 302
    assert staff.get("/agent").status_code == 200


def test_sso_mode_still_says_wrong_password_for_a_wrong_password(site):
    app = site(HELPCENTER_CUSTOMER_LOGIN="sso", HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    response = login(app.test_client(), password="falsches-passwort")
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)


def test_sso_mode_refuses_the_customers_json_sign_in_too(site):
    app = site(HELPCENTER_CUSTOMER_LOGIN="sso", HELPCENTER_SSO_JWT_LOGIN_URL=SHOP_LOGIN)
    client = app.test_client()
    response = client.post("/api/auth/login", json={"email": "kim.berg@example.com",
                                                    "password": "richtig-gutes-passwort"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "sso_required"
    assert client.get("/api/auth/csrf").status_code == 200 and client.get("/konto").status_code == 302
    agent = client.post("/api/auth/login", json={"email": "agent@example.com", "password": "agenten-passwort-1"})
    assert agent.status_code == 200 and agent.get_json()["user"]["role"] == "agent"
