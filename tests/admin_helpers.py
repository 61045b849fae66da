"""Shared set-up of the team and audit trail tests: staff accounts and a signed-in client without the sign-in form.

The sign-in steps (password, second factor) are tested on their own; these tests start from a session
as it is after them, so that they test the team pages and not the sign-in again.
"""
from __future__ import annotations

import pyotp
import pytest
from werkzeug.test import EnvironBuilder

from app.accounts import staff
from app.accounts.models import User
from app.accounts.sessions import SEEN_KEY, _epoch, now
from app.extensions import db, login_manager
from app.insights.models import utcnow

ADMIN = "admin@example.com"
OTHER_ADMIN = "zweite.admin@example.com"
AGENT = "agent@example.com"
EDITOR = "redaktion@example.com"


def add_staff(app, email, role, name=None, password="ein-langes-gutes-passwort", active=True) -> int:
    with app.app_context():
        user = User(email=email, name=name or email.partition("@")[0].title(), role=role, origin="invite",
                    active=active)
        user.set_password(password)
        if role == "admin":
            # Admins must use a second factor (HELPCENTER_STAFF_2FA unset): theirs is set up.
            user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), utcnow()
        db.session.add(user)
        db.session.commit()
        return user.id


def signed_in(app, email):
    """A test client whose session is that of `email` after a complete sign-in."""
    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        user_id = user.get_id()
    # Flask-Login's "strong" session protection compares a hash of the client's address and browser.
    with app.test_request_context(environ_base=EnvironBuilder(environ_base=client.environ_base).get_environ()):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session.update({"_user_id": user_id, "_fresh": True, "_id": identifier, SEEN_KEY: _epoch(now())})
    return client


@pytest.fixture
def team(app):
    """Two admins, an agent and an editor; returns their ids by e-mail."""
    return {email: add_staff(app, email, role) for email, role in
            ((ADMIN, "admin"), (OTHER_ADMIN, "admin"), (AGENT, "agent"), (EDITOR, "editor"))}


def user_by_email(app, email) -> User:
    with app.app_context():
        user = staff.staff_member(email)
        db.session.expunge_all()
        return user
