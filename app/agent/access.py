"""Only agents, team leads and admins work cases: customers and editors get 403, anonymous visitors log in (HTML)
or get 401 (API)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.accounts.models import CASE_WORKER_ROLES
from app.extensions import login_manager

AGENT_ROLES = CASE_WORKER_ROLES


def is_agent(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in AGENT_ROLES)


def require_agent():
    """before_request hook of the agent blueprints."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in AGENT_ROLES:
        abort(403)
    return None
