"""One error hierarchy: every refusal the domain or the edge can give, with code, status and message.

Domain functions and schemas raise these; one handler in app/errors.py turns them into
`{"error": {"code", "message", "fields"?}}` for JSON requests and a friendly page otherwise.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A request the help center refuses on purpose, with what the caller should be told."""

    code = "invalid_request"
    status = 400
    default_message = _l("Die Anfrage war ungültig.")

    def __init__(self, message: str | None = None, *, code: str | None = None, status: int | None = None,
                 fields: dict[str, str] | None = None, field: str | None = None):
        self.field = field
        self.message = str(message) if message is not None else str(self.default_message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = dict(fields) if fields else None
        super().__init__(f"{self.code}: {self.message}")

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = {name: str(text) for name, text in self.fields.items()}
        if self.field:
            # Older endpoints documented one "field"; they keep it beside "fields".
            error["field"] = self.field
        return {"error": error}


class BadRequest(DomainError):
    """The request itself is malformed (bytes, encoding, JSON syntax, headers): 400."""

    code = "bad_request"
    status = 400


class InvalidInput(DomainError):
    """Well-formed, but the values cannot become a record: 422 with a message per field."""

    code = "invalid_request"
    status = 422
    default_message = _l("Bitte prüfen Sie die Angaben.")

    def __init__(self, fields: dict[str, str] | None = None, message: str | None = None, **kwargs):
        super().__init__(message, fields=fields, **kwargs)

    @property
    def errors(self) -> dict[str, str]:
        """The per-field messages (the name the older FieldErrors used)."""
        return self.fields or {}


class NotFound(DomainError):
    """Absent, or somebody else's: the same 404 either way."""

    code = "not_found"
    status = 404
    default_message = _l("Diese Seite gibt es nicht (mehr).")


class Conflict(DomainError):
    """The record's state does not allow this (any more): 409."""

    code = "conflict"
    status = 409
    default_message = _l("Das ist in diesem Zustand nicht möglich.")


class IdempotencyConflict(DomainError):
    """The same Idempotency-Key came with another request."""

    code = "idempotency_conflict"
    status = 422
    default_message = _l("Dieser Idempotency-Key wurde schon für eine andere Anfrage verwendet.")


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    default_message = _l("Bitte melden Sie sich an.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("Sie haben keinen Zugriff auf diese Seite.")


class ServiceUnavailable(DomainError):
    code = "unavailable"
    status = 503
    default_message = _l("Der Kundenservice ist gleich wieder da. Bitte versuchen Sie es in ein paar Minuten "
                         "noch einmal.")
