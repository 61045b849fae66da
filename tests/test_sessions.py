"""Server-side session checks (OWASP ASVS V3): a copied cookie dies with logout, a new password and
deactivation on every worker; staff sessions end after a working day without a request; one budget of
failed sign-ins for the form and the API, per address and per (account, address)."""
from __future__ import annotations

import datetime as dt

import pytest

from app.accounts.models import User
from app.accounts.service import reset_token_for
from app.extensions import db
from tests.conftest import api_token, csrf_token_from, login

KIM = ("kim.berg@example.com", "richtig-gutes-passwort")
AGENT = ("agent@example.com", "agenten-passwort-1")
EDITOR = ("editor@example.com", "redaktions-passwort-1")
ATTACKER, HOME = "203.0.113.66", "198.51.100.7"
WRONG = "E-Mail-Adresse oder Passwort ist falsch."


@pytest.fixture
def worker2(make_app, fixture_index):
    """A second app instance on the same database stands for another gunicorn worker."""
    return make_app(index_dir=fixture_index)


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _replay(app, cookie: str):
    """A fresh client (another browser, another worker) that presents a captured cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def _user(app, email):
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.email == email))


# --- the session ends everywhere ------------------------------------------------------------------

def _web_logout(app, client, runner):
    assert client.post("/abmelden", data={"csrf_token": csrf_token_from(client, "/konto")}).status_code == 302


def _api_logout(app, client, runner):
    assert client.post("/api/auth/logout", headers={"X-CSRFToken": api_token(client)}).status_code == 204


def _password_reset(app, client, runner):
    with app.app_context():
        link = f"/konto/passwort-neu/{reset_token_for(db.session.scalar(db.select(User).where(User.email == KIM[0])))}"
    other = app.test_client()  # the customer resets the password on another device
    token = csrf_token_from(other, link)
    done = other.post(link, data={"password": "ein ganz neuer Satz", "confirm": "ein ganz neuer Satz",
                                  "csrf_token": token})
    assert done.status_code == 302
    assert other.get("/konto").status_code == 200  # the device that set the password stays signed in


def _deactivation(app, client, runner):
    result = runner.invoke(args=["accounts", "deactivate", KIM[0]])
    assert result.exit_code == 0, result.output


def _sign_out_everywhere(app, client, runner):
    result = runner.invoke(args=["accounts", "sign-out", KIM[0]])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("end", [_web_logout, _api_logout, _password_reset, _deactivation, _sign_out_everywhere],
                         ids=["web-logout", "api-logout", "password-reset", "deactivation", "cli-sign-out"])
def test_a_captured_cookie_is_anonymous_on_every_worker_afterwards(app, worker2, make_user, runner, end):
    make_user()
    client = app.test_client()
    assert login(client).status_code == 302
    cookie = _session_cookie(client)
    copy = _replay(worker2, cookie)
    assert copy.get("/konto").status_code == 200  # the copy works on the other worker until …

    end(app, client, runner)

    for replayed in (_replay(worker2, cookie), _replay(app, cookie), copy):
        page = replayed.get("/konto")
        assert page.status_code == 302 and "/anmelden" in page.headers["Location"]
        api = replayed.get("/api/orders")
        assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"
        assert replayed.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("how", ["web", "api"])
def test_logout_of_an_agent_ends_the_copied_agent_session(app, worker2, make_user, how):
    make_user(email=AGENT[0], password=AGENT[1], role="agent", name="Jonas Weber")
    client = app.test_client()
    login(client, *AGENT)
    cookie = _session_cookie(client)
    assert _replay(worker2, cookie).get("/agent").status_code == 200
    if how == "web":
        client.post("/abmelden", data={"csrf_token": csrf_token_from(client, "/agent")})
    else:
        client.post("/api/auth/logout", headers={"X-CSRFToken": api_token(client)})
    assert _replay(worker2, cookie).get("/agent").status_code == 302
    assert _replay(worker2, cookie).get("/api/agent/queues").status_code == 401


def test_a_deactivated_account_cannot_sign_in_and_gets_the_usual_answer(app, make_user, runner):
    make_user()
    runner.invoke(args=["accounts", "deactivate", KIM[0]])
    form = login(app.test_client())
    assert form.status_code == 401 and WRONG in form.get_data(as_text=True)
    api = app.test_client().post("/api/auth/login", json={"email": KIM[0], "password": KIM[1]})
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "invalid_credentials"
    # No reset link for a deactivated account either (the page says the same as always).
    client = app.test_client()
    page = client.post("/konto/passwort-vergessen", data={"email": KIM[0],
                                                         "csrf_token": csrf_token_from(client, "/konto/passwort-vergessen")})
    assert "Wenn es zu dieser Adresse ein Kundenkonto gibt" in page.get_data(as_text=True)
    from app.outbox.models import OutboxMessage
    with app.app_context():
        assert db.session.scalars(db.select(OutboxMessage)).all() == []
    runner.invoke(args=["accounts", "activate", KIM[0]])
    assert login(app.test_client()).status_code == 302


def test_unknown_account_on_the_cli_is_a_clear_error(app, runner):
    result = runner.invoke(args=["accounts", "deactivate", "niemand@example.com"])
    assert result.exit_code != 0 and "No account" in result.output


def test_the_session_cookie_changes_at_login_and_the_old_one_stays_anonymous(app, make_user):
    make_user()
    client = app.test_client()
    csrf_token_from(client, "/anmelden")
    before = _session_cookie(client)
    login(client)
    after = _session_cookie(client)
    assert before != after
    assert _replay(app, before).get("/konto").status_code == 302
    assert _replay(app, after).get("/konto").status_code == 200


def test_a_reset_link_asked_for_before_signing_out_still_works_once(app, client, make_user):
    user_id = make_user()
    login(client)
    with app.app_context():
        link = f"/konto/passwort-neu/{reset_token_for(db.session.get(User, user_id))}"
    client.post("/abmelden", data={"csrf_token": csrf_token_from(client, "/konto")})
    token = csrf_token_from(client, link)
    assert client.post(link, data={"password": "ein ganz neuer Satz", "confirm": "ein ganz neuer Satz",
                                   "csrf_token": token}).status_code == 302
    assert client.get(link).status_code == 400


# --- staff sessions end after a working day without a request -------------------------------------

class Clock:
    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def session_clock(monkeypatch):
    clock = Clock(dt.datetime(2026, 11, 16, 7, 0))
    monkeypatch.setattr("app.accounts.sessions.now", clock)
    return clock


@pytest.mark.parametrize("who, role, idle, signed_in", [
    (AGENT, "agent", dict(hours=9, minutes=59), True),
    (AGENT, "agent", dict(hours=10, minutes=1), False),
    (EDITOR, "editor", dict(hours=10, minutes=1), False),
    (("chefin@example.com", "admin-passwort-1"), "admin", dict(hours=10, minutes=1), False),
    (KIM, "customer", dict(days=20), True),
], ids=["agent-9h59", "agent-10h01", "editor-10h01", "admin-10h01", "customer-20-days"])
def test_staff_sessions_end_after_a_working_day_idle(app, worker2, make_user, session_clock, who, role, idle,
                                                     signed_in):
    make_user(email=who[0], password=who[1], role=role)
    client = app.test_client()
    login(client, *who)
    assert client.get("/api/auth/me").get_json()["user"]["role"] == role
    session_clock.advance(**idle)
    copy = _replay(worker2, _session_cookie(client))
    assert (copy.get("/api/auth/me").status_code == 200) is signed_in
    assert (client.get("/api/auth/me").status_code == 200) is signed_in


def test_an_agent_working_all_day_stays_signed_in_and_last_seen_is_written_at_most_once_a_minute(
        app, make_user, session_clock):
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    with client.session_transaction() as session:
        first = session["seen"]
    session_clock.advance(seconds=30)
    assert client.get("/agent").status_code == 200
    with client.session_transaction() as session:
        assert session["seen"] == first  # not rewritten within the minute
    for _ in range(4):  # a long day with breaks shorter than the limit
        session_clock.advance(hours=8)
        assert client.get("/agent").status_code == 200
    with client.session_transaction() as session:
        assert session["seen"] == first + 30 + 4 * 8 * 3600
    session_clock.advance(hours=11)
    page = client.get("/agent")
    assert page.status_code == 302 and "/anmelden" in page.headers["Location"]
    assert login(client, *AGENT).status_code == 302  # signing in again works
    assert client.get("/agent").status_code == 200


def test_the_staff_idle_limit_is_configurable(make_app, fixture_index, make_user, session_clock):
    app = make_app(index_dir=fixture_index, HELPCENTER_STAFF_IDLE_HOURS=2)
    make_user(email=AGENT[0], password=AGENT[1], role="agent")
    client = app.test_client()
    login(client, *AGENT)
    session_clock.advance(hours=2, minutes=1)
    assert client.get("/api/agent/queues").status_code == 401


@pytest.mark.parametrize("value", ["0", "-3", "zehn"])
def test_a_useless_staff_idle_limit_stops_the_start(value):
    from app.config import ConfigError, config_from_env

    with pytest.raises(ConfigError, match="HELPCENTER_STAFF_IDLE_HOURS"):
        config_from_env("/tmp", {"HELPCENTER_STAFF_IDLE_HOURS": value, "SECRET_KEY": "x"})


# --- failed sign-ins: one budget for the form and the API ------------------------------------------

def _form_login(client, email, password, address):
    token = csrf_token_from(client, "/anmelden")
    return client.post("/anmelden", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def _api_login(client, email, password, address):
    return client.post("/api/auth/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


WAYS = {"form": _form_login, "api": _api_login}


@pytest.mark.parametrize("ways", [
    "form form form form form",
    "api api api api api",
    "form api form api form",
    "api api api form form",
])
def test_failed_logins_for_one_account_share_one_budget_across_form_and_api(app, make_user, ways):
    make_user()
    client = app.test_client()
    statuses = [WAYS[way](client, KIM[0], f"falsch-{i}", ATTACKER).status_code
                for i, way in enumerate(ways.split())]
    assert statuses == [401] * 5
    for way in WAYS.values():
        assert way(client, KIM[0], "falsch-6", ATTACKER).status_code == 429
        assert way(client, KIM[0], KIM[1], ATTACKER).status_code == 429  # also the right one, from there
    # Spelled differently, still the same account.
    assert _api_login(client, " Kim.Berg@Example.com ", "falsch", ATTACKER).status_code == 429


@pytest.mark.parametrize("way", ["form", "api"])
def test_a_stranger_cannot_lock_a_customer_out_from_elsewhere(app, make_user, way):
    make_user()
    stranger = app.test_client()
    for i in range(8):
        WAYS["form" if i % 2 else "api"](stranger, KIM[0], f"geraten-{i}", ATTACKER)
    assert WAYS[way](stranger, KIM[0], KIM[1], ATTACKER).status_code == 429
    customer = app.test_client()
    answer = WAYS[way](customer, KIM[0], KIM[1], HOME)
    assert answer.status_code == (302 if way == "form" else 200)


def test_one_address_trying_many_accounts_is_limited_across_form_and_api(app, make_user):
    make_user()
    client = app.test_client()
    statuses = [WAYS["form" if i % 2 else "api"](client, f"kunde{i}@example.com", "falsch", ATTACKER).status_code
                for i in range(11)]
    assert statuses == [401] * 10 + [429]
    assert _api_login(client, KIM[0], KIM[1], ATTACKER).status_code == 429
    assert _api_login(app.test_client(), KIM[0], KIM[1], HOME).status_code == 200


def test_successful_logins_do_not_use_up_the_budget(app, make_user):
    make_user()
    for _ in range(12):
        client = app.test_client()
        assert _api_login(client, KIM[0], KIM[1], ATTACKER).status_code == 200


@pytest.mark.parametrize("email, password, deactivated", [
    ("niemand@example.com", KIM[1], False),
    (KIM[0], "falsches-passwort", False),
    (KIM[0], KIM[1], True),
], ids=["unknown-email", "wrong-password", "deactivated"])
def test_every_failed_sign_in_gets_the_same_answer(app, make_user, email, password, deactivated):
    user_id = make_user()
    if deactivated:
        with app.app_context():
            db.session.get(User, user_id).active = False
            db.session.commit()
    form = _form_login(app.test_client(), email, password, HOME)
    assert form.status_code == 401 and WRONG in form.get_data(as_text=True)
    api = _api_login(app.test_client(), email, password, HOME)
    assert api.status_code == 401
    assert api.get_json() == {"error": {"code": "invalid_credentials", "message": WRONG}}


def test_limits_stay_on_in_an_app_created_after_one_without_them(make_app, fixture_index):
    make_app(index_dir=fixture_index, RATELIMIT_ENABLED=False)  # e.g. the API fuzzing tests' app
    app = make_app(index_dir=fixture_index)
    client = app.test_client()
    statuses = [_api_login(client, "niemand@example.com", f"falsch-{i}", ATTACKER).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
