"""JWT hand-off from the shop (GET /sso/jwt): sign-in, the verified contact form, every refusal, replays."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select

from app.accounts.models import SsoTokenUse, User
from app.cases.models import Case
from app.config import ConfigError, config_from_env
from app.extensions import db
from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from app.shop.models import Customer
from tests.conftest import FIXTURE_CONTENT, csrf_token_from
from tests.shop_factory import customer, document, order

SECRET = "s" * 16 + "-geheimer-shop-schluessel-0123456789"
OTHER_SECRET = "o" * 16 + "-ein-anderer-schluessel-9876543210"
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)  # the contact form's clock: service open
SLOT = "2026-11-16T11:00:00+01:00"
REFUSED = "Die Anmeldung über Nordlicht hat nicht geklappt"


def _pem(private_key) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_PEM, EC_PEM = _pem(RSA_KEY), _pem(EC_KEY)


def claims(**changes) -> dict:
    """What the shop puts in the token for Kim (K-1); a claim set to None is left out."""
    now = int(time.time())
    body = {"sub": "K-1", "email": "kim.berg@example.com", "name": "Kim Berg", "iat": now, "exp": now + 120,
            "jti": uuid.uuid4().hex}
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def token(key=SECRET, algorithm="HS256", **changes) -> str:
    return jwt.encode(claims(**changes), key, algorithm=algorithm)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict, body: dict | bytes, secret: bytes | None) -> str:
    """A token PyJWT would not build: `alg: none`, HS256 keyed with the public key's PEM, a payload not JSON."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    signature = _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()) if secret else ""
    return f"{signing_input}.{signature}"


@pytest.fixture
def shop_app(make_app, fixture_index, monkeypatch):
    """Kim (K-1, order 500001) and Jan (K-2) in the shop data, no help-center accounts; JWT with HS256."""
    monkeypatch.setattr("app.contact.views.now", lambda: NOW)

    def factory(**settings):
        settings.setdefault("HELPCENTER_SSO_JWT_SECRET", SECRET)
        app = make_app(FIXTURE_CONTENT, fixture_index, **settings)
        with app.app_context():
            if db.session.scalar(select(func.count()).select_from(Customer)) == 0:
                apply_import(document([customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
                                      [order("500001"), order("500009", cid="K-2", postcode="10115")]))
        return app

    return factory


@pytest.fixture
def app_hs(shop_app):
    return shop_app()


@pytest.fixture
def sso_log(caplog):
    caplog.set_level(logging.INFO, logger="helpcenter.sso")
    return caplog


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "helpcenter.sso"]


def hand_off(client, jwt_value, return_to=None):
    query = {"jwt": jwt_value}
    if return_to is not None:
        query["return_to"] = return_to
    return client.get("/sso/jwt", query_string=query)


# --- signing in ------------------------------------------------------------------------------------------

def test_customer_arrives_signed_in_on_return_to_and_sees_their_orders(app_hs):
    client = app_hs.test_client()
    response = hand_off(client, token(), "/kontakt?order=500001&topic=lieferung-nicht-erhalten")
    assert response.status_code == 302
    assert response.headers["Location"] == "/kontakt?order=500001&topic=lieferung-nicht-erhalten"
    account = client.get("/konto")
    assert account.status_code == 200 and "500001" in account.get_data(as_text=True)
    assert "500009" not in account.get_data(as_text=True)  # Jan's order stays Jan's
    with app_hs.app_context():
        user = db.session.scalar(select(User).where(User.email == "kim.berg@example.com"))
        assert (user.role, user.origin, user.has_password, user.customer.external_id) == ("customer", "sso-jwt",
                                                                                           False, "K-1")
        assert user.last_login_at is not None


