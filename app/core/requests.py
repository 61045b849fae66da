"""The request as it reaches a view: bytes a database or a log cannot hold are refused at the door.

PostgreSQL refuses NUL in text and a JSON parser recurses on nesting; both used to end in a 500.
Here every path, query parameter, form field, header and JSON string is checked once, before any
view runs, and a bad one is a 400 in the one error shape.
"""
from __future__ import annotations

import re

from flask import Request, request
from flask_babel import gettext as _

from app.core.errors import BadRequest

MAX_JSON_DEPTH = 20
MAX_JSON_BYTES = 1024 * 1024
# NUL and the other C0 controls but tab, line feed and carriage return; DEL.
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Paths and query strings: no control character at all.
_BAD_LINE = re.compile(r"[\x00-\x1f\x7f]")


def _refuse(where: str) -> BadRequest:
    return BadRequest(_("Die Anfrage enthält unzulässige Zeichen (%(where)s).", where=where), code="bad_characters")


def _check_json(value, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(_("Das JSON ist zu tief verschachtelt."), code="bad_json")
    if isinstance(value, str):
        if _BAD_TEXT.search(value):
            raise _refuse("JSON")
    elif isinstance(value, dict):
        for key, item in value.items():
            if _BAD_TEXT.search(key):
                raise _refuse("JSON")
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise BadRequest(_("Das JSON enthält ungültige Zahlen."), code="bad_json")


class HelpCenterRequest(Request):
    """Flask's request with JSON that cannot hurt: bounded size and depth, no control characters."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if self.content_length is not None and self.content_length > MAX_JSON_BYTES and (force or self.is_json):
            raise BadRequest(_("Die Anfrage ist zu groß."), code="too_large", status=413)
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(_("Das JSON ist zu tief verschachtelt."), code="bad_json") from None
        if value is not None:
            _check_json(value)
        return value

    def on_json_loading_failed(self, e):
        raise BadRequest(_("Der Inhalt ist kein gültiges JSON."), code="bad_json")


def form_parsed_by_schema(view):
    """Mark a view whose form schema refuses control characters itself, with a message on the field.

    The door check below then leaves its form fields alone, so that the customer sees the form
    again with "Bitte entfernen Sie die Steuerzeichen" rather than an error page.
    """
    view.form_parsed_by_schema = True
    return view


def json_route(view):
    """Mark a view outside /api that always answers JSON (chat polling, beacons): its errors are JSON too,
    whatever the client's Accept header says."""
    view.answers_json = True
    return view


def view_answers_json() -> bool:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "answers_json", False))


def _form_checked_by_view() -> bool:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "form_parsed_by_schema", False))


def refuse_unsafe_input() -> None:
    """before_request: refuse control characters in the path, query, form fields and headers."""
    if _BAD_LINE.search(request.path):
        raise _refuse(_("Adresse"))
    for key, value in request.args.items(multi=True):
        # Tabs and line breaks in a pasted query are white space the schemas fold; other controls are refused.
        if _BAD_LINE.search(key) or _BAD_TEXT.search(value):
            raise _refuse(_("Parameter"))
    for name, value in request.headers.items():
        if "\x00" in value:
            raise _refuse(_("Kopfzeile"))
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data") and not _form_checked_by_view():
        for key, value in request.form.items(multi=True):
            if _BAD_TEXT.search(key) or _BAD_TEXT.search(value):
                raise _refuse(_("Formular"))
        for key, upload in request.files.items(multi=True):
            if _BAD_TEXT.search(key):
                raise _refuse(_("Formular"))
