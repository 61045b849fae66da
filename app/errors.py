"""One place that turns every error into a friendly page or a JSON error, never a stack trace."""
from __future__ import annotations

import logging

from flask import g, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException, SecurityError

from app.core.errors import DomainError, ServiceUnavailable, Unauthorized
from app.core.hosts import base_url_adapter
from app.core.requests import view_answers_json
from app.database import database_unavailable, is_transient, log_outage, safe_rollback
from app.extensions import login_manager

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("Die Anfrage war ungültig. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."),
        401: _("Bitte melden Sie sich an."),
        403: _("Sie haben keinen Zugriff auf diese Seite."),
        404: _("Diese Seite gibt es nicht (mehr)."),
        405: _("Diese Aktion ist hier nicht möglich."),
        413: _("Die Datei oder Anfrage ist zu groß."),
        429: _("Zu viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es dann erneut."),
        500: _("Da ist bei uns etwas schiefgelaufen. Bitte versuchen Sie es in ein paar Minuten noch einmal."),
        503: _("Die Hilfe wird gerade eingerichtet. Bitte versuchen Sie es in ein paar Minuten noch einmal."),
    }


def wants_json() -> bool:
    """JSON for the API, for requests that sent JSON (chat lines, beacons) and for clients that ask for it."""
    return (request.path.startswith("/api/") or request.is_json
            or request.accept_mimetypes.best == "application/json" or view_answers_json())


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or _messages().get(status, _messages()[500])
    if wants_json():
        return jsonify({"error": {"code": code or str(status), "message": message}}), status
    return render_template("errors/error.html", status=status, message=message), status


def invalid_fields(errors: dict[str, str]):
    """422 with a message per field, for JSON requests a person filled in."""
    return jsonify({"error": {"code": "invalid_request", "message": _("Bitte prüfen Sie die Angaben."),
                              "fields": errors}}), 422


def idempotency_conflict():
    return jsonify({"error": {"code": "idempotency_conflict",
                              "message": _("Dieser Idempotency-Key wurde schon für eine andere Anfrage "
                                           "verwendet.")}}), 422


def invalid_field(message: str, field: str | None = None):
    """422 naming the one field that is wrong, for machine-to-machine requests (webhooks)."""
    error = {"code": "invalid_request", "message": message}
    if field:
        error["field"] = field
    return jsonify({"error": error}), 422


def schema_missing(exc: BaseException) -> bool:
    """The database was never migrated (an operator step), as opposed to a fault in the app."""
    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return False
    text = str(exc.orig)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def domain_error_response(exc: DomainError):
    """The one rendering of a refusal: JSON for API clients, the friendly error page for people."""
    if wants_json():
        return jsonify(exc.body()), exc.status
    return render_template("errors/error.html", status=exc.status, message=exc.message,
                           fields=exc.fields), exc.status


def unavailable_response():
    """503 "gleich wieder da" without touching the database again (the page shows a visitor as signed out)."""
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    response = make_response(domain_error_response(ServiceUnavailable()))
    response.headers["Retry-After"] = "30"
    return response


def register(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc):
        safe_rollback()
        if isinstance(exc, ServiceUnavailable) or (isinstance(exc, Unauthorized) and g.get("database_unavailable")):
            # A visitor read as a guest only because the sign-in check could not reach the database.
            return unavailable_response()
        return domain_error_response(exc)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, _("Ihre Sitzung ist abgelaufen oder das Formular ist ungültig. "
                                     "Bitte laden Sie die Seite neu."), code="csrf")

    @app.errorhandler(SecurityError)
    def unknown_host(exc):
        # Flask refused the Host header (TRUSTED_HOSTS) before it could route: links on the error
        # page are built for the configured base URL instead.
        request_ctx.url_adapter = base_url_adapter()
        return error_response(400, code="unknown_host")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 429 and exc.response is not None and not wants_json():
            # A view's own answer to its rate limit (the contact form keeps what was typed) goes out as it is.
            return exc.response
        return error_response(exc.code or 500, code=exc.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def unexpected_error(exc):
        safe_rollback()
        if schema_missing(exc):
            log.error("the database has no tables yet: run `flask --app wsgi db upgrade` (%s %s)",
                      request.method, request.path)
            return error_response(503, code="not_set_up")
        if database_unavailable(exc):
            log_outage(exc, f"{request.method} {request.path}")
            return unavailable_response()
        if is_transient(exc):
            # A deadlock or serialization failure outside commit_once: nothing was stored, try again.
            from app.idempotency import busy

            log.warning("transaction lost a race on %s %s (SQLSTATE %s)", request.method, request.path,
                        getattr(exc.orig, "sqlstate", None))
            return domain_error_response(busy())
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, code="internal_error")
