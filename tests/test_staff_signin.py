"""Staff first sign-in (invitation link), the second factor (set-up, sign-in, recovery codes, switching
off), its enforcement, the JSON sign-in with "otp", and where each role lands."""
from __future__ import annotations

import datetime as dt
import re
import time

import pyotp
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import RecoveryCode, User
from app.accounts.service import reset_token_for
from app.accounts.staff import create_staff, invitation_token_for, reset_sign_in_factors
from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import csrf_token_from, login
from tests.staff_helpers import (RECOVERY_CODE, SECRET_IN_PAGE, OtpClock, give_second_factor, post_code,
                                 sign_in_with_code)

PASSWORD = "ein langer Satz als Passwort"
AGENT = ("jonas.weber@example.com", "richtig-gutes-passwort")
ADMIN = ("chefin@example.com", "richtig-gutes-passwort")
EDITOR = ("lena.text@example.com", "richtig-gutes-passwort")


@pytest.fixture
def otp_clock(monkeypatch):
    clock = OtpClock()
    monkeypatch.setattr("app.accounts.twofactor.clock", clock)
    return clock


def _invite(app, email="neu@example.com", role="agent") -> str:
    with app.app_context():
        user = create_staff(email, role, "Neu Im Team", actor_label="cli")
        db.session.commit()
        return f"/konto/willkommen/{invitation_token_for(user)}"


