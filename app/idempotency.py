"""Idempotency keys and request fingerprints, shared by everything that creates a record once."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


class FieldErrors(ValueError):
    """A request that cannot become a record; errors maps field names to messages for the customer."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def request_fingerprint(request, ignore: tuple[str, ...]) -> str:
    """A hash of what was asked for, so that a reused key with another request is noticed."""
    relevant = {k: v for k, v in dataclasses.asdict(request).items() if k not in ignore}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def scoped_key(raw: str, scope: str) -> str | None:
    """The client's Idempotency-Key within the caller's scope; None when the key is malformed."""
    return f"api:{scope}:{raw}" if KEY_PATTERN.match(raw) else None
