"""Idempotency keys and request fingerprints, shared by everything that creates a record once."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Callable, TypeVar

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, IdempotencyConflict, InvalidInput
from app.database import is_transient
from app.extensions import db

__all__ = ["FieldErrors", "IdempotencyConflict", "header_key", "earlier_record", "commit_once", "request_fingerprint",
           "busy", "ATTEMPTS"]

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
T = TypeVar("T")
# How often a transaction that lost a race (deadlock, serialization failure) is run again before a 409.
ATTEMPTS = 3


class FieldErrors(InvalidInput):
    """A request that cannot become a record; errors maps field names to messages for the customer."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)


def request_fingerprint(request_data, ignore: tuple[str, ...]) -> str:
    """A hash of what was asked for, so that a reused key with another request is noticed."""
    relevant = {k: v for k, v in dataclasses.asdict(request_data).items() if k not in ignore}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def header_key(scope: str) -> str | None:
    """The request's Idempotency-Key within the caller's scope; None without one, FieldErrors when malformed."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise FieldErrors({"Idempotency-Key": _("8 bis 100 Zeichen: Buchstaben, Ziffern, . _ : -")})
    scoped = f"api:{scope}:{raw}"
    # The key columns hold 100 characters; a long key within a long scope is stored as its hash.
    return scoped if len(scoped) <= 100 else "api:sha256:" + hashlib.sha256(scoped.encode()).hexdigest()


def earlier_record(model, key: str | None, fingerprint: str):
    """The record a request with this key already created (None if none); IdempotencyConflict if it asked otherwise."""
    if not key:
        return None
    existing = db.session.scalar(select(model).where(model.idempotency_key == key))
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return existing


def busy() -> Conflict:
    """The answer when a transaction kept losing races with parallel ones: try again, nothing was stored."""
    return Conflict(_("Ihre Anfrage kam gleichzeitig mit einer anderen an und wurde nicht gespeichert. "
                      "Bitte versuchen Sie es noch einmal."))


def commit_with_retries(submit: Callable[[], T], find_twin: Callable[[], T | None] = lambda: None) -> T:
    """Run submit and commit; on failure roll back.

    A unique key that refuses our insert may mean a concurrent twin got there first: find_twin
    returns its result (or None). A deadlock or serialization failure runs submit again, at most
    ATTEMPTS times, and then answers 409.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = submit()
            db.session.commit()
            return result
        except BaseException as exc:
            db.session.rollback()
            if isinstance(exc, IntegrityError):
                twin = find_twin()
                if twin is not None:
                    return twin
            if is_transient(exc):
                if attempt < ATTEMPTS:
                    continue
                raise busy() from exc
            raise
    raise AssertionError("unreachable")


def commit_once(submit: Callable[[], T], model, key: str | None, fingerprint: str,
                on_twin: Callable[[object], T]) -> T:
    """commit_with_retries for a record with an idempotency key: the twin with the same key and request counts."""
    def find_twin():
        if not key:
            return None
        existing = db.session.scalar(select(model).where(model.idempotency_key == key))
        if existing is not None and existing.request_fingerprint == fingerprint:
            return on_twin(existing)
        return None

    return commit_with_retries(submit, find_twin)
