"""Sign-in, sessions, roles and password reset (OWASP ASVS V2/V3)."""
import re

from app.accounts.models import User
from app.extensions import db
from tests.conftest import csrf_token_from, login


def test_login_and_logout(app, client, make_user):
    make_user()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/konto")
    page = client.get("/konto").get_data(as_text=True)
    assert "Hallo Kim Berg!" in page and "Abmelden" in page
    token = csrf_token_from(client, "/konto")
    assert client.post("/abmelden", data={"csrf_token": token}).status_code == 302
    assert client.get("/konto").status_code == 302  # back to the login page


def test_unknown_email_and_wrong_password_get_the_same_answer(app, client, make_user):
    make_user()
    unknown = login(client, "niemand@example.com", "richtig-gutes-passwort")
    wrong = login(client, "kim.berg@example.com", "falsches-passwort")
    assert unknown.status_code == wrong.status_code == 401
    message = "E-Mail-Adresse oder Passwort ist falsch."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)


def test_failed_logins_are_rate_limited_and_work_again_after_the_window(app, client, make_user, monkeypatch):
    make_user()
    statuses = [login(client, "kim.berg@example.com", f"falsch-{i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert login(client).status_code == 429  # also the right password, while the window lasts
    from app.extensions import limiter
    limiter.reset()
    assert login(client).status_code == 302


def test_next_must_stay_on_this_site(app, client, make_user):
    make_user()
    for evil in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        token = csrf_token_from(client, "/")  # the token changes with every sign-in
        response = client.post("/anmelden", data={"email": "kim.berg@example.com", "password": "richtig-gutes-passwort",
                                                  "next": evil, "csrf_token": token})
        assert response.headers["Location"].endswith("/konto"), evil
    token = csrf_token_from(client, "/")
    response = client.post("/anmelden", data={"email": "kim.berg@example.com", "password": "richtig-gutes-passwort",
                                              "next": "/sendungsverfolgung", "csrf_token": token})
    assert response.headers["Location"].endswith("/sendungsverfolgung")


def test_session_cookie_is_httponly_lax_and_renewed_at_login(app, client, make_user):
    make_user()
    client.get("/anmelden")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = login(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_requires_csrf(client, make_user):
    make_user()
    assert client.post("/anmelden", data={"email": "kim.berg@example.com", "password": "x"}).status_code == 400


def test_password_reset_by_email_link_works_once(app, client, make_user):
    from app.outbox.models import OutboxMessage

    make_user()
    token = csrf_token_from(client, "/konto/passwort-vergessen")
    for address in ("kim.berg@example.com", "niemand@example.com"):
        page = client.post("/konto/passwort-vergessen", data={"email": address, "csrf_token": token})
        assert "Wenn es zu dieser Adresse ein Kundenkonto gibt" in page.get_data(as_text=True)
    with app.app_context():
        mails = db.session.scalars(db.select(OutboxMessage)).all()
        assert [m.recipient for m in mails] == ["kim.berg@example.com"]
        link = re.search(r"http://127.0.0.1:5000(/konto/passwort-neu/\S+)", mails[0].body).group(1)
    form_token = csrf_token_from(client, link)
    weak = client.post(link, data={"password": "passwort", "confirm": "passwort", "csrf_token": form_token})
    assert "zu verbreitet" in weak.get_data(as_text=True)
    short = client.post(link, data={"password": "kurz", "confirm": "kurz", "csrf_token": form_token})
    assert "mindestens 8 Zeichen" in short.get_data(as_text=True)
    done = client.post(link, data={"password": "ein langer neuer Satz", "confirm": "ein langer neuer Satz",
                                   "csrf_token": form_token})
    assert done.status_code == 302
    assert client.get(link).status_code == 400  # used once
    fresh = app.test_client()
    assert login(fresh, password="ein langer neuer Satz").status_code == 302
    assert login(app.test_client()).status_code == 401  # the old password is gone


def test_password_change_ends_other_sessions(app, client, make_user):
    user_id = make_user()
    login(client)
    assert client.get("/konto").status_code == 200
    with app.app_context():
        user = db.session.get(User, user_id)
        user.set_password("noch ein anderes passwort")
        db.session.commit()
    assert client.get("/konto").status_code == 302


def test_passwords_are_stored_salted(app, make_user):
    first, second = make_user(), make_user(email="zwei@example.com")
    with app.app_context():
        hashes = [db.session.get(User, i).password_hash for i in (first, second)]
    assert hashes[0] != hashes[1] and "richtig-gutes-passwort" not in hashes[0]


def test_json_api_login_logout_and_csrf(app, client, make_user):
    make_user()
    assert client.post("/api/auth/login", data={"email": "kim.berg@example.com"}).status_code == 415
    assert client.post("/api/auth/login", json={"email": "kim.berg@example.com", "password": "falsch"}).status_code == 401
    assert client.post("/api/auth/login", json={"email": 1, "password": None}).status_code == 400
    response = client.post("/api/auth/login", json={"email": "Kim.Berg@example.com", "password": "richtig-gutes-passwort"})
    assert response.status_code == 200
    assert response.get_json() == {"user": {"email": "kim.berg@example.com", "name": "Kim Berg", "role": "customer"}}
    assert client.get("/api/orders").status_code == 200
    assert client.post("/api/auth/logout").status_code == 400  # needs the CSRF token
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    assert client.post("/api/auth/logout", headers={"X-CSRFToken": token}).status_code == 204
    assert client.get("/api/orders").status_code == 401


def test_notification_opt_in(app, client, make_user):
    user_id = make_user()
    login(client)
    token = csrf_token_from(client, "/konto")
    client.post("/konto/benachrichtigungen", data={"notify_status_changes": "y", "csrf_token": token})
    with app.app_context():
        assert db.session.get(User, user_id).notify_status_changes is True
