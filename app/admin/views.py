"""/admin: the team (invite, role, deactivate, reset sign-in factors) and the audit trail. Admins only."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
def home():
    abort(404)
