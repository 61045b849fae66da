"""Customers signed in through the shop's OpenID Connect provider, against a provider with real HTTP.

Each test drives what a browser does: GET /sso/oidc/login on the help center, follow the Location to
the provider with `requests` (it approves at once and redirects back), then GET /sso/oidc/callback
with the code and state; the help center calls the provider's token endpoint and keys over HTTP.
"""
from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.shop.models import Customer
from tests.conftest import FIXTURE_CONTENT
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TestProvider

REFUSED = "Die Anmeldung über Nordlicht hat nicht geklappt"
TRY_LATER = "Die Anmeldung des Shops ist gerade nicht erreichbar"


@pytest.fixture(scope="session")
def oidc_provider():
    provider = TestProvider()
    yield provider
    provider.stop()


@pytest.fixture
def provider(oidc_provider):
    oidc_provider.reset()
    return oidc_provider


def oidc_settings(issuer: str, **more) -> dict:
    return {"HELPCENTER_OIDC_ISSUER": issuer, "HELPCENTER_OIDC_CLIENT_ID": CLIENT_ID,
            "HELPCENTER_OIDC_CLIENT_SECRET": CLIENT_SECRET, "HELPCENTER_OIDC_TIMEOUT_SECONDS": 2, **more}


@pytest.fixture
def oidc_app(make_app, fixture_index, provider):
    return make_app(FIXTURE_CONTENT, fixture_index, **oidc_settings(provider.url))


@pytest.fixture
def client(oidc_app):
    return oidc_app.test_client()


def authorize(client, next_path: str | None = None) -> str:
    """Start at the help center, pass the provider; the callback's query string the browser would open."""
    login = client.get("/sso/oidc/login" + (f"?{urlencode({'next': next_path})}" if next_path else ""))
    assert login.status_code == 302
    answer = requests.get(login.headers["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/sso/oidc/callback"
    return back.query


def sign_in(client, next_path: str | None = None):
    return client.get("/sso/oidc/callback?" + authorize(client, next_path))


def refusal_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "helpcenter.sso"]


def assert_refused(response, caplog, reason: str, status: int = 400):
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert (TRY_LATER if status == 503 else REFUSED) in html
    assert ("Retry-After" in response.headers) == (status == 503)
    assert "Kontaktformular ohne Anmeldung" in html
    lines = refusal_lines(caplog)
    assert len(lines) == 1 and f"method=oidc reason={reason} " in lines[0] + " ", lines
    # Never a token (a JWT starts with eyJ) nor the customer's address in the log.
    assert "eyJ" not in caplog.text and "kim.berg@example.com" not in caplog.text


# --- the journey ---------------------------------------------------------------------------------

def test_customer_signs_in_and_lands_on_my_account(client, oidc_app, provider):
    response = sign_in(client)

    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    page = client.get("/konto")
    assert page.status_code == 200
    assert "Abmelden" in page.get_data(as_text=True)
    with oidc_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "kim.berg@example.com"))
        assert user.origin == "sso-oidc" and user.role == "customer" and not user.has_password
        assert db.session.get(Customer, user.customer_id).external_id == "K-4711"


def test_the_authorization_request_uses_pkce_state_and_nonce(client, provider):
    login = client.get("/sso/oidc/login")
    location = urlsplit(login.headers["Location"])
    params = {name: values[0] for name, values in parse_qs(location.query).items()}

    assert f"{location.scheme}://{location.netloc}{location.path}" == provider.url + "/authorize"
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert params["state"] and params["nonce"] and "openid" in params["scope"].split()
    # The redirect URI is built on HELPCENTER_BASE_URL (what the shop registers), not on the request's Host.
    assert params["redirect_uri"] == "http://127.0.0.1:5000/sso/oidc/callback"


def test_the_customer_lands_where_they_started(client):
    response = sign_in(client, "/kontakt?thema=rechnung")

    assert response.status_code == 302 and response.headers["Location"] == "/kontakt?thema=rechnung"


@pytest.mark.parametrize("target", ["https://evil.example/konto", "//evil.example", "/\\evil.example", "konto"])
def test_a_next_elsewhere_is_dropped(client, target):
    response = sign_in(client, target)

    assert response.status_code == 302 and response.headers["Location"] == "/konto"


def test_each_pending_sign_in_keeps_its_own_target(client):
    first = authorize(client, "/bestellungen")
    second = authorize(client, "/kontakt")

    assert client.get("/sso/oidc/callback?" + second).headers["Location"] == "/kontakt"
    # The sign-in started the session afresh, so the first tab's pending sign-in is gone with it.
    assert client.get("/sso/oidc/callback?" + first).status_code == 400


