"""/sso/oidc/login and /sso/oidc/callback: sign-in with the shop's OpenID Connect provider."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from app.accounts.sessions import start_session
from app.core.errors import InvalidInput
from app.core.schemas import parse_query
from app.extensions import db
from app.sso import oidc
from app.sso.identity import SsoRefused, log_refusal, shop_customer_account
from app.sso.schemas import OidcCallbackQuery, OidcLoginQuery

bp = Blueprint("sso_oidc", __name__, url_prefix="/sso/oidc")

METHOD = "oidc"


@bp.before_request
def only_when_configured():
    if not oidc.configured():
        abort(404)


def _refused(refusal: SsoRefused):
    log_refusal(METHOD, refusal)
    status = getattr(refusal, "status", 400)
    # The provider's trouble is usually over soon, as the database's is (app/errors.py answers the same).
    headers = {"Retry-After": "30"} if status == 503 else {}
    return render_template("sso/refused.html", unavailable=status == 503), status, headers


@bp.get("/login")
def login():
    """Send the customer to the shop's provider; they come back to the callback."""
    query = parse_query(OidcLoginQuery)
    try:
        return redirect(oidc.begin(query.next))
    except SsoRefused as refusal:
        return _refused(refusal)


@bp.get("/callback")
def callback():
    """Check the provider's answer, sign the shop's customer in and send them where they wanted to go."""
    try:
        query = parse_query(OidcCallbackQuery)
    except InvalidInput:
        return _refused(SsoRefused("bad_callback", "unreadable query string"))
    try:
        identity = oidc.finish(query.state, query.code, query.error)
        user = shop_customer_account(identity.customer_number, identity.email, identity.name, origin="sso-oidc")
    except SsoRefused as refusal:
        db.session.rollback()
        return _refused(refusal)
    db.session.commit()
    start_session(user)
    return redirect(identity.next or url_for("accounts.account"))
