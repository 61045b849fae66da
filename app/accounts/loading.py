"""How Flask-Login finds the signed-in user and answers anonymous requests."""
from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.models import User
from app.accounts.sessions import forget_login, session_still_valid
from app.database import database_unavailable, log_outage, safe_rollback
from app.errors import error_response, unavailable_response, wants_json
from app.extensions import db, login_manager


def configure_login(app) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_message = _l("Bitte melden Sie sich an, um diese Seite zu sehen.")

    @login_manager.user_loader
    def load_user(user_id: str):
        identifier, _, token = user_id.partition(":")
        if not identifier.isdigit():
            return None
        try:
            user = db.session.get(User, int(identifier))
        except SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            # The database is away: read articles and search as a guest meanwhile; the cookie is
            # kept, so the visitor is signed in again when it is back.
            safe_rollback()
            log_outage(exc, "sign-in check")
            g.database_unavailable = True
            return None
        # Logout, a new password and deactivation rotate the token: every older session of the
        # account stops here, whichever worker it reaches. Idle staff sessions end here too.
        if session_still_valid(user, token):
            return user
        forget_login()
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if g.get("database_unavailable"):
            return unavailable_response()
        if wants_json():
            return error_response(401, code="unauthorized")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