def test_only_the_newest_pending_sign_ins_are_kept(client, caplog):
    """Each start adds to the session cookie; old ones are dropped before it grows past what browsers keep."""
    queries = [authorize(client) for _ in range(5)]
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(client.get("/sso/oidc/callback?" + queries[1]), caplog, "state_mismatch")
    assert client.get("/sso/oidc/callback?" + queries[-1]).status_code == 302
    assert len(client.get_cookie("session").value) < 2000


def test_a_known_shop_customer_gets_their_own_record(client, oidc_app, provider):
    with oidc_app.app_context():
        db.session.add(Customer(external_id="K-4711", email="kim.berg@example.com", first_name="Kim", last_name="Berg"))
        db.session.commit()

    assert sign_in(client).status_code == 302
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        user = db.session.scalar(select(User).where(User.email == "kim.berg@example.com"))
        assert db.session.get(Customer, user.customer_id).external_id == "K-4711"


def test_the_customer_number_can_come_from_another_claim(make_app, fixture_index, provider):
    app = make_app(FIXTURE_CONTENT, fixture_index,
                   **oidc_settings(provider.url, HELPCENTER_OIDC_CUSTOMER_CLAIM="customer_number"))
    provider.user["customer_number"] = "K-1000"

    assert sign_in(app.test_client()).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Customer.external_id)) == "K-1000"


def test_email_only_in_userinfo_is_fetched_from_there(client, oidc_app, provider):
    provider.behaviour["userinfo_only"] = ("email", "name")

    assert sign_in(client).status_code == 302
    assert provider.count("/userinfo") == 1
    with oidc_app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "kim.berg@example.com")) == "Kim Berg"


def test_a_returning_customer_signs_in_again(client, oidc_app, provider):
    assert sign_in(client).status_code == 302
    assert sign_in(oidc_app.test_client()).status_code == 302  # another device
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_issuer_with_a_trailing_slash_is_the_configured_one(client, provider):
    """Some providers name themselves "https://shop.eu.auth0.com/"; the setting loses the slash."""
    provider.behaviour["discovery_issuer"] = provider.url + "/"

    assert sign_in(client).status_code == 302


def test_an_id_token_of_the_issuer_without_its_slash_is_refused(client, provider, caplog):
    provider.behaviour["discovery_issuer"] = provider.url + "/"
    provider.behaviour["claims"] = {"iss": provider.url}
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, "invalid_claim")


@pytest.mark.parametrize("path", ["/sso/oidc/login", "/sso/oidc/callback?code=a&state=b"])
def test_not_configured_is_not_found(app, path):
    assert app.test_client().get(path).status_code == 404


# --- refusals --------------------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour, reason", [
    ({"authorize_error": "access_denied"}, "provider_error"),
    ({"claims": {"aud": "another-client"}}, "invalid_claim"),
    ({"claims": {"aud": ["another-client"], "azp": CLIENT_ID}}, "invalid_claim"),
    ({"claims": {"iss": "https://other-provider.example"}}, "invalid_claim"),
    ({"claims": {"nonce": "not-the-nonce"}}, "invalid_claim"),
    ({"drop_claims": ("nonce",)}, "missing_claim"),
    ({"claims": {"exp": 1_000_000_000, "iat": 999_999_000}}, "expired"),
    ({"sign_with": "other_key"}, "bad_signature"),
    ({"sign_with": "unknown_kid"}, "unknown_key"),
    ({"token": "no_id_token"}, "missing_id_token"),
], ids=["access_denied", "wrong_aud", "wrong_aud_with_azp", "wrong_iss", "wrong_nonce", "no_nonce", "expired",
        "bad_signature", "unknown_kid", "no_id_token"])
def test_a_bad_answer_is_refused(client, provider, caplog, behaviour, reason):
    provider.behaviour.update(behaviour)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = sign_in(client)

    assert_refused(response, caplog, reason)
    assert client.get("/konto").status_code == 302  # not signed in: "Mein Konto" sends to the sign-in page


def test_an_hs256_token_signed_with_the_client_secret_is_refused(client, provider, caplog):
    """Only the provider's public keys vouch for a customer, never the secret this help center knows too."""
    provider.behaviour["sign_with"] = "hs256"
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, "wrong_algorithm")


@pytest.mark.parametrize("change, reason", [
    (lambda user: user.pop("email"), "missing_claim"),
    (lambda user: user.update(email_verified=False), "email_not_verified"),
    (lambda user: user.update(email="kein-at-zeichen"), "invalid_claim"),
    (lambda user: user.update(sub=""), "missing_claim"),
], ids=["no_email", "email_not_verified", "bad_email", "no_customer_number"])
def test_missing_or_unverified_claims_are_refused(client, oidc_app, provider, caplog, change, reason):
    change(provider.user)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, reason)
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_userinfo_about_another_subject_is_refused(client, provider, caplog):
    provider.behaviour["userinfo_only"] = ("email",)
    provider.behaviour["userinfo"] = {"sub": "K-9999"}
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, "userinfo_subject_mismatch")


