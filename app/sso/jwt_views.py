"""GET /sso/jwt: the shop signs a short-lived token and sends its signed-in customer here."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from sqlalchemy.exc import OperationalError

from app.accounts.sessions import start_session
from app.core.errors import InvalidInput
from app.core.schemas import parse_query
from app.extensions import db
from app.sso.identity import SsoRefused, log_refusal
from app.sso.jwt_handoff import purge_used_token_ids, sign_in_from_token
from app.sso.links import shop_sign_in_links
from app.sso.schemas import JwtHandoffQuery

bp = Blueprint("sso_jwt", __name__, url_prefix="/sso")

# The sign-in page lists the shop's sign-in next to (or instead of) the password form.
bp.add_app_template_global(shop_sign_in_links, "shop_sign_in_links")


@bp.get("/jwt")
def jwt_handoff():
    """Sign in the customer the shop's token vouches for and go on to `return_to` (a path here only)."""
    try:
        query = parse_query(JwtHandoffQuery)
    except InvalidInput:
        # Only the token can fail the schema (far too long); an odd return_to is simply dropped.
        return _refused(SsoRefused("malformed_token", "the jwt parameter is too long"))
    try:
        user = sign_in_from_token(query.jwt, current_app.config)
    except SsoRefused as refusal:
        return _refused(refusal)
    db.session.commit()
    start_session(user)
    _forget_expired_token_ids()
    return redirect(query.return_to or url_for("accounts.account"))


def _refused(refusal: SsoRefused):
    db.session.rollback()
    log_refusal("jwt", refusal)
    # Not set up at all: the address does not exist here, as any other unknown page.
    status = 404 if refusal.reason == "not_configured" else 400
    return render_template("sso/refused.html"), status


def _forget_expired_token_ids() -> None:
    # Housekeeping after the sign-in is committed, so that it never holds up or undoes one.
    try:
        purge_used_token_ids()
        db.session.commit()
    except OperationalError:
        db.session.rollback()  # two purges crossing each other: the next sign-in purges again
