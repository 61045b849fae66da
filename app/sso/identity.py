"""One signed-in customer, whichever way the shop vouches for them (JWT hand-off or OpenID Connect).

The shop's customer number is the identity: the account of that customer is found (or created from
the claims and completed by the next `shop import`), and the caller starts the session and commits.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.emails import InvalidEmail, normalize_email
from app.extensions import db
from app.shop.models import Customer

log = logging.getLogger("helpcenter.sso")

MAX_CUSTOMER_NUMBER = 64
_CUSTOMER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$")


class SsoRefused(Exception):
    """Single sign-on refused. `reason` is a short machine word for the log ("expired", "replayed",
    "bad_signature", …); the visitor sees one page for all of them, never which check failed."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def log_refusal(method: str, refusal: SsoRefused) -> None:
    # No token, no claims' personal data in the log: the reason and a short technical detail only.
    log.warning("single sign-on refused: method=%s reason=%s %s", method, refusal.reason, refusal.detail[:200])


def _split_name(name: str, email: str) -> tuple[str, str]:
    words = " ".join((name or "").split())[:200].split(" ")
    if not words or not words[0]:
        return email.partition("@")[0][:100], ""
    if len(words) == 1:
        return words[0][:100], ""
    return " ".join(words[:-1])[:100], words[-1][:100]


def check_customer_number(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SsoRefused("missing_claim", "customer number")
    value = value.strip()
    if len(value) > MAX_CUSTOMER_NUMBER or not _CUSTOMER_NUMBER.match(value):
        raise SsoRefused("invalid_claim", "customer number")
    return value


def check_email(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SsoRefused("missing_claim", "email")
    try:
        return normalize_email(value).lower()
    except InvalidEmail as exc:
        raise SsoRefused("invalid_claim", "email") from exc


def _customer(number: str, email: str, name: str) -> Customer:
    customer = db.session.scalar(select(Customer).where(Customer.external_id == number))
    if customer is not None:
        return customer
    first, last = _split_name(name, email)
    try:
        with db.session.begin_nested():
            customer = Customer(external_id=number, email=email, first_name=first, last_name=last)
            db.session.add(customer)
    except IntegrityError:
        # The same customer's first sign-in, twice at once: the other request created it.
        customer = db.session.scalar(select(Customer).where(Customer.external_id == number))
        if customer is None:
            raise
    return customer


def _account(customer: Customer, email: str, name: str, origin: str) -> User:
    user = db.session.scalar(select(User).where(User.customer_id == customer.id))
    if user is not None:
        if user.email != email and db.session.scalar(select(User.id).where(User.email == email)) is None:
            user.email = email  # the customer changed their address at the shop
        return user
    same_address = db.session.scalar(select(User).where(User.email == email))
    if same_address is not None:
        if same_address.is_staff:
            raise SsoRefused("staff_address", "the address belongs to a staff account")
        if same_address.customer_id is not None:
            raise SsoRefused("address_of_other_customer", "the address belongs to another customer number")
        # The help center's own password account of this customer: from now on it is the shop's customer.
        same_address.customer_id = customer.id
        return same_address
    try:
        with db.session.begin_nested():
            user = User(email=email, name=" ".join((name or "").split())[:200] or customer.first_name or email,
                        role="customer", customer_id=customer.id, origin=origin)
            user.clear_password()
            db.session.add(user)
    except IntegrityError:
        user = db.session.scalar(select(User).where(User.customer_id == customer.id))
        if user is None:
            raise SsoRefused("address_of_other_customer", "the address was taken meanwhile")
    return user


def shop_customer_account(customer_number, email, name=None, *, origin: str) -> User:
    """The customer's account for these verified claims, created when new; SsoRefused otherwise."""
    number = check_customer_number(customer_number)
    address = check_email(email)
    if name is not None and not isinstance(name, str):
        raise SsoRefused("invalid_claim", "name")
    customer = _customer(number, address, name or "")
    user = _account(customer, address, name or "", origin)
    if not user.active:
        raise SsoRefused("account_deactivated")
    db.session.flush()
    return user
