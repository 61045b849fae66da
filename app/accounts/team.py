"""Reading the shop's team (the /admin list and `users list`) and mailing an invitation link.

The changes themselves live in app/accounts/staff.py; this module only reads and queues mail.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.accounts.staff import INVITATION_HOURS, STAFF_ROLES
from app.extensions import db


@dataclass(frozen=True)
class TeamCounts:
    total: int
    active: int
    inactive: int
    pending: int
    by_role: dict[str, int]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def staff_members(role: str | None = None, active: bool | None = None, search: str | None = None) -> list[User]:
    """Staff accounts by name, optionally one role, active or not, and a part of the name or e-mail."""
    query = select(User).where(User.role.in_(STAFF_ROLES))
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    if search:
        pattern = f"%{_like_escaped(search.lower())}%"
        query = query.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                                func.lower(User.email).like(pattern, escape="\\")))
    return list(db.session.scalars(query.order_by(func.lower(User.name), User.email)))


def team_counts() -> TeamCounts:
    """How many staff accounts there are, per role, how many are deactivated or still invited."""
    rows = db.session.execute(select(User.role, User.active, User.password_set_at.is_(None), func.count())
                              .where(User.role.in_(STAFF_ROLES))
                              .group_by(User.role, User.active, User.password_set_at.is_(None))).all()
    by_role = dict.fromkeys(STAFF_ROLES, 0)
    total = active = pending = 0
    for role, is_active, is_pending, count in rows:
        by_role[role] += count
        total += count
        active += count if is_active else 0
        pending += count if (is_pending and is_active) else 0
    return TeamCounts(total=total, active=active, inactive=total - active, pending=pending, by_role=by_role)


def member_by_id(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_staff else None


def queue_invitation_email(user: User, link: str, *, renewed: bool = False) -> None:
    """The one-time link by e-mail through the outbox, in the caller's transaction."""
    from flask_babel import gettext as _

    from app.outbox.service import queue_email

    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    if renewed:
        intro = _("für Ihr Konto im Kundenservice-Team von %(shop)s gibt es einen neuen Link, mit dem Sie Ihr "
                  "Passwort festlegen.", shop=shop)
    else:
        intro = _("Sie wurden in das Kundenservice-Team von %(shop)s eingeladen.", shop=shop)
    body = _("Hallo %(name)s,\n\n%(intro)s\n\nÜber diesen Link wählen Sie Ihr Passwort (gültig für %(hours)d Stunden, "
             "nur einmal verwendbar):\n\n%(link)s\n\nIst der Link abgelaufen, bitten Sie Ihre Administratorin oder "
             "Ihren Administrator um einen neuen.\n\nIhr Team von %(shop)s",
             name=user.name, intro=intro, hours=INVITATION_HOURS, link=link, shop=shop)
    queue_email(user.email, _("Ihr Zugang zum Kundenservice von %(shop)s", shop=shop), body)
