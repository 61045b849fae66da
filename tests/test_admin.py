"""/admin: only admins; the team list, invitations, the member page and its changes, each in the audit trail."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from app.accounts import staff
from app.accounts.models import RecoveryCode, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.admin_helpers import ADMIN, AGENT, EDITOR, OTHER_ADMIN, add_staff, signed_in, team  # noqa: F401
from tests.conftest import csrf_token_from

LINK = re.compile(r'value="(http[^"]+/konto/willkommen/([^"]+))"')


def page(response) -> str:
    return response.get_data(as_text=True)


def post(client, url, data=None, follow=False):
    token = csrf_token_from(client, "/admin")
    return client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=follow)


def trail(app):
    with app.app_context():
        return [(e.actor_label, e.action, e.object_ref, e.detail)
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def member(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


# --- who may enter ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin", "/admin/protokoll", "/admin/protokoll.csv", "/admin/team/1"])
def test_anonymous_visitors_are_sent_to_the_sign_in_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/anmelden?next=" in response.headers["Location"]


def test_anonymous_json_requests_get_the_error_shape(client):
    response = client.get("/admin", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("who", [AGENT, EDITOR])
def test_other_roles_are_refused_with_403(app, team, who):
    client = signed_in(app, who)
    response = client.get("/admin")
    assert response.status_code == 403
    assert "Sie haben keinen Zugriff auf diese Seite." in page(response)
    assert client.get("/admin/protokoll.csv").status_code == 403
    response = client.get("/admin/protokoll", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": {"code": "forbidden",
                                             "message": "Sie haben keinen Zugriff auf diese Seite."}}
    response = post(client, f"/admin/team/{team[OTHER_ADMIN]}/deaktivieren")
    assert response.status_code == 403
    assert member(app, OTHER_ADMIN).active


def test_customers_are_refused_too(app, make_user):
    make_user()
    client = signed_in(app, "kim.berg@example.com")
    assert client.get("/admin").status_code == 403


def test_the_navigation_links_to_admin_for_admins_only(app, team):
    assert 'href="/admin"' in page(signed_in(app, ADMIN).get("/"))
    assert 'href="/admin"' not in page(signed_in(app, AGENT).get("/"))


# --- the team list ----------------------------------------------------------------------------

def test_the_team_list_shows_everyone_with_their_state_and_counts(app, team, make_user):
    make_user(email="kunde@example.com", name="Kundin Kunz")
    add_staff(app, "alt@example.com", "agent", name="Alte Kollegin", active=False)
    with app.app_context():
        staff.create_staff("neu@example.com", "editor", "Nele Neu", actor_label="cli")
        db.session.commit()
    response = signed_in(app, ADMIN).get("/admin")
    html = page(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "6 Konten: 5 aktiv, 1 deaktiviert, 1 mit offener Einladung." in html
    assert "Admin: 2" in html and "Redaktion: 2" in html
    assert "kunde@example.com" not in html
    rows = dict(re.findall(r'<tr data-member="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {ADMIN, OTHER_ADMIN, AGENT, EDITOR, "alt@example.com", "neu@example.com"}
    assert "deaktiviert" in rows["alt@example.com"]
    assert "Einladung offen" in rows["neu@example.com"] and "noch nie" in rows["neu@example.com"]
    assert "gewählt" in rows[AGENT]
    assert 'href="/admin/protokoll"' in html


@pytest.mark.parametrize(("query", "expected"), [
    ("rolle=admin", {ADMIN, OTHER_ADMIN}),
    ("rolle=agent&status=aktiv", {AGENT}),
    ("status=inaktiv", {"alt@example.com"}),
    ("q=REDAKTION", {EDITOR}),
    ("q=kollegin", {"alt@example.com"}),
    ("q=%25", set()),  # a LIKE wildcard is searched for literally
    ("rolle=&status=&q=", {ADMIN, OTHER_ADMIN, AGENT, EDITOR, "alt@example.com"}),
])
def test_the_team_list_filters_by_role_status_and_text(app, team, query, expected):
    add_staff(app, "alt@example.com", "agent", name="Alte Kollegin", active=False)
    html = page(signed_in(app, ADMIN).get(f"/admin?{query}"))
    assert set(re.findall(r'<tr data-member="([^"]+)">', html)) == expected
    if not expected:
        assert "Niemand passt zu diesem Filter." in html


@pytest.mark.parametrize("query", ["rolle=chef", "status=vielleicht", "q=" + "x" * 101])
def test_odd_team_filters_get_a_422_page(app, team, query):
    response = signed_in(app, ADMIN).get(f"/admin?{query}")
    assert response.status_code == 422
    assert "Bitte prüfen Sie die Angaben." in page(response)


# --- inviting ---------------------------------------------------------------------------------

def test_inviting_creates_the_account_mails_the_link_and_shows_it_once(app, team):
    client = signed_in(app, ADMIN)
    response = post(client, "/admin/einladen", {"email": " Nele.Neu@Example.com ", "name": "Nele Neu",
                                                "role": "agent"})
    html = page(response)
    assert response.status_code == 200
    assert "Nele Neu ist eingeladen" in html
    assert "Wir haben den Link per E-Mail an nele.neu@example.com geschickt." in html
    assert "Er gilt 24 Stunden und nur einmal" in html
    link, token = LINK.search(html).groups()
    with app.app_context():
        invited = staff.user_for_invitation_token(token)
        assert invited.email == "nele.neu@example.com" and invited.role == "agent" and not invited.has_password
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert mail.recipient == "nele.neu@example.com"
        assert mail.subject.startswith("Ihr Zugang zum Kundenservice von")
        assert link in mail.body and "gültig für 24 Stunden" in mail.body and "Hallo Nele Neu" in mail.body
    assert trail(app) == [(ADMIN, "account.create", "nele.neu@example.com", "role=agent")]
    # The link is not kept anywhere the admin could open it again.
    assert link not in page(client.get("/admin")) and link not in page(client.get(f"/admin/team/{invited.id}"))


def test_a_double_submit_creates_one_account_and_says_so(app, team):
    client = signed_in(app, ADMIN)
    data = {"email": "nele.neu@example.com", "name": "Nele Neu", "role": "agent"}
    assert post(client, "/admin/einladen", data).status_code == 200
    response = post(client, "/admin/einladen", data)
    assert response.status_code == 422
    assert "Zu dieser E-Mail-Adresse gibt es schon ein Konto." in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.email == "nele.neu@example.com")) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert [row[1] for row in trail(app)] == ["account.create"]


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "kein-at", "role": "agent"}, "E-Mail"),
    ({"email": "", "role": "agent"}, "Bitte geben Sie Ihre E-Mail-Adresse an."),
    ({"email": "neu@example.com", "role": "chef"}, "Bitte wählen Sie eine Rolle"),
    ({"email": "neu@example.com"}, "Bitte ausfüllen."),
    ({"email": "neu@example.com", "role": "agent", "name": "x" * 201}, "Höchstens 200 Zeichen."),
    ({"email": "neu@example.com", "role": "agent", "name": "Nele\x00"}, "Enthält unzulässige Steuerzeichen."),
])
def test_a_wrong_invitation_shows_the_form_again_with_the_message(app, team, data, message):
    response = post(signed_in(app, ADMIN), "/admin/einladen", data)
    assert response.status_code == 422
    assert message in page(response)
    assert 'class="form-error"' in page(response)
    with app.app_context():
        assert staff.staff_member("neu@example.com") is None


def test_an_invitation_without_csrf_token_is_refused(app, team):
    response = signed_in(app, ADMIN).post("/admin/einladen", data={"email": "neu@example.com", "role": "agent"})
    assert response.status_code == 400
    assert member(app, ADMIN) is not None
    with app.app_context():
        assert staff.staff_member("neu@example.com") is None


def test_two_invitations_at_once_create_one_account(app, team, database_url):
    """The unique e-mail decides between two admins inviting the same person at the same moment."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race needs PostgreSQL")
    barrier = threading.Barrier(2)
    results = []

    def invite():
        with app.app_context():
            # Both look first (nobody there yet), then both insert.
            assert staff.staff_member("nele.neu@example.com") is None
            barrier.wait()
            try:
                staff.create_staff("nele.neu@example.com", "agent", actor_label="test")
                db.session.commit()
                results.append("created")
            except staff.StaffError as exc:
                db.session.rollback()
                results.append(str(exc))

    threads = [threading.Thread(target=invite) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Zu dieser E-Mail-Adresse gibt es schon ein Konto.", "created"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.email == "nele.neu@example.com")) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


# --- one member -------------------------------------------------------------------------------

def test_the_member_page_shows_the_account(app, team):
    with app.app_context():
        user = staff.staff_member(AGENT)
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", user.created_at
        user.recovery_codes.extend(RecoveryCode(code_hash=f"{n:064d}") for n in range(10))
        db.session.commit()
    html = page(signed_in(app, ADMIN).get(f"/admin/team/{team[AGENT]}"))
    assert "<h1>Agent</h1>" in html
    assert "agent@example.com" in html
    assert re.search(r"data-factor>an · 10 Wiederherstellungscodes", html)
    assert "Deaktivieren (meldet sofort überall ab)" in html


@pytest.mark.parametrize("target", ["unknown", "customer"])
def test_a_member_page_of_nobody_or_a_customer_is_404(app, team, make_user, target):
    customer_id = make_user(email="kunde@example.com")
    user_id = customer_id if target == "customer" else 9999
    client = signed_in(app, ADMIN)
    assert client.get(f"/admin/team/{user_id}").status_code == 404
    assert post(client, f"/admin/team/{user_id}/deaktivieren").status_code == 404
    assert member(app, "kunde@example.com").active


def test_changing_the_role_ends_the_persons_sessions(app, team):
    agent = signed_in(app, AGENT)
    response = post(signed_in(app, ADMIN), f"/admin/team/{team[AGENT]}/rolle", {"role": "editor"}, follow=True)
    assert "Die Rolle ist geändert. Die Person meldet sich neu an." in page(response)
    assert re.search(r"data-role>Redaktion<", page(response))
    assert member(app, AGENT).role == "editor"
    assert agent.get("/agent").status_code == 302
    assert trail(app) == [(ADMIN, "account.role", AGENT, "agent → editor")]


def test_a_wrong_role_is_refused_with_the_message(app, team):
    response = post(signed_in(app, ADMIN), f"/admin/team/{team[AGENT]}/rolle", {"role": "chef"})
    assert response.status_code == 422
    assert "Bitte wählen Sie eine Rolle" in page(response)
    assert member(app, AGENT).role == "agent" and trail(app) == []


def test_deactivating_ends_the_persons_session_at_once_and_activating_lets_them_in(app, team):
    agent = signed_in(app, AGENT)
    assert agent.get("/agent").status_code == 200
    admin = signed_in(app, ADMIN)
    response = post(admin, f"/admin/team/{team[AGENT]}/deaktivieren", follow=True)
    assert "Das Konto ist deaktiviert. Alle Sitzungen sind beendet." in page(response)
    assert "Wieder aktivieren" in page(response)
    assert agent.get("/agent").status_code == 302
    response = post(admin, f"/admin/team/{team[AGENT]}/aktivieren", follow=True)
    assert "Das Konto ist wieder aktiv." in page(response)
    assert signed_in(app, AGENT).get("/agent").status_code == 200
    assert [row[:3] for row in trail(app)] == [(ADMIN, "account.deactivate", AGENT), (ADMIN, "account.activate", AGENT)]


def test_an_admin_cannot_deactivate_their_own_account(app, team):
    client = signed_in(app, ADMIN)
    html = page(client.get(f"/admin/team/{team[ADMIN]}"))
    assert "Ihr eigenes Konto können Sie hier nicht deaktivieren." in html
    assert "Deaktivieren (meldet sofort überall ab)" not in html
    response = post(client, f"/admin/team/{team[ADMIN]}/deaktivieren", follow=True)
    assert "Sie können Ihr eigenes Konto nicht deaktivieren." in page(response)
    assert member(app, ADMIN).active and trail(app) == []
    assert client.get("/admin").status_code == 200


def test_the_last_admin_cannot_demote_themself(app):
    add_staff(app, ADMIN, "admin")
    client = signed_in(app, ADMIN)
    user_id = member(app, ADMIN).id
    response = post(client, f"/admin/team/{user_id}/rolle", {"role": "agent"}, follow=True)
    assert "Das letzte aktive Admin-Konto kann seine Rolle nicht verlieren." in page(response)
    assert member(app, ADMIN).role == "admin" and trail(app) == []
    assert client.get("/admin").status_code == 200


def test_the_other_admin_cannot_be_deactivated_when_it_is_the_last_active_one(app, team):
    client = signed_in(app, OTHER_ADMIN)
    with app.app_context():
        staff.set_staff_active(staff.staff_member(ADMIN), False, actor_label="test")
        db.session.commit()
    # OTHER_ADMIN is now the only active admin; nobody can take that away through ADMIN's page either.
    response = post(client, f"/admin/team/{team[OTHER_ADMIN]}/rolle", {"role": "editor"}, follow=True)
    assert "Das letzte aktive Admin-Konto kann seine Rolle nicht verlieren." in page(response)


def test_an_admin_who_demotes_themself_leaves_the_admin_pages(app, team):
    client = signed_in(app, ADMIN)
    response = post(client, f"/admin/team/{team[ADMIN]}/rolle", {"role": "agent"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert member(app, ADMIN).role == "agent"
    assert client.get("/admin").status_code == 302  # signed out with the old role


def test_resetting_the_factors_removes_them_and_ends_sessions(app, team):
    with app.app_context():
        user = staff.staff_member(AGENT)
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", user.created_at
        user.recovery_codes.extend(RecoveryCode(code_hash=f"{n:064d}") for n in range(10))
        db.session.commit()
    agent = signed_in(app, AGENT)
    response = post(signed_in(app, ADMIN), f"/admin/team/{team[AGENT]}/faktoren-zuruecksetzen", follow=True)
    assert "Zweiter Faktor und Wiederherstellungscodes sind entfernt." in page(response)
    assert re.search(r"data-factor>aus<", page(response))
    assert not member(app, AGENT).has_second_factor
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert agent.get("/agent").status_code == 302
    assert trail(app) == [(ADMIN, "account.reset_factors", AGENT, "")]


def test_a_new_invitation_link_is_mailed_and_shown_once(app, team):
    agent = signed_in(app, AGENT)
    response = post(signed_in(app, ADMIN), f"/admin/team/{team[AGENT]}/einladung")
    html = page(response)
    assert response.status_code == 200 and "Neuer Link für Agent" in html
    _link, token = LINK.search(html).groups()
    with app.app_context():
        assert staff.user_for_invitation_token(token).email == AGENT
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert mail.recipient == AGENT and "einen neuen Link" in mail.body
    assert not member(app, AGENT).has_password
    assert agent.get("/agent").status_code == 302
    assert trail(app) == [(ADMIN, "account.invite", AGENT, "")]


@pytest.mark.parametrize(("who", "message"), [
    (ADMIN, "Ihr eigenes Passwort ändern Sie in Ihrem Konto, nicht hier."),
    ("alt@example.com", "Aktivieren Sie das Konto zuerst"),
])
def test_no_new_link_for_yourself_or_a_deactivated_account(app, team, who, message):
    user_id = add_staff(app, "alt@example.com", "agent", active=False)
    target = team[ADMIN] if who == ADMIN else user_id
    response = post(signed_in(app, ADMIN), f"/admin/team/{target}/einladung", follow=True)
    assert message in page(response)
    assert member(app, who).has_password and trail(app) == []


@pytest.mark.parametrize("action", ["deaktivieren", "aktivieren", "faktoren-zuruecksetzen", "einladung", "rolle"])
def test_member_changes_need_the_csrf_token(app, team, action):
    client = signed_in(app, ADMIN)
    response = client.post(f"/admin/team/{team[AGENT]}/{action}", data={"role": "editor"})
    assert response.status_code == 400
    assert "Ihre Sitzung ist abgelaufen oder das Formular ist ungültig." in page(response)
    assert member(app, AGENT).active and member(app, AGENT).role == "agent" and trail(app) == []