def test_a_staff_address_is_refused(client, oidc_app, make_user, caplog):
    make_user(email="kim.berg@example.com", role="agent", password="ein-langes-gutes-passwort")
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, "staff_address")
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_deactivated_account_is_refused(client, oidc_app, caplog):
    assert sign_in(client).status_code == 302
    with oidc_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "kim.berg@example.com"))
        user.active = False
        db.session.commit()
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    fresh = oidc_app.test_client()
    assert_refused(sign_in(fresh), caplog, "account_deactivated")
    assert fresh.get("/konto").status_code == 302


# --- state, nonce and code --------------------------------------------------------------------------

def test_a_callback_without_state_is_refused(client, provider, caplog):
    query = parse_qs(authorize(client))
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = client.get("/sso/oidc/callback?" + urlencode({"code": query["code"][0]}))

    assert_refused(response, caplog, "state_mismatch")
    assert provider.count("/token") == 0  # the code was never sent anywhere


def test_a_forged_state_is_refused(client, provider, caplog):
    query = parse_qs(authorize(client))
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = client.get("/sso/oidc/callback?" + urlencode({"code": query["code"][0], "state": "erfunden"}))

    assert_refused(response, caplog, "state_mismatch")


def test_a_callback_in_another_browser_is_refused(client, oidc_app, caplog):
    """Login CSRF: an attacker's code and state, opened in the victim's browser, do not sign the victim in."""
    query = authorize(client)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    victim = oidc_app.test_client()
    assert_refused(victim.get("/sso/oidc/callback?" + query), caplog, "state_mismatch")
    assert victim.get("/konto").status_code == 302


def test_the_same_callback_twice_is_refused(client, oidc_app, caplog):
    query = authorize(client)
    other = oidc_app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)  # the same browser, a second tab
    assert client.get("/sso/oidc/callback?" + query).status_code == 302
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    # A copy of the cookie from before the sign-in still holds the state: the provider refuses the used code.
    assert_refused(other.get("/sso/oidc/callback?" + query), caplog, "token_refused")


def test_a_reloaded_callback_is_refused(client, caplog):
    query = authorize(client)
    assert client.get("/sso/oidc/callback?" + query).status_code == 302
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(client.get("/sso/oidc/callback?" + query), caplog, "state_mismatch")


def test_a_sign_in_started_too_long_ago_is_refused(client, provider, caplog, monkeypatch):
    import app.sso.oidc as oidc

    query = authorize(client)
    later = oidc.clock() + oidc.PENDING_SECONDS + 1
    monkeypatch.setattr(oidc, "clock", lambda: later)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(client.get("/sso/oidc/callback?" + query), caplog, "state_expired")
    assert provider.count("/token") == 0


def test_the_provider_refuses_a_wrong_code_verifier(client, provider, caplog):
    """PKCE: a stolen code is useless without the verifier kept in the customer's own session."""
    query = parse_qs(authorize(client))
    provider.codes[query["code"][0]]["challenge"] = "ein-anderer-challenge-wert"
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = client.get("/sso/oidc/callback?" + urlencode({k: v[0] for k, v in query.items()}))

    assert_refused(response, caplog, "token_refused")


def test_garbage_in_the_callback_is_refused(client, caplog):
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = client.get("/sso/oidc/callback?" + urlencode({"state": "x" * 300, "code": "abc"}))

    assert_refused(response, caplog, "bad_callback")


def test_control_characters_in_the_callback_are_refused_at_the_door(client):
    response = client.get("/sso/oidc/callback?" + urlencode({"state": "abc", "code": "a\x00b"}))

    assert response.status_code == 400


def test_the_provider_error_code_is_logged_defanged(client, provider, caplog):
    provider.behaviour["authorize_error"] = "login_required reason=forged <script>"
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(sign_in(client), caplog, "provider_error")
    assert refusal_lines(caplog)[0].endswith("error=login_required?reason?forged??script?")


# --- the provider fails ---------------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour, reason", [
    ({"token": "garbage"}, "provider_garbage"),
    ({"token": "server_error"}, "provider_http_error"),
    ({"jwks": "garbage"}, "provider_garbage"),
    ({"delay": {"/token": 3}}, "provider_unreachable"),
], ids=["token_garbage", "token_500", "jwks_garbage", "token_slow"])
def test_a_failing_provider_at_the_callback_answers_503(client, provider, caplog, behaviour, reason):
    query = authorize(client)
    provider.behaviour.update(behaviour)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    response = client.get("/sso/oidc/callback?" + query)

    assert_refused(response, caplog, reason, status=503)
    assert "Zurück zum Shop" in response.get_data(as_text=True)


