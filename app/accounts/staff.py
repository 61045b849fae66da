"""The shop's team: creating staff accounts, one-time links to choose a password, roles, second factors.

Used by the `users` commands and the /admin pages alike, so both do exactly the same; each change is
written to the audit trail, and the caller commits.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import STAFF_ROLES, User
from app.audit.trail import record
from app.core.emails import InvalidEmail, normalize_email
from app.extensions import db

INVITATION_HOURS = 24


class StaffError(ValueError):
    """A team change that cannot be made; the message is shown to the admin (already translated)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-invitation")


def _fingerprint(user: User) -> str:
    # Changes when a password is chosen (or a new link replaces the old one): each link works once.
    return hashlib.sha256(f"{user.password_hash}|{user.session_token}".encode()).hexdigest()[:24]


def invitation_token_for(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "tok": _fingerprint(user)})


def user_for_invitation_token(token: str) -> User | None:
    """The staff account the link is for, while it is valid (24 h, once, account active)."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_HOURS * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.active or not user.is_staff or _fingerprint(user) != data.get("tok"):
        return None
    return user


def invitation_link(user: User) -> str:
    from app.core.hosts import external_url

    return external_url("staff_signin.welcome", token=invitation_token_for(user))


def _clean_role(role: str) -> str:
    from flask_babel import gettext as _

    role = (role or "").strip().lower()
    if role not in STAFF_ROLES:
        raise StaffError(_("Unbekannte Rolle. Möglich sind: %(roles)s.", roles=", ".join(STAFF_ROLES)))
    return role


def staff_member(email: str) -> User | None:
    try:
        address = normalize_email(email).lower()
    except InvalidEmail:
        return None
    return db.session.scalar(select(User).where(User.email == address))


def create_staff(email: str, role: str, name: str = "", *, actor=None, actor_label=None) -> User:
    """A new staff account without a password; hand its `invitation_link` to the person."""
    from flask_babel import gettext as _

    role = _clean_role(role)
    try:
        address = normalize_email(email).lower()
    except InvalidEmail as exc:
        raise StaffError(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from exc
    if db.session.scalar(select(User.id).where(User.email == address)) is not None:
        raise StaffError(_("Zu dieser E-Mail-Adresse gibt es schon ein Konto."))
    name = " ".join((name or "").split())[:200] or address.partition("@")[0]
    user = User(email=address, name=name, role=role, origin="invite")
    user.clear_password()
    try:
        # A savepoint: when the same invitation is sent twice at once, the unique e-mail stops the
        # second one here, and only this insert is undone, not the caller's transaction.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise StaffError(_("Zu dieser E-Mail-Adresse gibt es schon ein Konto.")) from exc
    record("account.create", "account", address, f"role={role}", actor=actor, actor_label=actor_label)
    return user


def renew_invitation(user: User, *, actor=None, actor_label=None) -> str:
    """A new one-time link (the old one stops working); also for a forgotten staff password."""
    user.clear_password()
    db.session.flush()
    record("account.invite", "account", user.email, actor=actor, actor_label=actor_label)
    return invitation_link(user)


def change_role(user: User, role: str, *, actor=None, actor_label=None) -> None:
    from flask_babel import gettext as _

    role = _clean_role(role)
    if user.role == role:
        return
    if user.role == "admin" and role != "admin" and _last_active_admin(user):
        raise StaffError(_("Das letzte aktive Admin-Konto kann seine Rolle nicht verlieren."))
    before, user.role = user.role, role
    # New rights or fewer: the person signs in again with the new role.
    user.end_sessions()
    db.session.flush()
    record("account.role", "account", user.email, f"{before} → {role}", actor=actor, actor_label=actor_label)


def set_staff_active(user: User, active: bool, *, actor=None, actor_label=None) -> None:
    from flask_babel import gettext as _

    from app.accounts.service import set_active

    if not active and actor is not None and actor.id == user.id:
        raise StaffError(_("Sie können Ihr eigenes Konto nicht deaktivieren."))
    if not active and user.role == "admin" and _last_active_admin(user):
        raise StaffError(_("Das letzte aktive Admin-Konto kann nicht deaktiviert werden."))
    if bool(user.active) == active:
        return
    set_active(user, active)
    record("account.activate" if active else "account.deactivate", "account", user.email,
           actor=actor, actor_label=actor_label)


def reset_sign_in_factors(user: User, *, actor=None, actor_label=None) -> None:
    """Remove the second factor and its recovery codes (a lost phone); the person sets it up again
    at the next sign-in, and every session ends now."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    user.end_sessions()
    db.session.flush()
    record("account.reset_factors", "account", user.email, actor=actor, actor_label=actor_label)


def _last_active_admin(user: User) -> bool:
    others = db.session.scalar(select(db.func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))
    return not others


def second_factor_required(user: User) -> bool:
    """HELPCENTER_STAFF_2FA: "required" or "optional" for every staff member; unset, admins must use one."""
    if not user.is_staff:
        return False
    setting = current_app.config.get("HELPCENTER_STAFF_2FA")
    if setting:
        return setting == "required"
    return user.role == "admin"


def landing_endpoint(user: User) -> str:
    """Where each role starts after signing in."""
    return {"agent": "agent.console", "lead": "agent.console", "editor": "editorial.home",
            "admin": "admin.home"}.get(user.role, "accounts.account")
