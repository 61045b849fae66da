"""The single sign-on endpoints' inputs: query strings from the customer's browser and the provider, and
the claims inside the shop's hand-off token."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from app.accounts.schemas import NextPath
from app.core.schemas import Line, OptionalBlank, Schema


class OidcLoginQuery(Schema):
    """GET /sso/oidc/login?next=/konto: an odd `next` is dropped (the customer lands on "Mein Konto")."""

    next: NextPath = None


class OidcCallbackQuery(Schema):
    """GET /sso/oidc/callback: the provider sends code and state, or error (access_denied, login_required, …)."""

    state: Annotated[Line(256) | None, OptionalBlank] = None
    code: Annotated[Line(2048) | None, OptionalBlank] = None
    error: Annotated[Line(200) | None, OptionalBlank] = None


# A signed token of a few claims is well under 2 KB; anything near this is not the shop's token.
MAX_TOKEN_LENGTH = 8192
# Seconds since the epoch, as JWT NumericDate; booleans and strings are not times.
NumericDate = Annotated[int, Field(strict=True, ge=0, le=2 ** 40)]


class JwtHandoffQuery(Schema):
    """GET /sso/jwt?jwt=<token>&return_to=<path>: a missing or odd token is refused by the hand-off."""

    jwt: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TOKEN_LENGTH)] = ""
    # Where to go afterwards: only a path on this site, anything else is dropped ("Mein Konto").
    return_to: NextPath = None


class JwtClaims(Schema):
    """The claims of a verified hand-off token. `sub` is the shop's customer number as `shop import` uses it;
    identity.py checks its shape and the e-mail address."""

    sub: Line(200, min_length=1)
    email: Line(254, min_length=1)
    iat: NumericDate
    exp: NumericDate
    jti: Line(200, min_length=1)
    name: Line(200) | None = None
