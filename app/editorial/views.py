"""/redaktion: the editors' workspace. Editors and admins only."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from app.editorial.overview import WINDOW_DAYS, articles_by_category, searches_without_results
from app.extensions import db, login_manager

bp = Blueprint("editorial", __name__, url_prefix="/redaktion")

EDITORIAL_ROLES = ("editor", "admin")


@bp.before_request
def require_editor():
    """Anonymous visitors sign in; customers and agents get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in EDITORIAL_ROLES:
        abort(403)
    return None


@bp.get("")
def home():
    """The articles per category and language with views and votes, and the searches that found nothing."""
    library = current_app.extensions["helpcenter.library"]
    response = current_app.make_response(render_template(
        "editorial/home.html", blocks=articles_by_category(db.session, library),
        missed=searches_without_results(db.session), days=WINDOW_DAYS))
    response.headers["Cache-Control"] = "no-store"
    return response
