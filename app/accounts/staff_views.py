"""Staff sign-in steps: choosing a password from the invitation link, the second factor (TOTP or a
recovery code) and the security page where staff set it up. (Filled in by the 2FA work.)"""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("staff_signin", __name__)


@bp.route("/konto/willkommen/<token>", methods=["GET", "POST"])
def welcome(token):
    """Choose a password from the one-time invitation link (24 h)."""
    abort(404)
