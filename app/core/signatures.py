"""Signed webhooks: the HMAC-SHA256 of the raw body under a shared secret, checked before anything is parsed."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app, request

from app.core.errors import Unauthorized

PREFIX = "sha256="
_HEX = frozenset("0123456789abcdef")


def signature_valid(body: bytes, header: str | None, secret: str | None) -> bool:
    """True when header is `sha256=<hex>` (or the bare hex) of body under secret.

    Odd headers (non-ASCII bytes, wrong length, not hex, missing) are simply not valid, never an error.
    """
    if not secret or not header:
        return False
    given = header.strip()
    if given.lower().startswith(PREFIX):
        given = given[len(PREFIX):]
    given = given.strip().lower()
    if len(given) != 64 or not set(given) <= _HEX:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def base64_signature_valid(body: bytes, header: str | None, secret: str | None) -> bool:
    """True when header is the base64 HMAC-SHA256 of body under secret, as AfterShip signs its webhooks
    (header aftership-hmac-sha256). Odd headers are simply not valid, never an error."""
    if not secret or not header:
        return False
    try:
        given = base64.b64decode(header.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, ValueError):
        return False
    if len(given) != hashlib.sha256().digest_size:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


def require_signature(secret_key: str = "HELPCENTER_WEBHOOK_SECRET", header: str = "X-Signature",
                      encoding: str = "hex") -> bytes:
    """The request's raw body if its signature header is valid; 401 `invalid_signature` otherwise.

    encoding: "hex" (`sha256=<hex>`, our own webhooks) or "base64" (AfterShip)."""
    body = request.get_data(cache=True)
    check = base64_signature_valid if encoding == "base64" else signature_valid
    if not check(body, request.headers.get(header), current_app.config.get(secret_key)):
        raise Unauthorized("invalid signature", code="invalid_signature")
    return body


def reference_token(purpose: str, reference: str, length: int = 16) -> str:
    """A short token that proves a link or an address was made by us for this reference (a case number …).

    HMAC-SHA256 under SECRET_KEY with the purpose mixed in (a reply-address token does not open a case page),
    base32 in lower case: it survives mail servers that lower-case addresses and fits an address's local part.
    It never expires: it stands in mails the customer may answer months later.
    """
    import base64

    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, f"{purpose}:{reference.lower()}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:length]


def reference_token_valid(purpose: str, reference: str, token, length: int = 16) -> bool:
    """True when token is reference_token(purpose, reference); anything odd is simply not valid."""
    if not isinstance(token, str) or len(token) != length or not token.isascii():
        return False
    return hmac.compare_digest(reference_token(purpose, reference, length), token.lower())
