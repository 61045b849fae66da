"""Server-side checks on a signed-in session: the account's session token, its active flag and,
for staff, a working day of inactivity.

The session cookie is signed, not stored: without these checks a copied cookie would work until it
expires. Every request compares the token in the cookie with the account's current one, so rotating
it (logout, new password, deactivation) ends every session of the account on every worker at once.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, session
from flask_login import login_user

from app.insights.models import utcnow

# When the staff session was last seen (seconds since the epoch, UTC).
SEEN_KEY = "seen"
# Refreshed at most this often, so that not every request sends a new cookie.
SEEN_REFRESH_SECONDS = 60
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", SEEN_KEY)


def now() -> dt.datetime:
    """The current moment (naive UTC); tests move it."""
    return utcnow()


def _epoch(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.timezone.utc).timestamp())


def start_session(user) -> None:
    """A fresh session for the signed-in user: nothing from before the sign-in carries over."""
    keep = {key: session[key] for key in ("lang",) if key in session}
    session.clear()
    session.update(keep)
    login_user(user)
    session.permanent = True
    if user.is_staff:
        session[SEEN_KEY] = _epoch(now())


def forget_login() -> None:
    """Drop the sign-in from this session (the visitor is anonymous from now on)."""
    for key in _LOGIN_KEYS:
        session.pop(key, None)


def staff_idle_limit() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["HELPCENTER_STAFF_IDLE_HOURS"])


def session_still_valid(user, token: str) -> bool:
    """Whether this request's session may act as `user`; refreshes the staff last-seen time."""
    if user is None or not user.active or user.session_token != token:
        return False
    if not user.is_staff:
        return True
    seen = session.get(SEEN_KEY)
    moment = _epoch(now())
    if not isinstance(seen, int) or isinstance(seen, bool) or moment - seen > staff_idle_limit().total_seconds():
        return False
    if moment - seen >= SEEN_REFRESH_SECONDS:
        session[SEEN_KEY] = moment
    return True
