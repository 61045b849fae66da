"""One budget of failed sign-ins for the form (/anmelden) and the API (POST /api/auth/login).

Two limits, both counting failed attempts only (answer 401) and shared by both ways in:
- per address: how many wrong passwords one address may try, for any accounts;
- per account *and* address: how many wrong passwords one address may try for one account.
The account limit is never counted across addresses, so a stranger guessing a customer's password
locks out only their own address — the customer signs in from theirs as usual.
"""
from __future__ import annotations

from flask import request
from flask_limiter.util import get_remote_address

from app.extensions import limiter

ADDRESS_LIMITS = "10 per minute;50 per hour"
ACCOUNT_LIMITS = "5 per 15 minutes"


def _failed(response) -> bool:
    return response.status_code == 401


def _email_tried() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    return email.strip().lower()[:254] if isinstance(email, str) else ""


def account_and_address() -> str:
    return f"{_email_tried()}|{get_remote_address()}"


failed_logins_per_address = limiter.shared_limit(ADDRESS_LIMITS, scope="login-address", methods=["POST"],
                                                 deduct_when=_failed)
failed_logins_per_account = limiter.shared_limit(ACCOUNT_LIMITS, scope="login-account", key_func=account_and_address,
                                                 methods=["POST"], deduct_when=_failed)


# Wrong second-factor codes: counted per account over all addresses — only someone who already knows
# the password gets this far, so locking the code step is the safe side. Form and API share the budget.
SECOND_FACTOR_LIMITS = "5 per 15 minutes"


def _code_failed(response) -> bool:
    from flask import g

    # Set by the view when a code was wrong (a missing code or a wrong password is not a guessed code).
    return bool(g.get("second_factor_failed"))


def account_of_code() -> str:
    """The account whose code is tried: the JSON body's address, the pending sign-in's, or the signed-in one's."""
    if request.is_json:
        return f"code|{_email_tried() or '-'}"
    from flask_login import current_user

    from app.accounts.signin import pending_email

    email = pending_email() or (current_user.email if current_user.is_authenticated else "")
    return f"code|{email.lower() or '-'}"


failed_codes_per_account = limiter.shared_limit(SECOND_FACTOR_LIMITS, scope="second-factor", key_func=account_of_code,
                                                methods=["POST"], deduct_when=_code_failed)
