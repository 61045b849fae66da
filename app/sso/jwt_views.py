"""GET /sso/jwt: the shop signs a short-lived token and sends its signed-in customer here."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("sso_jwt", __name__, url_prefix="/sso")


@bp.get("/jwt")
def jwt_handoff():
    abort(404)
