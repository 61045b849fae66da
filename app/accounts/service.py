"""Sign-in, password rules and password-reset links."""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import hash_password, verify_password
from app.extensions import db
from app.insights.models import utcnow

MIN_PASSWORD_LENGTH = 8
# Staff see personal data of every customer: their passwords are longer.
MIN_STAFF_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
RESET_LINK_HOURS = 24


class PasswordRejected(ValueError):
    """The password breaks a rule; the message is shown to the customer."""


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked when the e-mail is unknown, so both wrong answers take equally long.
    return hash_password("not-a-real-password")


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of public leaks (zxcvbn's list, kept with the library) and
    our own list of German ones ("passwort", "hallo123", "schalke04" …)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    path = Path(__file__).with_name("common_passwords.txt")
    ours = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return frozenset(ours) | frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


# Fewer estimated guesses than this (zxcvbn's "score 1 or 0") means a listed password with a trivial
# change — "passwort1234", "123456789012", "passwordpassword" — which attackers try first as well.
_MIN_GUESSES_LOG10 = 6
# zxcvbn's matching grows quickly with length; the start of a long password tells enough.
_ESTIMATE_CHARS = 64


def is_common_password(password: str, hints: tuple[str, ...] = ()) -> bool:
    """Listed, or a listed one with digits, a repetition or a keyboard run added (zxcvbn's estimate)."""
    from zxcvbn import zxcvbn

    if password.lower() in _common_passwords():
        return True
    estimate = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[hint for hint in hints if hint])
    return estimate["guesses_log10"] < _MIN_GUESSES_LOG10


def _resembles_email(password: str, email: str) -> bool:
    """The address itself, its name part, or the name part with a few characters around it."""
    lowered, email = password.lower(), (email or "").strip().lower()
    if not email:
        return False
    local = email.partition("@")[0]
    if lowered == email or lowered == local:
        return True
    # "anna.schmidt2024" or "!anna.schmidt!": the name part is most of the password.
    return len(local) >= 4 and local in lowered and len(lowered) - len(local) <= 4


def check_password_rules(password: str, *, email: str = "", staff: bool = False) -> None:
    """Refuse a password that breaks a rule; staff passwords need 12 characters instead of 8."""
    from flask_babel import gettext as _

    minimum = MIN_STAFF_PASSWORD_LENGTH if staff else MIN_PASSWORD_LENGTH
    if len(password) < minimum:
        raise PasswordRejected(_("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=minimum))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(_("Das Passwort darf höchstens %(n)d Zeichen lang sein.", n=MAX_PASSWORD_LENGTH))
    if _resembles_email(password, email):
        raise PasswordRejected(_("Das Passwort darf nicht Ihre E-Mail-Adresse sein oder ihr ähneln."))
    if is_common_password(password):
        raise PasswordRejected(_("Dieses Passwort ist zu verbreitet und leicht zu erraten. Bitte wählen Sie ein anderes."))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The user for a correct e-mail/password pair; None otherwise, without telling which was wrong."""
    user = find_user(email or "")
    if user is None:
        verify_password(_dummy_hash(), password or "")
        return None
    # A deactivated account gets the same answer as a wrong password.
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Changes with every new password (a new salt each time): a link works once. Signing out does
    # not change it, so a link asked for before signing out still works.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def reset_token_for(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "tok": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=RESET_LINK_HOURS * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not user.active or _password_fingerprint(user) != data.get("tok"):
        return None
    return user


def send_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; the caller shows the same message either way."""
    from flask_babel import gettext as _

    from app.outbox.service import queue_email

    user = find_user(email)
    if user is None or not user.active:
        return
    link = f"{current_app.config['HELPCENTER_BASE_URL'].rstrip('/')}/konto/passwort-neu/{reset_token_for(user)}"
    body = _("Hallo %(name)s,\n\nSie haben ein neues Passwort für Ihr Kundenkonto bei %(shop)s angefordert. "
             "Über diesen Link legen Sie es fest (gültig für %(hours)d Stunden, einmal verwendbar):\n\n%(link)s\n\n"
             "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail einfach – Ihr Passwort bleibt unverändert.\n\n"
             "Ihr Kundenservice von %(shop)s",
             name=user.name, shop=current_app.config["HELPCENTER_SHOP_NAME"], hours=RESET_LINK_HOURS, link=link)
    queue_email(user.email, _("Ihr neues Passwort für %(shop)s", shop=current_app.config["HELPCENTER_SHOP_NAME"]), body)


def set_new_password(user: User, password: str) -> None:
    check_password_rules(password, email=user.email, staff=user.is_staff)
    user.set_password(password)
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Sign the account out everywhere (every device, every worker)."""
    user.end_sessions()
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Deactivate an account (it cannot sign in, its sessions end) or activate it again."""
    user.active = active
    if not active:
        user.end_sessions()
    db.session.flush()


def password_sign_in_allowed(user: User, config) -> bool:
    """Whether this account may sign in with a password here: with HELPCENTER_CUSTOMER_LOGIN=sso the shop
    vouches for its customers, so only staff use the help center's own password."""
    return user.is_staff or config.get("HELPCENTER_CUSTOMER_LOGIN", "both") != "sso"