def _user(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _audit(app, action) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for event in events:
            db.session.expunge(event)
        return events


def _choose(client, link, password=PASSWORD, confirm=None):
    token = csrf_token_from(client, link)
    return client.post(link, data={"password": password, "confirm": confirm or password, "csrf_token": token})


def _form(client, url, data, page="/konto/sicherheit"):
    return client.post(url, data={**data, "csrf_token": csrf_token_from(client, page)})


def _set_up(client, clock) -> tuple[str, list[str]]:
    """Start the set-up on the security page, read the secret off it, confirm; returns secret and codes."""
    assert _form(client, "/konto/sicherheit/einrichten", {}).status_code == 302
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    secret = SECRET_IN_PAGE.search(page).group(1).replace(" ", "")
    done = _form(client, "/konto/sicherheit/bestaetigen", {"code": clock.code(secret)})
    assert done.status_code == 200
    return secret, RECOVERY_CODE.findall(done.get_data(as_text=True))


def _me(client):
    return client.get("/api/auth/me")


# --- the invitation link -------------------------------------------------------------------------

def test_the_invitation_shows_the_password_rules_before_typing(app):
    page = app.test_client().get(_invite(app))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Willkommen, Neu Im Team" in html
    assert "mindestens 12 Zeichen" in html and "häufigsten Passwörter" in html and "E-Mail-Adresse" in html
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("password, confirm, message", [
    ("kurz-passw1", None, "mindestens 12 Zeichen"),
    ("1q2w3e4r5t6y", None, "zu verbreitet"),
    ("neu@example.com", None, "nicht Ihre E-Mail-Adresse"),
    (PASSWORD, PASSWORD + "x", "stimmen nicht überein"),
], ids=["short", "common", "email", "mismatch"])
def test_a_password_breaking_a_staff_rule_is_refused_on_the_page(app, password, confirm, message):
    client = app.test_client()
    link = _invite(app)
    answer = _choose(client, link, password, confirm)
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert _me(client).status_code == 401
    assert not _user(app, "neu@example.com").has_password


def test_an_agent_chooses_a_password_lands_in_the_console_with_an_offer_and_the_link_is_spent(app):
    client = app.test_client()
    link = _invite(app)
    answer = _choose(client, link)
    assert answer.status_code == 302 and answer.headers["Location"] == "/agent"
    console = client.get("/agent").get_data(as_text=True)
    assert "Agenten-Konsole" in console
    assert 'href="/konto/sicherheit">Zweiten Faktor einrichten</a>' in console
    assert _me(client).get_json()["user"]["email"] == "neu@example.com"
    [event] = _audit(app, "account.password_set")
    assert event.actor_label == "neu@example.com" and event.object_ref == "neu@example.com"
    again = app.test_client().get(link)
    assert again.status_code == 400 and "um einen neuen Link" in again.get_data(as_text=True)
    assert login(app.test_client(), "neu@example.com", PASSWORD).headers["Location"] == "/agent"


def test_an_admin_goes_straight_to_setting_up_the_second_factor(app):
    client = app.test_client()
    answer = _choose(client, _invite(app, "chefin@example.com", "admin"))
    assert answer.status_code == 302 and answer.headers["Location"] == "/konto/sicherheit"
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert "vorgeschrieben" in page and "Zweiten Faktor einrichten" in page


@pytest.mark.parametrize("kind", ["garbage", "expired", "other-salt", "deactivated"])
def test_a_bad_invitation_link_shows_one_clear_page(app, kind):
    link = _invite(app)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@example.com"))
        if kind == "garbage":
            link = "/konto/willkommen/nicht-echt"
        elif kind == "expired":
            class Yesterday(TimestampSigner):
                def get_timestamp(self):
                    return int(time.time()) - 25 * 3600
            token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="staff-invitation",
                                           signer=Yesterday).dumps({"uid": user.id, "tok": link.rsplit("/", 1)[1]})
            link = f"/konto/willkommen/{token}"
        elif kind == "other-salt":
            link = f"/konto/willkommen/{reset_token_for(user)}"  # a customer's reset link is no invitation
        else:
            user.active = False
            db.session.commit()
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 400 and "Dieser Einladungslink ist nicht mehr gültig" in page.get_data(as_text=True)
    assert client.post(link, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 400


# --- setting up the second factor ----------------------------------------------------------------

def test_setting_up_the_second_factor_shows_qr_and_secret_then_ten_recovery_codes_once(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent", name="Jonas Weber")
    client = app.test_client()
    login(client, *AGENT)
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert "Noch nicht eingerichtet" in page and 'data-second-factor="off"' in page
    started = _form(client, "/konto/sicherheit/einrichten", {})
    assert started.headers["Location"].endswith("/konto/sicherheit#einrichten")
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="QR-Code', page)
    grouped = SECRET_IN_PAGE.search(page).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", grouped)
    secret = grouped.replace(" ", "")
    with app.app_context():
        from app.accounts.twofactor import provisioning_uri

        user = db.session.scalar(select(User).where(User.email == AGENT[0]))
        assert user.totp_secret == secret and user.totp_confirmed_at is None  # unconfirmed until a code matched
        uri = provisioning_uri(user)
    assert uri.startswith("otpauth://totp/") and "jonas.weber%40example.com" in uri
    assert f"issuer={app.config['HELPCENTER_SHOP_NAME'].replace(' ', '%20')}%20Hilfe-Center" in uri
    # An unconfirmed secret is not asked for at sign-in.
    assert login(app.test_client(), *AGENT).headers["Location"] == "/agent"

    wrong = _form(client, "/konto/sicherheit/bestaetigen", {"code": "000000"})
    assert wrong.status_code == 422 and "Uhrzeit Ihres Telefons" in wrong.get_data(as_text=True)
    assert SECRET_IN_PAGE.search(wrong.get_data(as_text=True)).group(1) == grouped  # the same secret to retry
    done = _form(client, "/konto/sicherheit/bestaetigen", {"code": otp_clock.code(secret)})
    html = done.get_data(as_text=True)
    codes = RECOVERY_CODE.findall(html)
    assert done.status_code == 200 and len(set(codes)) == 10 and done.headers["Cache-Control"] == "no-store"
    assert "Drucken" in html and "nur jetzt" in html and 'href="/agent"' in html
    with app.app_context():
        stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not set(codes) & set(stored) and not any(c.replace("-", "") in stored for c in codes)
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert "Eingerichtet" in page and "noch 10 unbenutzte Wiederherstellungscodes" in page
    assert "<code>" not in page  # the codes are never shown again
    assert [e.actor_label for e in _audit(app, "account.second_factor_on")] == [AGENT[0]]


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    secret, old_codes = _set_up(client, otp_clock)
    same_code = _form(client, "/konto/sicherheit/wiederherstellungscodes", {"recovery-code": otp_clock.code(secret)})
    assert same_code.status_code == 422 and "schon verwendet" in same_code.get_data(as_text=True)  # no replay
    otp_clock.next_step()
    fresh = _form(client, "/konto/sicherheit/wiederherstellungscodes", {"recovery-code": otp_clock.code(secret)})
    new_codes = RECOVERY_CODE.findall(fresh.get_data(as_text=True))
    assert fresh.status_code == 200 and len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert len(_audit(app, "account.recovery_codes_new")) == 1
    other = app.test_client()
    login(other, *AGENT)
    assert post_code(other, old_codes[0]).status_code == 401
    assert post_code(other, new_codes[0]).status_code == 302


def test_switching_off_needs_a_code_and_is_refused_where_required(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    secret, _codes = _set_up(client, otp_clock)
    otp_clock.next_step()
    wrong = _form(client, "/konto/sicherheit/abschalten", {"off-code": "123456"})
    assert wrong.status_code == 422 and _user(app, AGENT[0]).has_second_factor
    off = _form(client, "/konto/sicherheit/abschalten", {"off-code": otp_clock.code(secret)})
    assert off.status_code == 302
    assert "abgeschaltet" in client.get("/konto/sicherheit").get_data(as_text=True)
    assert not _user(app, AGENT[0]).has_second_factor and len(_audit(app, "account.second_factor_off")) == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode)) == 0
    assert login(app.test_client(), *AGENT).headers["Location"] == "/agent"


def test_a_required_second_factor_cannot_be_switched_off(make_app, make_user, otp_clock):
    app = make_app(HELPCENTER_STAFF_2FA="required")
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    assert sign_in_with_code(client, *AGENT, otp_clock.code(secret)).status_code == 302
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert "Abschalten" not in page and "vorgeschrieben" in page
    otp_clock.next_step()
    refused = _form(client, "/konto/sicherheit/abschalten", {"off-code": otp_clock.code(secret)})
    assert refused.status_code == 302
    assert "nicht abgeschaltet werden" in client.get("/konto/sicherheit").get_data(as_text=True)
    assert _user(app, AGENT[0]).has_second_factor


def test_the_security_page_is_for_staff(app, make_user):
    assert app.test_client().get("/konto/sicherheit").headers["Location"].startswith("/anmelden?next=")
    make_user()
    kim = app.test_client()
    login(kim)
    assert kim.get("/konto/sicherheit").status_code == 404
    assert _form(kim, "/konto/sicherheit/einrichten", {}, page="/konto").status_code == 404
    assert kim.get("/konto").status_code == 200  # the customer's own page stays


def test_the_security_forms_need_csrf(app, make_user):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    for url in ("/konto/sicherheit/einrichten", "/konto/sicherheit/bestaetigen"):
        assert client.post(url, data={"code": "123456"}).status_code == 400
    assert _user(app, AGENT[0]).totp_secret is None


# --- enforcement ---------------------------------------------------------------------------------

def test_a_staff_member_who_must_set_up_the_second_factor_reaches_only_the_set_up(app, make_user, otp_clock):
    make_user(email=ADMIN[0], password=ADMIN[1], role="admin", name="Chefin")
    client = app.test_client()
    assert login(client, *ADMIN).headers["Location"] == "/konto/sicherheit"
    for url in ("/agent", "/admin", "/redaktion", "/konto", "/", "/hilfe/versand"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == "/konto/sicherheit", url
    refused = client.get("/api/agent/queues")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "second_factor_setup_required"
    assert _me(client).get_json()["user"]["role"] == "admin"
    with client.get("/static/css/helpcenter.css") as static:
        assert static.status_code == 200
    assert "Zu Ihrem Arbeitsbereich" not in client.get("/konto/sicherheit").get_data(as_text=True)
    _set_up(client, otp_clock)
    assert client.get("/agent").status_code == 200
    # Logging out stays possible without the set-up, too.
    other = app.test_client()
    with app.app_context():
        reset_sign_in_factors(db.session.scalar(select(User).where(User.email == ADMIN[0])), actor_label="cli")
        db.session.commit()
    login(other, *ADMIN)
    assert other.post("/abmelden", data={"csrf_token": csrf_token_from(other, "/konto/sicherheit")}).status_code == 302
    assert _me(other).status_code == 401


def test_optional_second_factor_leaves_staff_free(make_app, make_user):
    app = make_app(HELPCENTER_STAFF_2FA="optional")
    make_user(email=ADMIN[0], password=ADMIN[1], role="admin")
    client = app.test_client()
    assert login(client, *ADMIN).headers["Location"] == "/admin"
    assert client.get("/agent").status_code == 200


# --- signing in with the second factor -----------------------------------------------------------

def test_password_then_code_signs_in_and_not_before(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    first = login(client, *AGENT)
    assert first.status_code == 302 and first.headers["Location"] == "/anmelden/zweiter-faktor"
    assert _me(client).status_code == 401
    assert client.get("/agent").headers["Location"].startswith("/anmelden")
    page = client.get("/anmelden/zweiter-faktor")
    assert page.status_code == 200 and "Authenticator-App" in page.get_data(as_text=True)
    done = post_code(client, otp_clock.code(secret, steps=-1))  # the phone may be a step behind
    assert done.status_code == 302 and done.headers["Location"] == "/agent"
    assert _me(client).get_json()["user"]["email"] == AGENT[0]


def test_the_code_step_keeps_the_next_target(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    token = csrf_token_from(client, "/anmelden?next=/agent/warteschlange/email")
    client.post("/anmelden", data={"email": AGENT[0], "password": AGENT[1], "next": "/agent/warteschlange/email",
                                   "csrf_token": token})
    assert post_code(client, otp_clock.code(secret)).headers["Location"] == "/agent/warteschlange/email"


def test_a_wrong_code_a_replayed_code_and_a_code_too_old_are_refused(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    login(client, *AGENT)
    wrong = post_code(client, "123456" if otp_clock.code(secret) != "123456" else "654321")
    assert wrong.status_code == 401 and "Der Code stimmt nicht" in wrong.get_data(as_text=True)
    assert post_code(client, otp_clock.code(secret, steps=-2)).status_code == 401  # outside the window
    code = otp_clock.code(secret)
    assert post_code(client, code).status_code == 302
    replay = app.test_client()
    login(replay, *AGENT)
    assert post_code(replay, code).status_code == 401  # the same code a second time
    assert post_code(replay, otp_clock.code(secret, steps=-1)).status_code == 401  # older than the one used
    assert _me(replay).status_code == 401
    otp_clock.next_step()
    assert post_code(replay, otp_clock.code(secret)).status_code == 302


def test_a_recovery_code_signs_in_once(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    _secret, codes = _set_up(client, otp_clock)
    first = app.test_client()
    assert sign_in_with_code(first, *AGENT, "  " + codes[3].upper().replace("-", " ") + " ").status_code == 302
    second = app.test_client()
    login(second, *AGENT)
    assert post_code(second, codes[3]).status_code == 401
    assert "noch 9 unbenutzte" in first.get("/konto/sicherheit").get_data(as_text=True)


def test_the_pending_sign_in_expires_after_five_minutes(app, make_user, otp_clock, monkeypatch):
    import app.accounts.sessions as sessions

    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    login(client, *AGENT)
    token = csrf_token_from(client, "/anmelden/zweiter-faktor")
    later = sessions.now() + dt.timedelta(minutes=5, seconds=2)
    monkeypatch.setattr("app.accounts.sessions.now", lambda: later)
    expired = client.post("/anmelden/zweiter-faktor", data={"code": otp_clock.code(secret), "csrf_token": token})
    assert expired.status_code == 302 and expired.headers["Location"] == "/anmelden"
    assert "abgelaufen" in client.get("/anmelden").get_data(as_text=True)
    assert _me(client).status_code == 401


def test_the_code_page_without_a_password_first_leads_to_the_sign_in(app, make_user):
    client = app.test_client()
    assert client.get("/anmelden/zweiter-faktor").headers["Location"] == "/anmelden"


def test_a_new_password_in_between_ends_the_pending_sign_in(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    login(client, *AGENT)
    token = csrf_token_from(client, "/anmelden/zweiter-faktor")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == AGENT[0])).set_password("ganz-anderes-passwort")
        db.session.commit()
    late = client.post("/anmelden/zweiter-faktor", data={"code": otp_clock.code(secret), "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/anmelden"
    assert _me(client).status_code == 401


def test_wrong_codes_are_limited_per_account(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    login(client, *AGENT)
    for _ in range(5):
        assert post_code(client, "000000").status_code == 401
    assert post_code(client, otp_clock.code(secret)).status_code == 429
    # From another browser, too: only someone who knows the password gets here.
    other = app.test_client()
    login(other, *AGENT)
    assert post_code(other, otp_clock.code(secret)).status_code == 429
    assert _me(other).status_code == 401


def test_a_password_reset_link_does_not_skip_the_second_factor(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    with app.app_context():
        link = f"/konto/passwort-neu/{reset_token_for(db.session.scalar(select(User).where(User.email == AGENT[0])))}"
    client = app.test_client()
    done = _choose(client, link, "noch ein langer Satz als Passwort")
    assert done.headers["Location"] == "/anmelden/zweiter-faktor" and _me(client).status_code == 401
    assert post_code(client, otp_clock.code(secret)).headers["Location"] == "/agent"


def test_a_renewed_invitation_does_not_skip_the_second_factor(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == AGENT[0]))
        link = f"/konto/willkommen/{invitation_token_for(user)}"
    client = app.test_client()
    assert _choose(client, link).headers["Location"] == "/anmelden/zweiter-faktor"
    assert _me(client).status_code == 401
    assert post_code(client, otp_clock.code(secret)).status_code == 302


# --- the JSON sign-in ----------------------------------------------------------------------------

def _api_login(client, body):
    return client.post("/api/auth/login", json=body)


def test_the_json_sign_in_asks_for_otp_only_where_there_is_a_second_factor(app, make_user, otp_clock):
    make_user()
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    assert _api_login(app.test_client(), {"email": "kim.berg@example.com",
                                          "password": "richtig-gutes-passwort"}).status_code == 200
    assert _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1]}).status_code == 200
    secret = give_second_factor(app, AGENT[0])
    client = app.test_client()
    missing = _api_login(client, {"email": AGENT[0], "password": AGENT[1]})
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "second_factor_required"
    wrong = _api_login(client, {"email": AGENT[0], "password": AGENT[1], "otp": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_second_factor"
    bad_password = _api_login(client, {"email": AGENT[0], "password": "falsch", "otp": otp_clock.code(secret)})
    assert bad_password.get_json()["error"]["code"] == "invalid_credentials"
    assert _me(client).status_code == 401
    right = _api_login(client, {"email": AGENT[0], "password": AGENT[1], "otp": otp_clock.code(secret)})
    assert right.status_code == 200 and right.get_json()["user"]["role"] == "agent"
    assert _me(client).status_code == 200
    replay = _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1], "otp": otp_clock.code(secret)})
    assert replay.get_json()["error"]["code"] == "invalid_second_factor"
    bad_type = _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1], "otp": 123456})
    assert bad_type.status_code == 400


def test_the_json_sign_in_takes_a_recovery_code_and_shares_the_code_limit(app, make_user, otp_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    secret, codes = _set_up(client, otp_clock)
    assert _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1], "otp": codes[0]}).status_code == 200
    web = app.test_client()
    login(web, *AGENT)
    for _ in range(3):
        assert post_code(web, "000000").status_code == 401
    for _ in range(2):
        assert _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1],
                                              "otp": "000000"}).status_code == 401
    limited = _api_login(app.test_client(), {"email": AGENT[0], "password": AGENT[1], "otp": codes[1]})
    assert limited.status_code == 429


