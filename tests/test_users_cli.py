"""`flask users …`: the team on the command line, each change in the audit trail as done by "cli"."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.accounts import staff
from app.accounts.models import RecoveryCode, User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.admin_helpers import ADMIN, AGENT, EDITOR, OTHER_ADMIN, add_staff, signed_in, team  # noqa: F401

LINK = re.compile(r"http\S+/konto/willkommen/(\S+)")


def run(app, *args):
    return app.test_cli_runner().invoke(args=["users", *args])


def trail(app, action=None):
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [(e.actor_label, e.action, e.object_type, e.object_ref, e.detail) for e in db.session.scalars(query)]


def member(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def test_create_prints_a_one_time_link_valid_for_24_hours(app):
    result = run(app, "create", "Neu.Agentin@Example.com", "--role", "agent", "--name", "Nele Neu")
    assert result.exit_code == 0, result.output
    assert "Created agent account for neu.agentin@example.com (Nele Neu)." in result.output
    assert "valid for 24 hours, works once" in result.output
    token = LINK.search(result.output).group(1)
    with app.app_context():
        user = staff.user_for_invitation_token(token)
        assert user is not None and user.email == "neu.agentin@example.com" and user.role == "agent"
        assert not user.has_password and user.origin == "invite"
    assert trail(app) == [("cli", "account.create", "account", "neu.agentin@example.com", "role=agent")]


def test_create_without_a_name_uses_the_address(app):
    result = run(app, "create", "max@example.com", "--role", "editor")
    assert result.exit_code == 0, result.output
    assert member(app, "max@example.com").name == "max"


@pytest.mark.parametrize(("args", "message"), [
    (("create", "agent@example.com", "--role", "agent"), "Zu dieser E-Mail-Adresse gibt es schon ein Konto."),
    (("create", "neu@example.com", "--role", "chef"), "Unbekannte Rolle. Möglich sind: agent, lead, editor, admin."),
    (("create", "kein-at-zeichen", "--role", "agent"), "Bitte geben Sie eine gültige E-Mail-Adresse an."),
    (("role", "niemand@example.com", "admin"), "No staff account with the e-mail address 'niemand@example.com'."),
    (("role", "agent@example.com", "chef"), "Unbekannte Rolle."),
    (("role", "admin@example.com", "agent"), "Das letzte aktive Admin-Konto kann seine Rolle nicht verlieren."),
    (("deactivate", "admin@example.com"), "Das letzte aktive Admin-Konto kann nicht deaktiviert werden."),
    (("deactivate", "kunde@example.com"), "No staff account"),
    (("activate", "niemand@example.com"), "No staff account"),
    (("invite", "niemand@example.com"), "No staff account"),
    (("reset-factors", "niemand@example.com"), "No staff account"),
])
def test_errors_are_one_clear_line_and_exit_code_1(app, make_user, args, message):
    add_staff(app, ADMIN, "admin")
    add_staff(app, AGENT, "agent")
    make_user(email="kunde@example.com")
    before = trail(app)
    result = run(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert trail(app) == before
    assert member(app, ADMIN).role == "admin" and member(app, ADMIN).active


def test_list_shows_the_team_as_a_table(app, team, make_user):
    make_user(email="kunde@example.com")  # customers are not part of the team
    assert run(app, "create", "neu@example.com", "--role", "agent", "--name", "Nele Neu").exit_code == 0
    run(app, "deactivate", EDITOR)
    with app.app_context():
        user = staff.staff_member(AGENT)
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", user.created_at
        user.last_login_at = dt.datetime(2026, 7, 1, 8, 30)  # UTC; 10:30 in Berlin (summer time)
        db.session.commit()
    result = run(app, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["E-MAIL", "NAME", "ROLE", "ACTIVE", "PASSWORD", "2FA", "LAST", "SIGN-IN", "(BERLIN)"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {ADMIN, OTHER_ADMIN, AGENT, EDITOR, "neu@example.com"}
    assert rows[AGENT].split()[2:] == ["agent", "yes", "chosen", "on", "2026-07-01", "10:30"]
    assert rows[EDITOR].split()[2:] == ["editor", "no", "chosen", "off", "never"]
    assert rows["neu@example.com"].split()[1:] == ["Nele", "Neu", "agent", "yes", "invitation", "pending", "off",
                                                   "never"]


def test_list_of_an_empty_team_says_how_to_start(app):
    result = run(app, "list")
    assert result.exit_code == 0
    assert "No staff accounts yet" in result.output


def test_role_changes_the_role_and_ends_sessions(app, team):
    client = signed_in(app, AGENT)
    assert client.get("/agent").status_code == 200
    result = run(app, "role", AGENT, "EDITOR")
    assert result.exit_code == 0, result.output
    assert "agent@example.com is now editor." in result.output
    assert member(app, AGENT).role == "editor"
    assert client.get("/agent").status_code == 302  # signed out: back to the sign-in page
    assert trail(app, "account.role") == [("cli", "account.role", "account", AGENT, "agent → editor")]


def test_deactivate_ends_a_signed_in_session_at_its_next_request(app, team):
    client = signed_in(app, AGENT)
    assert client.get("/agent").status_code == 200
    result = run(app, "deactivate", AGENT)
    assert result.exit_code == 0, result.output
    assert "agent@example.com is deactivated; every session has ended." in result.output
    response = client.get("/agent")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    assert "Abmelden" not in client.get("/").get_data(as_text=True)
    assert not member(app, AGENT).active
    # The account cannot sign in again with a fresh session either.
    assert signed_in(app, AGENT).get("/agent").status_code == 302
    assert trail(app, "account.deactivate") == [("cli", "account.deactivate", "account", AGENT, "")]


def test_activate_lets_the_person_in_again(app, team):
    run(app, "deactivate", AGENT)
    result = run(app, "activate", AGENT)
    assert result.exit_code == 0 and "agent@example.com is active." in result.output
    assert signed_in(app, AGENT).get("/agent").status_code == 200
    assert [row[1] for row in trail(app)] == ["account.deactivate", "account.activate"]


def test_the_other_admin_can_be_deactivated_but_not_the_last_one(app, team):
    assert run(app, "deactivate", OTHER_ADMIN).exit_code == 0
    result = run(app, "deactivate", ADMIN)
    assert result.exit_code == 1 and "letzte aktive Admin-Konto" in result.output
    assert member(app, ADMIN).active
    # The older `accounts deactivate` keeps the same guard.
    older = app.test_cli_runner().invoke(args=["accounts", "deactivate", ADMIN])
    assert older.exit_code == 1 and "letzte aktive Admin-Konto" in older.output
    assert member(app, ADMIN).active


def test_invite_gives_a_new_link_and_the_old_one_stops_working(app):
    first = LINK.search(run(app, "create", "neu@example.com", "--role", "agent").output).group(1)
    result = run(app, "invite", "neu@example.com")
    assert result.exit_code == 0, result.output
    second = LINK.search(result.output).group(1)
    with app.app_context():
        assert staff.user_for_invitation_token(first) is None
        assert staff.user_for_invitation_token(second).email == "neu@example.com"
    assert trail(app, "account.invite") == [("cli", "account.invite", "account", "neu@example.com", "")]


def test_invite_for_a_forgotten_password_ends_the_password_and_sessions(app, team):
    client = signed_in(app, AGENT)
    assert run(app, "invite", AGENT).exit_code == 0
    assert not member(app, AGENT).has_password
    assert client.get("/agent").status_code == 302


def test_reset_factors_removes_the_second_factor_and_recovery_codes(app, team):
    with app.app_context():
        user = staff.staff_member(ADMIN)
        user.totp_secret, user.totp_confirmed_at, user.totp_last_step = "JBSWY3DPEHPK3PXP", user.created_at, 7
        user.recovery_codes.extend(RecoveryCode(code_hash=f"{n:064d}") for n in range(3))
        db.session.commit()
    client = signed_in(app, ADMIN)
    assert client.get("/admin").status_code == 200
    result = run(app, "reset-factors", ADMIN)
    assert result.exit_code == 0, result.output
    assert "Second factor and recovery codes of admin@example.com removed" in result.output
    user = member(app, ADMIN)
    assert (user.totp_secret, user.totp_confirmed_at, user.totp_last_step) == (None, None, None)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode)) == 0
    assert client.get("/admin").status_code == 302
    assert trail(app, "account.reset_factors") == [("cli", "account.reset_factors", "account", ADMIN, "")]


def test_the_accounts_commands_still_work_and_are_in_the_trail(app, make_user):
    make_user(email="kunde@example.com")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["accounts", "deactivate", "kunde@example.com"]).exit_code == 0
    assert runner.invoke(args=["accounts", "activate", "kunde@example.com"]).exit_code == 0
    assert runner.invoke(args=["accounts", "sign-out", "kunde@example.com"]).exit_code == 0
    assert [(label, action) for label, action, *_ in trail(app)] == [
        ("cli", "account.deactivate"), ("cli", "account.activate"), ("cli", "account.sign_out")]
