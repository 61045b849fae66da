"""What happens once the password was right: sign in, or first ask for the second factor.

The form (/anmelden) and the JSON sign-in (/api/auth/login) both call `after_password`, so both
ask for the same second factor and land in the same place. Between the password and the code the
session holds only a pending state (account, its session token, five minutes) — nobody is signed
in yet, and a new password or a deactivation in between ends it like a session.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import session, url_for

from app.accounts import twofactor
from app.accounts.models import User
from app.accounts import sessions
from app.accounts.sessions import start_session
from app.accounts.staff import landing_endpoint, second_factor_required
from app.extensions import db

PENDING_KEY = "second_factor_pending"
PENDING_MINUTES = 5


@dataclass(frozen=True)
class SignInStep:
    signed_in: bool
    target: str  # where the browser goes next


def landing_url(user: User, next_path: str | None = None) -> str:
    """`next` when one was asked for, else the role's own start page; a staff member who must still
    set up the second factor goes there first."""
    if user.is_staff and second_factor_required(user) and not user.has_second_factor:
        return url_for("staff_signin.security")
    return next_path or url_for(landing_endpoint(user))


def after_password(user: User, *, next_path: str | None = None, otp: str | None = None,
                   can_wait: bool = True) -> SignInStep:
    """Sign in after a correct password, or hold the sign-in until the second factor.

    `otp` is a code sent together with the password (the JSON sign-in); without one, a browser
    (`can_wait`) goes to the code page, an API client is refused with `second_factor_required`.
    Raises SecondFactorRefused for a wrong code; the caller commits.
    """
    if user.has_second_factor:
        if otp is None:
            if not can_wait:
                raise twofactor.SecondFactorRefused("second_factor_required")
            hold_pending(user, next_path)
            return SignInStep(False, url_for("staff_signin.second_factor"))
        twofactor.check_code(user, otp)
    start_session(user)
    return SignInStep(True, landing_url(user, next_path))


def hold_pending(user: User, next_path: str | None) -> None:
    # Whoever was signed in on this browser before is not any more: only the pending state remains.
    keep = {key: session[key] for key in ("lang",) if key in session}
    session.clear()
    session.update(keep)
    until = sessions._epoch(sessions.now() + dt.timedelta(minutes=PENDING_MINUTES))
    session[PENDING_KEY] = {"uid": user.id, "tok": user.session_token, "email": user.email, "until": until,
                            "next": next_path or ""}


def pending_user() -> User | None:
    """The account waiting for its second factor, while the pending state is fresh and still matches."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    until = pending.get("until")
    if not isinstance(until, int) or sessions._epoch(sessions.now()) > until:
        return None
    user = db.session.get(User, pending["uid"])
    if user is None or not user.active or user.session_token != pending.get("tok") or not user.has_second_factor:
        return None
    return user


def pending_email() -> str:
    """The address of the pending sign-in (the key of its failed-code limit), "" without one."""
    pending = session.get(PENDING_KEY)
    email = pending.get("email") if isinstance(pending, dict) else None
    return email if isinstance(email, str) else ""


def finish_pending(user: User, code: str) -> SignInStep:
    """Sign in with the second factor after the password; raises SecondFactorRefused for a wrong code."""
    next_path = session.get(PENDING_KEY, {}).get("next") or None
    twofactor.check_code(user, code)
    start_session(user)  # also drops the pending state
    return SignInStep(True, landing_url(user, next_path))


def drop_pending() -> None:
    session.pop(PENDING_KEY, None)


# What a staff member who must still set up the second factor may reach: the set-up itself, signing
# out or in (as somebody else), who-am-I, and what pages are made of.
_SETUP_ALLOWED = frozenset({
    "static", "help.theme_css", "staff_signin.security", "staff_signin.security_start", "staff_signin.security_confirm",
    "staff_signin.welcome", "staff_signin.second_factor", "accounts.login", "accounts.logout", "accounts_api.login",
    "accounts_api.logout", "accounts_api.me", "accounts_api.csrf_token",
})


def require_second_factor_setup():
    """before_request: a staff member without the second factor their role requires only sets it up."""
    from flask import redirect, request
    from flask_babel import gettext as _
    from flask_login import current_user

    from app.core.errors import Forbidden
    from app.errors import wants_json

    # Anonymous visitors carry no user id: no database look-up for them.
    if "_user_id" not in session or request.endpoint is None or request.endpoint in _SETUP_ALLOWED:
        return None
    user = current_user
    if not user.is_authenticated or not user.is_staff or user.has_second_factor or not second_factor_required(user):
        return None
    message = _("Bitte richten Sie zuerst den zweiten Faktor ein.")
    if wants_json():
        raise Forbidden(message, code="second_factor_setup_required")
    return redirect(url_for("staff_signin.security"))
