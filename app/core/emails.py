"""One e-mail address validator for every form and endpoint: syntax only, no network look-ups."""
from __future__ import annotations

import idna
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _

MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """The text is not an address we could send an answer to; str() is the customer's message.

    The message is lazy: the check also runs where no request chooses a language (CLI imports, the outbox).
    """


def normalize_email(value: str) -> str:
    """The address as we store it (domain lower-cased, IDN in Unicode), or InvalidEmail.

    Refused: missing or doubled @, spaces, display names ("Anna <a@b.de>"), several addresses,
    a domain without a dot or with empty labels, quoted local parts, header-breaking characters.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidEmail(_("Bitte geben Sie Ihre E-Mail-Adresse an."))
    if len(text) > MAX_LENGTH or any(ch in text for ch in "\r\n\t,;<>\"\\ ") or text.count("@") != 1:
        raise InvalidEmail(_("Bitte prüfen Sie Ihre E-Mail-Adresse (Beispiel: name@beispiel.de)."))
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False,
                                 allow_quoted_local=False, allow_domain_literal=False, allow_display_name=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(_("Bitte prüfen Sie Ihre E-Mail-Adresse (Beispiel: name@beispiel.de).")) from exc
    return checked.normalized


def is_valid_email(value) -> bool:
    try:
        normalize_email(value)
    except InvalidEmail:
        return False
    return True


def ascii_email(value: str) -> str:
    """The address as an SMTP envelope needs it: checked by normalize_email, an IDN domain as punycode."""
    address = normalize_email(value)
    local, _at, domain = address.rpartition("@")
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidEmail(_("Bitte prüfen Sie Ihre E-Mail-Adresse (Beispiel: name@beispiel.de).")) from exc
