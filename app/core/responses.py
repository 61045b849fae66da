"""Responses no browser or proxy may keep: personal data, secrets, one-time links, live states."""
from __future__ import annotations

from flask import current_app


def never_stored(body, status: int | None = None):
    """`body` (a string, a response or a view's tuple) as a response with Cache-Control: no-store."""
    response = current_app.make_response(body if status is None else (body, status))
    response.headers["Cache-Control"] = "no-store"
    return response
