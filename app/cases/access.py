"""Who may see a case: its customer, the visit that sent it, or whoever opens the link from the case's mails."""
from __future__ import annotations

from flask import session
from flask_login import current_user
from sqlalchemy import select

from app.cases.models import Case
from app.core.hosts import external_url
from app.core.signatures import reference_token, reference_token_valid
from app.extensions import db

_MY_CASES = "my_cases"
# The purpose mixed into the link's token: a reply-address token for the same case does not open its page.
CASE_PAGE = "case-page"
# The query parameter that carries the token ("zugang": access).
ACCESS_PARAM = "zugang"


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


def case_page_link(number: str) -> str:
    """The absolute link to the case page that opens it in any browser: what every mail about the case names.

    The mail went to the case's address, so whoever holds the link has proved that mailbox. The link opens
    this one case for the visit, never the other cases of an account it belongs to.
    """
    return external_url("contact.case", number=number, **{ACCESS_PARAM: reference_token(CASE_PAGE, number)})


def open_with_link(number: str, token) -> Case | None:
    """The case when token is its case_page_link's, now also visible to this visit; None for anything else."""
    if not reference_token_valid(CASE_PAGE, number, token):
        return None
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is not None:
        remember_case(case.number)
    return case
