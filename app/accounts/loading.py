"""How Flask-Login finds the signed-in user and answers anonymous requests."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.sessions import forget_login, session_still_valid
from app.errors import error_response, wants_json
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
        user = db.session.get(User, int(identifier))
        # Logout, a new password and deactivation rotate the token: every older session of the
        # account stops here, whichever worker it reaches. Idle staff sessions end here too.
        if session_still_valid(user, token):
            return user
        forget_login()
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return error_response(401, code="unauthorized")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
