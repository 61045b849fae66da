"""What the withdrawal form (/widerruf) accepts: one schema with the messages customers know from it.

Step 1's post is parsed here; step 2 posts back the server-signed draft of what step 1 parsed,
and that draft is parsed by the same schema again.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from app.core.emails import InvalidEmail, normalize_email
from app.core.schemas import Line, Schema

LIMITS = {"order_number": 40, "name": 200, "email": 254, "items_text": 1000, "reason": 2000}
MAX_SKUS = 50
MAX_SKU_LENGTH = 64
MAX_DATE_LENGTH = 40
# Control characters other than line breaks and tabs (those are allowed in the two free-text fields).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")
_GERMAN_DATE = re.compile(r"^(?P<day>\d{1,2})\.\s*(?P<month>\d{1,2})\.\s*(?P<year>\d{4})$")
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _refuse(message: str) -> PydanticCustomError:
    # "hc_" errors carry the customer's message as it is (app/core/schemas.py).
    return PydanticCustomError("hc_withdrawal", message)


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _refuse(_("Bitte als Text senden."))
    return value


def _line(name: str, required_message=None):
    """One line (order number, name): white space folded, no control characters or line breaks."""
    def check(value: Any) -> str | None:
        text = _text_or_none(value)
        if text is not None and (_CONTROL.search(text) or _LINE_BREAK.search(text.strip())):
            raise _refuse(_("Bitte entfernen Sie Steuerzeichen und Zeilenumbrüche aus diesem Feld."))
        text = " ".join((text or "").split())
        if len(text) > LIMITS[name]:
            raise _refuse(_("Bitte höchstens %(n)d Zeichen.", n=LIMITS[name]))
        if not text and required_message:
            raise _refuse(str(required_message))
        return text or None
    return BeforeValidator(check)


def _paragraphs(name: str):
    """Free text (items, reason): line breaks kept, other control characters refused."""
    def check(value: Any) -> str | None:
        text = _text_or_none(value)
        if text is not None and _CONTROL.search(text):
            raise _refuse(_("Bitte entfernen Sie die Steuerzeichen aus diesem Feld."))
        text = (text or "").strip()
        if len(text) > LIMITS[name]:
            raise _refuse(_("Bitte höchstens %(n)d Zeichen.", n=LIMITS[name]))
        return text or None
    return BeforeValidator(check)


def _email(value: Any) -> str:
    text = _text_or_none(value)
    if not (text or "").strip():
        raise _refuse(_("Bitte geben Sie Ihre E-Mail-Adresse an, damit wir den Eingang bestätigen können."))
    try:
        # The one validator of the help center: the same message as on every other form.
        return normalize_email(text)
    except InvalidEmail as exc:
        raise _refuse(str(exc)) from None


def _ordered_on(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = (_text_or_none(value) or "").strip()
    if not text:
        return None
    german = _GERMAN_DATE.match(text)
    try:
        if len(text) > MAX_DATE_LENGTH:
            raise ValueError(text)
        if german:
            return dt.date(int(german["year"]), int(german["month"]), int(german["day"]))
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise _refuse(_("Bitte geben Sie das Bestelldatum als Datum an, z. B. 2. 11. 2026.")) from None


def _skus(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, (list, tuple)) else ([] if value in (None, "") else [value])
    if len(values) > MAX_SKUS or not all(isinstance(sku, str) and 0 < len(sku) <= MAX_SKU_LENGTH
                                         and not _CONTROL.search(sku) for sku in values):
        raise _refuse(_("Diese Artikel gehören nicht zur gewählten Bestellung."))
    return tuple(dict.fromkeys(values))


def _submission_id(value: Any) -> str | None:
    # A hidden field of ours: anything else than what we put there is dropped, not shown as an error.
    return value[:64] if isinstance(value, str) and _SUBMISSION_ID.match(value[:64]) else None


class WithdrawalInput(Schema):
    """POST /widerruf (step 1), and the signed draft posted to /widerruf/bestaetigen and /aendern."""

    # Checked also when the field is not posted at all, so that it gets its own "Bitte geben Sie … an".
    order_number: Annotated[str, _line("order_number", _l("Bitte geben Sie die Bestellnummer an."))] = \
        Field(None, validate_default=True)
    name: Annotated[str, _line("name", _l("Bitte geben Sie Ihren Namen an."))] = Field(None, validate_default=True)
    email: Annotated[str, BeforeValidator(_email)] = Field(None, validate_default=True)
    skus: Annotated[tuple[str, ...], BeforeValidator(_skus)] = ()
    items_text: Annotated[str | None, _paragraphs("items_text")] = None
    ordered_on: Annotated[dt.date | None, BeforeValidator(_ordered_on)] = None
    reason: Annotated[str | None, _paragraphs("reason")] = None
    submission_id: Annotated[str | None, BeforeValidator(_submission_id)] = None


class DraftInput(Schema):
    """POST /widerruf/bestaetigen and /widerruf/aendern: step 1's input, signed by the server."""

    draft: Line(8000, min_length=1)