@pytest.mark.parametrize("return_to", [None, "", "https://evil.example/kontakt", "//evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "/%2F%2Fevil.example"])
def test_return_to_is_followed_only_to_a_path_here(app_hs, return_to):
    response = hand_off(app_hs.test_client(), token(), return_to)
    assert response.status_code == 302 and response.headers["Location"] == "/konto"


def test_contact_form_of_a_customer_from_the_shop_is_verified_with_their_orders(app_hs):
    client = app_hs.test_client()
    hand_off(client, token(), "/kontakt?order=500001&topic=lieferung-nicht-erhalten")
    html = client.get("/kontakt?order=500001&topic=lieferung-nicht-erhalten").get_data(as_text=True)
    assert '<option value="500001" selected>' in html  # their order, picked from their own orders
    assert 'name="name"' not in html and 'name="email"' not in html and 'name="postcode"' not in html
    submission_id = re.search(r'name="submission_id" type="hidden" value="([0-9a-f]+)"', html).group(1)
    response = client.post("/kontakt", data={
        "csrf_token": csrf_token_from(client, "/kontakt"), "submission_id": submission_id,
        "topic": "lieferung-nicht-erhalten", "order_number": "500001", "channel": "phone",
        "message": "Zugestellt, aber nichts da. Nachbarn gefragt.", "phone": "040 555 0101", "phone_consent": "y",
        "callback_slot": SLOT})
    assert response.status_code == 302
    assert "Danke! Ihre Anfrage ist bei uns." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app_hs.app_context():
        case = db.session.scalar(select(Case))
        assert case.verified and case.order.number == "500001" and case.contact_email == "kim.berg@example.com"
        assert case.queue != "unverifiziert"


def test_unknown_customer_number_is_created_from_the_claims_and_filled_in_by_the_next_import(app_hs):
    client = app_hs.test_client()
    response = hand_off(client, token(sub="K-77", email="Lea.Sommer@Example.com", name="Lea Marie Sommer"))
    assert response.status_code == 302
    assert client.get("/konto").status_code == 200
    with app_hs.app_context():
        created = db.session.scalar(select(Customer).where(Customer.external_id == "K-77"))
        assert (created.email, created.first_name, created.last_name) == ("lea.sommer@example.com", "Lea Marie",
                                                                          "Sommer")
        assert created.addresses == []
        user_id = db.session.scalar(select(User.id).where(User.customer_id == created.id))
        # The shop's nightly export: the same customer number with the full record and an order.
        report = apply_import(document([customer("K-77", "lea.sommer@example.com", "Lea", "Sommer", "50667")],
                                       [order("600001", cid="K-77", postcode="50667")]))
        assert report.errors == []
        created = db.session.scalar(select(Customer).where(Customer.external_id == "K-77"))
        assert (created.first_name, created.phone) == ("Lea", "+49 40 555 0101")
        assert [a.postcode for a in created.addresses] == ["50667"]
        assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.external_id == "K-77")) == 1
    assert "600001" in client.get("/konto").get_data(as_text=True)  # the same account now sees the order
    hand_off(client, token(sub="K-77", email="lea.sommer@example.com"))
    with app_hs.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "lea.sommer@example.com")) == user_id


def test_existing_password_account_of_the_customer_is_signed_in(app_hs, make_user):
    make_user(customer_ref="K-1")
    client = app_hs.test_client()
    assert hand_off(client, token()).status_code == 302
    with app_hs.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(User)).has_password  # the shop's sign-in takes nothing away


@pytest.mark.parametrize("settings,key,algorithm", [
    ({"HELPCENTER_SSO_JWT_SECRET": "", "HELPCENTER_SSO_JWT_PUBLIC_KEY": RSA_PEM}, RSA_KEY, "RS256"),
    ({"HELPCENTER_SSO_JWT_SECRET": "", "HELPCENTER_SSO_JWT_PUBLIC_KEY": EC_PEM}, EC_KEY, "ES256"),
    ({"HELPCENTER_SSO_JWT_PUBLIC_KEY": RSA_PEM}, RSA_KEY, "RS256"),
    ({"HELPCENTER_SSO_JWT_PUBLIC_KEY": RSA_PEM}, SECRET, "HS256"),
], ids=["rs256", "es256", "rs256-beside-secret", "hs256-beside-public-key"])
def test_public_key_algorithms_sign_in(shop_app, settings, key, algorithm):
    app = shop_app(**settings)
    assert hand_off(app.test_client(), token(key, algorithm)).status_code == 302


def test_clock_skew_of_thirty_seconds_is_allowed(app_hs):
    now = int(time.time())
    assert hand_off(app_hs.test_client(), token(iat=now + 20, exp=now + 200)).status_code == 302
    assert hand_off(app_hs.test_client(), token(iat=now - 290, exp=now - 10)).status_code == 302


