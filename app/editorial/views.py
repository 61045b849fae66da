"""/redaktion: the editors' workspace. Editors and admins only."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("editorial", __name__, url_prefix="/redaktion")


@bp.get("")
def home():
    abort(404)
