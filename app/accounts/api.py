"""Session sign-in for JSON clients: /api/auth/login, /logout, /csrf."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.accounts.limits import failed_logins_per_account, failed_logins_per_address
from app.accounts.service import authenticate, end_all_sessions
from app.accounts.sessions import start_session
from app.core.errors import Unauthorized
from app.extensions import csrf, db

bp = Blueprint("accounts_api", __name__, url_prefix="/api/auth")


def user_json(user) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role}


@bp.post("/login")
@csrf.exempt
@failed_logins_per_address
@failed_logins_per_account
def login():
    """Sign in with {"email", "password"}; the session cookie then authenticates the client."""
    # Only a JSON body is accepted: a cross-site form cannot send one without a CORS preflight,
    # which is what protects this CSRF-exempt endpoint.
    if not request.is_json:
        return jsonify({"error": {"code": "unsupported_media_type", "message": _("Bitte senden Sie JSON.")}}), 415
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) or not isinstance(body.get("password"), str):
        return jsonify({"error": {"code": "invalid_request", "message": _("E-Mail und Passwort werden benötigt.")}}), 400
    user = authenticate(body["email"], body["password"])
    if user is None:
        return jsonify({"error": {"code": "invalid_credentials", "message": _("E-Mail-Adresse oder Passwort ist falsch.")}}), 401
    db.session.commit()
    start_session(user)
    return jsonify({"user": user_json(user)})


@bp.post("/logout")
def logout():
    """Sign out: every session of the account ends, also copies of the cookie and other devices."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return "", 204


@bp.get("/csrf")
def csrf_token():
    return jsonify({"csrf_token": generate_csrf()})


@bp.get("/me")
def me():
    if not current_user.is_authenticated:
        raise Unauthorized()
    return jsonify({"user": user_json(current_user)})
