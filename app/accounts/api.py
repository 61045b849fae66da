"""Session sign-in for JSON clients: /api/auth/login, /logout, /csrf."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.accounts.limits import failed_codes_per_account, failed_logins_per_account, failed_logins_per_address
from app.accounts.schemas import CsrfToken, LoginInput, SignedIn, UserOut
from app.accounts.service import authenticate, end_all_sessions, password_sign_in_allowed
from app.accounts.signin import after_password
from app.accounts.twofactor import SecondFactorRefused
from app.api.openapi import api_operation
from app.core.errors import DomainError, Unauthorized
from app.core.schemas import parse_json
from app.extensions import csrf, db

bp = Blueprint("accounts_api", __name__, url_prefix="/api/auth")


def user_json(user) -> dict:
    return SignedIn(user=UserOut(email=user.email, name=user.name, role=user.role)).model_dump(mode="json")


@bp.post("/login")
@csrf.exempt
@failed_logins_per_address
@failed_logins_per_account
@failed_codes_per_account
@api_operation("Sign in; the session cookie then authenticates the client", body=LoginInput, parse_body=False,
               responses={200: SignedIn}, errors=(401, 403, 413, 415, 422), tags=("auth",),
               description="JSON only (415 otherwise). 400 `invalid_request` without an e-mail address and a "
                           "password as text; 401 `invalid_credentials` for an unknown address or a wrong password; "
                           "401 `second_factor_required` when the account has a second factor and no `otp` "
                           "was sent, 401 `invalid_second_factor` for a wrong or used code; "
                           "403 `sso_required` for a customer when HELPCENTER_CUSTOMER_LOGIN=sso.")
def login():
    """Sign in with {"email", "password"} (and "otp" for an account with a second factor)."""
    # Only a JSON body is accepted: a cross-site form cannot send one without a CORS preflight,
    # which is what protects this CSRF-exempt endpoint.
    if not request.is_json:
        raise DomainError(_("Bitte senden Sie JSON."), code="unsupported_media_type", status=415)
    body = parse_json(LoginInput)
    user = authenticate(body.email, body.password)
    if user is None:
        raise Unauthorized(_("E-Mail-Adresse oder Passwort ist falsch."), code="invalid_credentials")
    if not password_sign_in_allowed(user, current_app.config):
        db.session.rollback()
        raise DomainError(_("Bitte melden Sie sich mit Ihrem Kundenkonto bei %(shop)s an.",
                            shop=current_app.config["HELPCENTER_SHOP_NAME"]), code="sso_required", status=403)
    try:
        after_password(user, otp=body.otp, can_wait=False)
    except SecondFactorRefused as exc:
        if body.otp is None:
            raise Unauthorized(_("Bitte senden Sie auch den Code Ihres zweiten Faktors (otp)."),
                               code="second_factor_required") from None
        g.second_factor_failed = True  # counts against the failed-code limit of the account
        raise Unauthorized(str(exc), code="invalid_second_factor") from None
    db.session.commit()
    return jsonify(user_json(user))


@bp.post("/logout")
@api_operation("Sign out", responses={204: None}, tags=("auth",))
def logout():
    """Sign out: every session of the account ends, also copies of the cookie and other devices."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return "", 204


@bp.get("/csrf")
@api_operation("The CSRF token of this session", responses={200: CsrfToken}, tags=("auth",))
def csrf_token():
    """The token to send as X-CSRFToken with state-changing requests."""
    return jsonify(CsrfToken(csrf_token=generate_csrf()).model_dump(mode="json"))


@bp.get("/me")
@api_operation("The signed-in account", responses={200: SignedIn}, errors=(401,), auth="session", tags=("auth",))
def me():
    """Who is signed in; 401 when nobody is."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    return jsonify(user_json(current_user))
