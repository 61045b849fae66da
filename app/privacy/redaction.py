"""Keep card numbers and contact details out of stored free text.

How a card number is found (PCI DSS 3.4: at most the first 6 and last 4 digits stay readable):

1. Valid IBANs (mod 97, the country's length) are set aside first: they are long digit runs, not cards.
2. A *chain* is a run of digit groups joined by separators people put into card numbers: up to four
   blanks of any kind (spaces, no-break and thin spaces, tabs, line breaks), or one dot, dash or
   underscore with a blank or two around it. Any Unicode decimal digit counts (fullwidth ４１１１ too).
   A slash, comma, colon or letter ends a chain, so "12/27", "49,99" and "14:30" never join a card.
3. Inside a chain, dates (12.03.2024, 2024-03-12) are set aside, and a chain right after "+" with at
   most 15 digits (E.164) is a phone number.
4. Every window of 13-19 digits that starts and ends at a group boundary (or anywhere inside one
   glued group of 19 or more digits, like an order number typed straight before a card), does not
   start with 0 and passes the Luhn check is a card. The middle digits of *every* such window are
   masked, so a card stays masked even when a neighbouring number (an order number before it, a
   CVC or expiry after it) makes another window valid too.
5. Overlapping windows are written as one run without separators: "4111 1111 1111 1111" becomes
   "411111******1111". A masked run's '*' belongs to its group, so masking twice changes nothing.
"""
from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\d[\d /-]{6,}\d(?![\w])")
# A word with five or more digits in it: an order, customer, tracking or house number, a postcode. A card
# number masked above (411111******1111) stays as it is: that form is already safe.
_NUMBER_WORD = re.compile(r"(?<![\w*])\w*\d(?:\w*?\d){4}\w*(?![\w*])")

_BLANK = r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]"
_DASH = r"[.\-_\u2010-\u2015\u2212\u2043\u00b7\uff0d\uff0e\uff3f]"
_SEPARATOR = rf"(?:{_BLANK}{{1,4}}|{_BLANK}{{0,2}}(?:{_DASH}|\*{{1,2}}){_BLANK}{{0,2}})"
# A group is digits, and the run of three or more '*' an earlier masking left in it, so masking
# again finds the same groups (a masked middle is at least 3 long; one or two '*' separate groups).
_GROUP_PATTERN = r"\d(?:\d|\*{3,})*"
_CHAIN = re.compile(rf"{_GROUP_PATTERN}(?:{_SEPARATOR}{_GROUP_PATTERN})*")
_GROUP = re.compile(_GROUP_PATTERN)
_DIGIT = re.compile(r"\d")

MIN_CARD, MAX_CARD = 13, 19
_VISIBLE_START, _VISIBLE_END = 6, 4
_GLUED_GROUP = 19  # a group this long may hide a card glued to another number
_PHONE_DIGITS = 15  # E.164