def test_the_openapi_document_describes_otp(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    assert "otp" in spec["components"]["schemas"]["LoginInput"]["properties"]


# --- where each role lands -----------------------------------------------------------------------

@pytest.mark.parametrize("role, target", [
    ("customer", "/konto"), ("agent", "/agent"), ("editor", "/redaktion"), ("admin", "/admin"),
])
def test_each_role_lands_on_its_own_page(make_app, make_user, role, target):
    app = make_app(HELPCENTER_STAFF_2FA="optional")
    make_user(email="wer@example.com", role=role)
    client = app.test_client()
    assert login(client, "wer@example.com").headers["Location"] == target


def test_staff_mein_konto_is_the_security_page(app, make_user):
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    client = app.test_client()
    login(client, *EDITOR)
    assert client.get("/konto").headers["Location"] == "/konto/sicherheit"
    page = client.get("/konto/sicherheit").get_data(as_text=True)
    assert "Lena Text" in page and "Redaktion" in page and 'href="/redaktion">Zu Ihrem Arbeitsbereich' in page
    assert client.get("/anmelden").headers["Location"] == "/konto"


# --- two requests with the same code at once -----------------------------------------------------

def _concurrent_sign_ins(app, make_user, code_for) -> int:
    from tests.test_concurrency import race

    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    secret = give_second_factor(app, AGENT[0])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == AGENT[0]))
        from app.accounts.twofactor import _replace_recovery_codes

        recovery = _replace_recovery_codes(user)
        db.session.commit()
    code = code_for(secret, recovery)

    def prepare(_i):
        client = app.test_client()
        login(client, *AGENT)
        token = csrf_token_from(client, "/anmelden/zweiter-faktor")
        return lambda: client.post("/anmelden/zweiter-faktor", data={"code": code, "csrf_token": token}).status_code

    statuses = race(2, prepare)
    assert sorted(statuses) == [302, 401], statuses
    return statuses.count(302)


def test_the_same_totp_code_twice_at_once_signs_in_exactly_once(app, make_user, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrency needs PostgreSQL")
    assert _concurrent_sign_ins(app, make_user, lambda secret, _codes: pyotp.TOTP(secret).now()) == 1


def test_the_same_recovery_code_twice_at_once_signs_in_exactly_once(app, make_user, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrency needs PostgreSQL")
    assert _concurrent_sign_ins(app, make_user, lambda _secret, codes: codes[0]) == 1
