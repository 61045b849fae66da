"""Only editors and admins write articles: anonymous visitors sign in (pages) or get 401 (API), others 403."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.extensions import login_manager

EDITORIAL_ROLES = ("editor", "admin")


def require_editor():
    """before_request hook of the editorial blueprints."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in EDITORIAL_ROLES:
        abort(403)
    return None