# IBAN lengths by country (SWIFT IBAN registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
_IBAN_START = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{2})([0-9]{2})")
_IBAN_GAP = re.compile(r"[ \u00a0\u2007\u202f\u2009-]?")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = unicodedata.decimal(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Passes until nothing changes: cards glued together without separators can hide a second card that
# only stands alone once its neighbour is masked. Masking only ever turns digits into "*", so this ends.
_MAX_PASSES = 6


def mask_card_numbers(text: str) -> str:
    """Mask Luhn-valid 13-19 digit numbers to first 6 / last 4 digits (PCI DSS 3.4), however written.

    Masking a masked text changes nothing (the privacy promise holds however often a text is stored)."""
    for _pass in range(_MAX_PASSES):
        masked = _mask_once(text)
        if masked == text:
            return masked
        text = masked
    return text


def _mask_once(text: str) -> str:
    if not text or not _DIGIT.search(text):
        return text
    work = _blank_out_ibans(text)
    replacements = []
    for chain in _CHAIN.finditer(work):
        replacements.extend(_mask_chain(text, chain, work))
    if not replacements:
        return text
    parts, last = [], 0
    for start, end, rendered in replacements:
        parts.append(text[last:start])
        parts.append(rendered)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def anonymize_search_query(text: str) -> str:
    """A logged search keeps what was asked, not who asked: no card, phone, order or tracking numbers, no e-mails."""
    text = mask_card_numbers(text)
    text = _EMAIL.sub("[E-Mail]", text)
    text = _PHONE.sub("[Nummer]", text)
    # Order and tracking numbers identify a customer as well as a name; what was asked stays readable.
    return _NUMBER_WORD.sub("[Nummer]", text)


# IBANs

def _blank_out_ibans(text: str) -> str:
    """The text with every valid IBAN replaced by as many letters, so no chain reaches into one."""
    spans = []
    for match in _IBAN_START.finditer(text):
        if spans and match.start() < spans[-1][1]:
            continue
        end = _iban_end(text, match)
        if end is not None:
            spans.append((match.start(), end))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "I" * (end - start)
    return "".join(chars)


def _iban_end(text: str, match: re.Match) -> int | None:
    country = match.group(1).upper()
    length = _IBAN_LENGTHS.get(country)
    if length is None:
        return None
    bban, position = [], match.end()
    while len(bban) < length - 4:
        gap = _IBAN_GAP.match(text, position)
        position = gap.end()
        if position >= len(text) or not (text[position].isascii() and text[position].isalnum()):
            return None
        bban.append(text[position].upper())
        position += 1
    if position < len(text) and text[position].isalnum():
        return None
    rearranged = "".join(bban) + country + match.group(2)
    number = "".join(str(int(char, 36)) for char in rearranged)
    return position if int(number) % 97 == 1 else None


# Chains of digit groups

class _Group:
    __slots__ = ("start", "end", "text")

    def __init__(self, start: int, end: int, text: str):
        self.start, self.end, self.text = start, end, text

    @property
    def digits(self) -> int:
        return len(self.text) - self.text.count("*")


def _mask_chain(text: str, chain: re.Match, work: str):
    groups = [_Group(chain.start() + m.start(), chain.start() + m.end(), m.group())
              for m in _GROUP.finditer(chain.group())]
    if sum(group.digits for group in groups) < MIN_CARD:
        return []
    if chain.start() > 0 and work[chain.start() - 1] == "+" and sum(g.digits for g in groups) <= _PHONE_DIGITS:
        return []
    replacements = []
    for run in _without_dates(groups, work):
        replacements.extend(_mask_run(text, run))
    return replacements


def _without_dates(groups: list[_Group], work: str) -> list[list[_Group]]:
    """The chain split into runs of groups, with dates (12.03.2024, 2024-03-12) left out."""
    runs, current, index = [], [], 0
    while index < len(groups):
        if _date_at(groups, index, work):
            if current:
                runs.append(current)
            current, index = [], index + 3
            continue
        current.append(groups[index])
        index += 1
    if current:
        runs.append(current)
    return runs


def _date_at(groups: list[_Group], index: int, work: str) -> bool:
    if index + 2 >= len(groups):
        return False
    first, second, third = groups[index:index + 3]
    separator = work[first.end:second.start]
    if separator not in (".", "-", "/") or work[second.end:third.start] != separator:
        return False
    # "12.03.2024.1111" continues with the same separator: a grouped number, not a date.
    if index > 0 and work[groups[index - 1].end:first.start] == separator:
        return False
    if index + 3 < len(groups) and work[third.end:groups[index + 3].start] == separator:
        return False
    if not all(group.text.isdecimal() for group in (first, second, third)):
        return False
    parts = [int(group.text) for group in (first, second, third)]
    lengths = [len(group.text) for group in (first, second, third)]
    if lengths == [4, 2, 2]:  # ISO
        year, month, day = parts
        return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31
    if lengths[0] <= 2 and lengths[1] <= 2 and lengths[2] in (2, 4):
        day, month, year = parts
        return 1 <= day <= 31 and 1 <= month <= 12 and (lengths[2] == 2 or 1900 <= year <= 2099)
    return False


def _mask_run(text: str, groups: list[_Group]) -> list[tuple[int, int, str]]:
    """Find every card window in one run of groups; return (start, end, replacement) spans of text."""
    positions, values = [], []  # per digit or '*': its place in text and value (None for '*')
    starts, ends = set(), set()
    for group in groups:
        glued = group.digits >= _GLUED_GROUP and not group.text.startswith("00")
        first = len(positions)
        for offset, char in enumerate(group.text):
            positions.append(group.start + offset)
            values.append(None if char == "*" else unicodedata.decimal(char))
        last = len(positions)
        if glued:
            starts.update(range(first, last))
            ends.update(range(first + 1, last + 1))
        else:
            starts.add(first)
            ends.add(last)
    count = len(values)
    if count - values.count(None) < MIN_CARD:
        return []
    plain, doubled, stars = _prefix_sums(values)
    windows = []
    for start in sorted(starts):
        if not values[start]:  # '*' or a leading 0: no card starts there
            continue
        for length in range(MIN_CARD, MAX_CARD + 1):
            end = start + length
            if end > count:
                break
            if end not in ends or stars[end] != stars[start]:
                continue
            parity = (end - 1) % 2  # the last digit is not doubled, nor any of its parity
            total = (plain[parity][end] - plain[parity][start]
                     + doubled[1 - parity][end] - doubled[1 - parity][start])
            if total % 10 == 0:
                windows.append((start, end))
    if not windows:
        return []
    masked = set()
    for start, end in windows:
        masked.update(range(start + _VISIBLE_START, end - _VISIBLE_END))
    replacements = []
    for first, last in _clusters(windows):
        rendered = "".join("*" if i in masked or values[i] is None else str(values[i]) for i in range(first, last))
        replacements.append((positions[first], positions[last - 1] + 1, rendered))
    return replacements


def _prefix_sums(values: list[int | None]):
    """Luhn sums over any window in O(1): digit sums split by position parity, plain and doubled."""
    plain = [[0], [0]]
    doubled = [[0], [0]]
    stars = [0]
    for index, value in enumerate(values):
        digit = value or 0
        own, other = index & 1, 1 - (index & 1)
        plain[own].append(plain[own][-1] + digit)
        plain[other].append(plain[other][-1])
        doubled[own].append(doubled[own][-1] + (digit * 2 - 9 if digit > 4 else digit * 2))
        doubled[other].append(doubled[other][-1])
        stars.append(stars[-1] + (value is None))
    return plain, doubled, stars


def _clusters(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(windows):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]