# --- refusals --------------------------------------------------------------------------------------------

def _refusal_cases():
    # Built when the test runs (collection may be minutes earlier): each lambda reads the clock itself.
    def now():
        return int(time.time())

    return [
        ("bad-signature", lambda: token(OTHER_SECRET), "bad_signature"),
        ("tampered-claims", lambda: _tampered(token()), "bad_signature"),
        ("expired", lambda: token(iat=now() - 400, exp=now() - 120), "expired"),
        ("too-long-lived", lambda: token(iat=now(), exp=now() + 3600), "too_long_lived"),
        ("issued-in-the-future", lambda: token(iat=now() + 120, exp=now() + 300), "not_yet_valid"),
        ("not-before-in-the-future", lambda: token(nbf=now() + 120), "not_yet_valid"),
        ("missing-sub", lambda: token(sub=None), "missing_claim"),
        ("missing-email", lambda: token(email=None), "missing_claim"),
        ("missing-iat", lambda: token(iat=None), "missing_claim"),
        ("missing-exp", lambda: token(exp=None), "missing_claim"),
        ("missing-jti", lambda: token(jti=None), "missing_claim"),
        ("email-not-an-address", lambda: token(email="kein-at-zeichen"), "invalid_claim"),
        ("sub-not-text", lambda: token(sub=4711), "invalid_claim"),
        ("sub-odd-characters", lambda: token(sub="K 1; drop"), "invalid_claim"),
        ("jti-not-text", lambda: token(jti=12), "invalid_claim"),
        ("iat-as-text", lambda: token(iat=str(now())), "invalid_claim"),
        ("name-not-text", lambda: token(name=["Kim"]), "invalid_claim"),
        ("alg-none", lambda: forged({"alg": "none", "typ": "JWT"}, claims(), None), "algorithm_not_allowed"),
        ("alg-None-spelling", lambda: forged({"alg": "None"}, claims(), None), "algorithm_not_allowed"),
        ("rs256-without-public-key", lambda: token(RSA_KEY, "RS256"), "algorithm_not_allowed"),
        ("hs512", lambda: token(SECRET * 2, "HS512"), "algorithm_not_allowed"),
        ("alg-missing", lambda: forged({"typ": "JWT"}, claims(), SECRET.encode()), "algorithm_not_allowed"),
        ("malformed", lambda: "das-ist-kein-token", "malformed_token"),
        ("three-garbage-parts", lambda: "a.b.c", "malformed_token"),
        ("payload-not-json", lambda: forged({"alg": "HS256"}, b"\xff\xfe{", SECRET.encode()), "malformed_token"),
        ("payload-a-list", lambda: forged({"alg": "HS256"}, b"[1, 2]", SECRET.encode()), "malformed_token"),
        ("header-nested-deep", lambda: _b64(b"[" * 3000) + ".e30.", "malformed_token"),
        ("far-too-long", lambda: "a" * 9000, "malformed_token"),
        ("no-token", lambda: "", "no_token"),
    ]


def _tampered(value: str) -> str:
    header, _body, signature = value.split(".")
    return ".".join([header, _b64(json.dumps(claims(sub="K-2", email="jan.ode@example.com")).encode()), signature])


