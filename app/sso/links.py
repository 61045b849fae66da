"""Which ways to sign in with the shop's customer account the sign-in page offers, and where they lead."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _

from app.accounts.schemas import safe_next
from app.sso.jwt_handoff import remote_login_url


@dataclass(frozen=True)
class SignInLink:
    label: str
    url: str


def customer_login_mode(config=None) -> str:
    """HELPCENTER_CUSTOMER_LOGIN: "password", "sso" or "both"."""
    return (config or current_app.config).get("HELPCENTER_CUSTOMER_LOGIN", "both")


def shop_sign_in_links(next_path: str | None = None) -> list[SignInLink]:
    """The shop's sign-in buttons for the sign-in page (none in `password` mode or without SSO set up).

    Remote login (JWT): the shop's page signs the customer in there and sends them back through
    /sso/jwt with `return_to`, as the big help desks do it. OpenID Connect: our own /sso/oidc/login.
    """
    config = current_app.config
    if customer_login_mode(config) == "password":
        return []
    target = safe_next(next_path)
    shop = config["HELPCENTER_SHOP_NAME"]
    links: list[SignInLink] = []
    if config.get("HELPCENTER_OIDC_ISSUER"):
        links.append(SignInLink(_("Mit Ihrem Kundenkonto bei %(shop)s anmelden", shop=shop),
                                url_for("sso_oidc.login", next=target) if target else url_for("sso_oidc.login")))
    remote = remote_login_url(config, target or url_for("accounts.account"))
    if remote:
        label = (_("Im Shop %(shop)s anmelden", shop=shop) if links else
                 _("Mit Ihrem Kundenkonto bei %(shop)s anmelden", shop=shop))
        links.append(SignInLink(label, remote))
    return links