@pytest.mark.parametrize("behaviour, reason", [
    ({"discovery": "garbage"}, "provider_garbage"),
    ({"discovery": "error"}, "provider_http_error"),
    ({"discovery_issuer": "https://impostor.example"}, "provider_garbage"),
    ({"delay": {"/.well-known/openid-configuration": 3}}, "provider_unreachable"),
], ids=["garbage", "502", "other_issuer", "slow"])
def test_a_failing_discovery_answers_503(client, provider, caplog, behaviour, reason):
    provider.behaviour.update(behaviour)
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(client.get("/sso/oidc/login"), caplog, reason, status=503)


def test_a_provider_that_is_down_answers_503(make_app, fixture_index, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(FIXTURE_CONTENT, fixture_index, **oidc_settings(f"http://127.0.0.1:{port}"))
    caplog.set_level(logging.INFO, logger="helpcenter.sso")

    assert_refused(app.test_client().get("/sso/oidc/login"), caplog, "provider_unreachable", status=503)


def test_the_provider_back_after_a_failure_works_again(client, provider):
    provider.behaviour["discovery"] = "error"
    assert client.get("/sso/oidc/login").status_code == 503
    provider.behaviour.clear()

    assert sign_in(client).status_code == 302


# --- caches, key rotation, several workers ------------------------------------------------------------

def test_metadata_and_keys_are_fetched_once_per_process(client, oidc_app, provider):
    assert sign_in(client).status_code == 302
    assert sign_in(oidc_app.test_client()).status_code == 302

    assert provider.count("/.well-known/openid-configuration") == 1
    assert provider.count("/jwks") == 1


def test_a_rotated_key_is_fetched_when_a_token_names_it(client, oidc_app, provider):
    assert sign_in(client).status_code == 302
    provider.rotate_key()

    assert sign_in(oidc_app.test_client()).status_code == 302
    assert provider.count("/jwks") == 2


def test_login_on_one_worker_and_callback_on_another(make_app, fixture_index, provider):
    """The pending sign-in travels in the signed session cookie, so any worker can finish it."""
    first = make_app(FIXTURE_CONTENT, fixture_index, **oidc_settings(provider.url))
    second = make_app(FIXTURE_CONTENT, fixture_index, **oidc_settings(provider.url))
    browser_on_first = first.test_client()
    query = authorize(browser_on_first, "/kontakt")
    browser_on_second = second.test_client()
    browser_on_second.set_cookie("session", browser_on_first.get_cookie("session").value)

    response = browser_on_second.get("/sso/oidc/callback?" + query)

    assert response.status_code == 302 and response.headers["Location"] == "/kontakt"
    assert browser_on_second.get("/konto").status_code == 200


def test_the_same_new_customer_twice_at_once_gets_one_account(oidc_app, provider, database_url):
    """Two tabs finish their first sign-in at the same moment: one customer, one account, both signed in."""
    browsers = [oidc_app.test_client() for _ in range(4)]
    queries = [authorize(browser) for browser in browsers]
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def finish(browser, query):
        barrier.wait()
        statuses.append(browser.get("/sso/oidc/callback?" + query).status_code)

    threads = [threading.Thread(target=finish, args=pair) for pair in zip(browsers, queries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * len(browsers)
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


# --- settings --------------------------------------------------------------------------------------------

def test_the_timeout_setting_is_read_and_checked(tmp_path):
    from app.config import ConfigError, config_from_env

    env = {"SECRET_KEY": "x", "HELPCENTER_OIDC_ISSUER": "https://login.shop.example", "HELPCENTER_OIDC_CLIENT_ID": "c"}
    assert config_from_env(tmp_path, env)["HELPCENTER_OIDC_TIMEOUT_SECONDS"] == 5
    assert config_from_env(tmp_path, {**env, "HELPCENTER_OIDC_TIMEOUT_SECONDS": "3"})[
        "HELPCENTER_OIDC_TIMEOUT_SECONDS"] == 3
    with pytest.raises(ConfigError, match="HELPCENTER_OIDC_TIMEOUT_SECONDS"):
        config_from_env(tmp_path, {**env, "HELPCENTER_OIDC_TIMEOUT_SECONDS": "0"})


def test_openid_is_always_asked_for(make_app, fixture_index, provider):
    app = make_app(FIXTURE_CONTENT, fixture_index, **oidc_settings(provider.url, HELPCENTER_OIDC_SCOPES="email"))
    client = app.test_client()

    location = client.get("/sso/oidc/login").headers["Location"]

    assert parse_qs(urlsplit(location).query)["scope"] == ["openid email"]
    assert sign_in(client).status_code == 302  # and so there is an ID token to check
