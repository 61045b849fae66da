"""What the sign-in and password forms accept, and where a sign-in may lead afterwards."""
from __future__ import annotations

import re
from typing import Annotated, ClassVar
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from app.accounts.service import MAX_PASSWORD_LENGTH
from app.core.schemas import Email, Line, Schema, _no_controls

MAX_NEXT_LENGTH = 2000
# Anything below a space, DEL, C1 controls, white space and the characters browsers read as a slash.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f\\\u00a0\u2000-\u200f\u2028\u2029\u3000\ufeff]")


def safe_next(target) -> str | None:
    """The target if it is a path on this site, else None (the caller goes to its default page).

    Only "/something" is followed: no scheme, no host, no "//" or "/\\" (browsers read both as
    another host), no control characters or white space anywhere, also not percent-encoded.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    decoded = target
    for _round in range(3):  # "/%252F%252Fevil" decodes twice before it looks like a host
        if _UNSAFE_IN_PATH.search(decoded) or not decoded.startswith("/") or decoded.startswith("//"):
            return None
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc:
            return None
        unquoted = unquote(decoded)
        if unquoted == decoded:
            break
        decoded = unquoted
    else:
        return None
    return target


def _safe_next_or_none(value):
    return safe_next(value)


# Passwords are taken as typed (no stripping); control characters are refused like everywhere else.
FormPassword = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1,
                                                max_length=MAX_PASSWORD_LENGTH), AfterValidator(_no_controls)]
# Where to go after signing in: an odd value is dropped (the default page), never an error.
NextPath = Annotated[str | None, BeforeValidator(_safe_next_or_none)]


class LoginFormInput(Schema):
    """POST /anmelden (the HTML form; the JSON sign-in /api/auth/login has its own model)."""

    email: Email
    password: FormPassword
    next: NextPath = None


class PasswordForgottenInput(Schema):
    """POST /konto/passwort-vergessen"""

    email: Email


class NewPasswordInput(Schema):
    """POST /konto/passwort-neu/<token>: the password rules are checked by the service."""

    password: FormPassword
    confirm: FormPassword


class CodeInput(Schema):
    """A second-factor code: 6 digits from the app or a recovery code (spaces and dashes are ignored)."""

    code: Line(40, min_length=1)


class NotificationInput(Schema):
    """POST /konto/benachrichtigungen: a checkbox sends "y" when ticked and nothing when not."""

    notify_status_changes: bool = False


# --- the JSON sign-in (/api/auth/*) --------------------------------------------------------------------

# A password is taken as typed: no stripping, bounded length (control characters never pass the door).
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class LoginInput(Schema):
    """POST /api/auth/login: e-mail address and password."""

    # The documented answer to a body that is not an address and a password is 400 invalid_request.
    error_codes: ClassVar[dict[str, str]] = {"email": "invalid_request", "password": "invalid_request"}
    error_status: ClassVar[int] = 400

    email: Line(254, min_length=1) = Field(description="The account's e-mail address")
    password: Password
    otp: Line(40, min_length=1) | None = Field(
        default=None, description="The current 6-digit code of the authenticator app, or an unused recovery "
                                  "code; required for an account with a second factor")


class UserOut(Schema):
    email: str
    name: str
    role: str = Field(description="customer, agent, lead (team lead), editor or admin")


class SignedIn(Schema):
    """The signed-in account; the session cookie now authenticates the client."""

    user: UserOut


class CsrfToken(Schema):
    """The token to send as X-CSRFToken with state-changing requests that ride on the session cookie."""

    csrf_token: str
