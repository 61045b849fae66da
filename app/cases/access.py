"""Who may see a case: its customer, or the visit that sent it."""
from __future__ import annotations

from flask import session
from flask_login import current_user
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db

_MY_CASES = "my_cases"


def remember_case(number: str) -> None:
    """Let this visit see the case it just sent, also without an account."""
    session[_MY_CASES] = (session.get(_MY_CASES, []) + [number])[-20:]


def visible_case(number: str) -> Case | None:
    """The customer's own case (signed in) or one sent from this visit; None otherwise."""
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        return None
    if current_user.is_authenticated and case.user_id == current_user.id:
        return case
    if current_user.is_authenticated and case.customer_id and current_user.customer_id == case.customer_id:
        return case
    return case if number in session.get(_MY_CASES, []) else None
