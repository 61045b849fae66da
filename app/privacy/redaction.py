"""Keep card numbers and contact details out of stored free text."""
from __future__ import annotations

import re

# 13-19 digits, optionally grouped by single spaces or dashes, not glued to other digits.
_CARD_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\d[\d /-]{6,}\d(?![\w])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """Mask Luhn-valid 13-19 digit numbers to first 6 / last 4 digits (PCI DSS 3.4)."""
    def replace(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            return match.group(0)
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]

    return _CARD_CANDIDATE.sub(replace, text)


def anonymize_search_query(text: str) -> str:
    """A logged search keeps what was asked, not who asked: no card numbers, e-mails or phone numbers."""
    text = mask_card_numbers(text)
    text = _EMAIL.sub("[E-Mail]", text)
    return _PHONE.sub("[Nummer]", text)