@pytest.mark.parametrize("name,make,reason", _refusal_cases(), ids=[case[0] for case in _refusal_cases()])
def test_every_refusal_shows_one_page_and_logs_the_reason_without_the_token(app_hs, sso_log, name, make, reason):
    client = app_hs.test_client()
    value = make()
    response = hand_off(client, value, "/kontakt")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert REFUSED in html and "Zurück zum Shop" in html and "Kontaktformular ohne Anmeldung" in html
    logged = refusals(sso_log)
    assert len(logged) == 1 and f"method=jwt reason={reason} " in logged[0] + " "
    if len(value) > 8:
        assert value not in sso_log.text and value.split(".")[0] not in sso_log.text
    assert client.get("/konto").status_code == 302  # not signed in
    with app_hs.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_request_lines_in_the_log_show_no_token(app_hs, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    value = token()
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /sso/jwt?jwt=%s&return_to=/konto HTTP/1.1" 302 -', value)
    logging.getLogger("werkzeug").info('"GET /sso/jwt?return_to=%%2Fkontakt&jwt=%s HTTP/1.1" 302 -', value)
    assert value not in caplog.text and value.split(".")[2] not in caplog.text
    assert "/sso/jwt?jwt=[token]&return_to=/konto" in caplog.text and "&jwt=[token] HTTP/1.1" in caplog.text


def test_request_without_the_jwt_parameter_is_refused(app_hs, sso_log):
    response = app_hs.test_client().get("/sso/jwt")
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert refusals(sso_log) == ["single sign-on refused: method=jwt reason=no_token "]


def test_replayed_token_is_refused(app_hs, sso_log):
    value = token()
    assert hand_off(app_hs.test_client(), value).status_code == 302
    second = app_hs.test_client()
    response = hand_off(second, value)
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert any("reason=replayed" in line for line in refusals(sso_log)) and value not in sso_log.text
    assert second.get("/konto").status_code == 302
    with app_hs.app_context():
        used = db.session.scalar(select(SsoTokenUse))
        # Only a hash of the token id is kept, until the token would have expired anyway.
        assert len(used.jti_hash) == 64 and used.expires_at > used.used_at


def _forged_with_public_pem() -> str:
    return forged({"alg": "HS256", "typ": "JWT"}, claims(), RSA_PEM.encode())


@pytest.mark.parametrize("settings,reason", [
    ({"HELPCENTER_SSO_JWT_SECRET": "", "HELPCENTER_SSO_JWT_PUBLIC_KEY": RSA_PEM}, "algorithm_not_allowed"),
    ({"HELPCENTER_SSO_JWT_PUBLIC_KEY": RSA_PEM}, "bad_signature"),
], ids=["public-key-only", "secret-and-public-key"])
def test_algorithm_confusion_hs256_keyed_with_the_public_pem_is_refused(shop_app, sso_log, settings, reason):
    app = shop_app(**settings)
    response = hand_off(app.test_client(), _forged_with_public_pem())
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert f"reason={reason}" in refusals(sso_log)[0]


def test_hs256_is_refused_when_only_a_public_key_is_configured(shop_app, sso_log):
    app = shop_app(HELPCENTER_SSO_JWT_SECRET="", HELPCENTER_SSO_JWT_PUBLIC_KEY=RSA_PEM)
    assert hand_off(app.test_client(), token()).status_code == 400
    assert hand_off(app.test_client(), token(OTHER_RSA_KEY, "RS256")).status_code == 400
    assert hand_off(app.test_client(), token(EC_KEY, "ES256")).status_code == 400
    assert [line.split("reason=")[1].split()[0] for line in refusals(sso_log)] == [
        "algorithm_not_allowed", "bad_signature", "algorithm_not_allowed"]


def test_not_configured_is_a_404_with_the_same_page(shop_app, sso_log):
    app = shop_app(HELPCENTER_SSO_JWT_SECRET="")
    response = hand_off(app.test_client(), token())
    assert response.status_code == 404 and REFUSED in response.get_data(as_text=True)
    assert "reason=not_configured" in refusals(sso_log)[0]


def test_unusable_public_key_set_around_the_start_check_is_refused_not_a_500(shop_app, sso_log):
    app = shop_app(HELPCENTER_SSO_JWT_SECRET="", HELPCENTER_SSO_JWT_PUBLIC_KEY="-----BEGIN PUBLIC KEY-----\nkaputt")
    assert hand_off(app.test_client(), token(RSA_KEY, "RS256")).status_code == 404
    assert "reason=not_configured" in refusals(sso_log)[0]


def test_staff_address_is_refused(app_hs, make_user, sso_log):
    make_user(email="agent@example.com", password="agenten-passwort-1", role="agent", name="Jonas Weber")
    client = app_hs.test_client()
    response = hand_off(client, token(email="agent@example.com"))
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert "reason=staff_address" in refusals(sso_log)[0]
    assert client.get("/konto").status_code == 302
    with app_hs.app_context():
        assert db.session.scalar(select(User).where(User.email == "agent@example.com")).customer_id is None
        # The refused token was not spent: nothing of the refused request is kept.
        assert db.session.scalar(select(func.count()).select_from(SsoTokenUse)) == 0


def test_address_of_another_customer_number_is_refused(app_hs, sso_log):
    assert hand_off(app_hs.test_client(), token()).status_code == 302  # Kim, K-1
    client = app_hs.test_client()
    response = hand_off(client, token(sub="K-2", email="kim.berg@example.com"))
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert "reason=address_of_other_customer" in refusals(sso_log)[0]
    assert client.get("/konto").status_code == 302


def test_deactivated_account_is_refused(app_hs, sso_log):
    assert hand_off(app_hs.test_client(), token()).status_code == 302
    with app_hs.app_context():
        db.session.scalar(select(User)).active = False
        db.session.commit()
    client = app_hs.test_client()
    response = hand_off(client, token())
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert "reason=account_deactivated" in refusals(sso_log)[0]
    assert client.get("/konto").status_code == 302


def test_same_token_at_the_same_time_signs_in_exactly_once(app_hs):
    value, results, errors = token(), [], []
    barrier = threading.Barrier(8)

    def use():
        client = app_hs.test_client()
        try:
            barrier.wait()
            response = hand_off(client, value)
            results.append((response.status_code, client.get("/konto").status_code))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [(302, 200)] + [(400, 302)] * 7
    with app_hs.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoTokenUse)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_first_sign_in_of_a_new_customer_from_two_tokens_at_once_makes_one_account(app_hs):
    values, results = [token(sub="K-88", email="neu@example.com") for _ in range(6)], []
    barrier = threading.Barrier(len(values))

    def use(value):
        barrier.wait()
        results.append(hand_off(app_hs.test_client(), value).status_code)

    threads = [threading.Thread(target=use, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302] * len(values)
    with app_hs.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.external_id == "K-88")) == 1
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "neu@example.com")) == 1


