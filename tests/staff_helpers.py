"""Staff accounts with a second factor, and signing them in with password and code."""
from __future__ import annotations

import re

import pyotp

from app.accounts.models import User
from app.extensions import db
from app.insights.models import utcnow
from tests.conftest import csrf_token_from, login

SECRET_IN_PAGE = re.compile(r"data-totp-secret>([A-Z2-7 ]+)<")
RECOVERY_CODE = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2})</code>")


class OtpClock:
    """The second factor's clock (app.accounts.twofactor.clock), moved by the test."""

    def __init__(self, moment: float = 1_800_000_000.0):
        self.moment = moment

    def __call__(self) -> float:
        return self.moment

    def next_step(self) -> None:
        self.moment += 30

    def code(self, secret: str, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.moment + 30 * steps)


def give_second_factor(app, email: str, secret: str | None = None) -> str:
    """Switch a confirmed TOTP second factor on for the account (as if set up); returns its secret."""
    secret = secret or pyotp.random_base32()
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        user.totp_secret, user.totp_confirmed_at, user.totp_last_step = secret, utcnow(), None
        db.session.commit()
    return secret


def sign_in_with_code(client, email: str, password: str, code: str):
    """Password on /anmelden, then the code on /anmelden/zweiter-faktor; returns the second answer."""
    first = login(client, email, password)
    assert first.status_code == 302 and first.headers["Location"].endswith("/anmelden/zweiter-faktor")
    return post_code(client, code)


def post_code(client, code: str):
    token = csrf_token_from(client, "/anmelden/zweiter-faktor")
    return client.post("/anmelden/zweiter-faktor", data={"code": code, "csrf_token": token})
