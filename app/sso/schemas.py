"""The single sign-on endpoints' inputs: query strings from the customer's browser and the provider."""
from __future__ import annotations

from typing import Annotated

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