def test_used_token_ids_are_forgotten_once_their_tokens_expired(app_hs):
    with app_hs.app_context():
        past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
        db.session.add(SsoTokenUse(jti_hash="a" * 64, expires_at=past))
        db.session.commit()
    assert hand_off(app_hs.test_client(), token()).status_code == 302
    with app_hs.app_context():
        kept = db.session.scalars(select(SsoTokenUse.jti_hash)).all()
        assert len(kept) == 1 and kept != ["a" * 64]


# --- settings --------------------------------------------------------------------------------------------

def test_public_key_is_checked_at_start(tmp_path):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    for bad, message in [("-----BEGIN PUBLIC KEY-----\\nkaputt\\n-----END PUBLIC KEY-----", "not a PEM public key"),
                         (_pem(small), "at least 2048 bits"),
                         (_pem(ec.generate_private_key(ec.SECP384R1())), "P-256")]:
        with pytest.raises(ConfigError, match=message):
            config_from_env(tmp_path, {"HELPCENTER_SSO_JWT_PUBLIC_KEY": bad})
    key_file = tmp_path / "shop.pem"
    key_file.write_text(RSA_PEM)
    config = config_from_env(tmp_path, {"HELPCENTER_SSO_JWT_PUBLIC_KEY": str(key_file)})
    assert config["HELPCENTER_SSO_JWT_PUBLIC_KEY"] == RSA_PEM.strip()
    inline = RSA_PEM.strip().replace("\n", "\\n")
    assert config_from_env(tmp_path, {"HELPCENTER_SSO_JWT_PUBLIC_KEY": inline})["HELPCENTER_SSO_JWT_PUBLIC_KEY"] == \
        RSA_PEM.strip()


def test_remote_login_url_is_checked_at_start(tmp_path):
    for bad in ["shop.example/login", "javascript:alert(1)", "https:///login", "https://shop.example/ein login"]:
        with pytest.raises(ConfigError, match="HELPCENTER_SSO_JWT_LOGIN_URL"):
            config_from_env(tmp_path, {"HELPCENTER_SSO_JWT_LOGIN_URL": bad})
    good = "https://shop.example/kunden/anmelden?lang=de"
    assert config_from_env(tmp_path, {"HELPCENTER_SSO_JWT_LOGIN_URL": good})["HELPCENTER_SSO_JWT_LOGIN_URL"] == good
