"""/sso/oidc/login and /sso/oidc/callback: sign-in with the shop's OpenID Connect provider."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("sso_oidc", __name__, url_prefix="/sso/oidc")


@bp.get("/login")
def login():
    abort(404)


@bp.get("/callback")
def callback():
    abort(404)
