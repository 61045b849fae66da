"""Card numbers however they are written are masked to first 6 / last 4; IBANs, phones, orders, dates stay.

The strategies generate what customers type (groupings, separators, neighbouring numbers) and were
written before looking at what the masking does with them.
"""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.privacy.redaction import luhn_valid, mask_card_numbers

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEPARATORS = [" ", "  ", ".", "-", "_", " - ", "\u00a0", "\u202f", "\u2007", "\u2009", "\t", "\n", "\r\n",
              "\u2013", "\uff0d", "\u200b"]
WORDS = ["Hallo", "meine", "Karte", "Kreditkarte", "Nummer", "lautet", "bitte", "löschen", "Danke!", "Grüße",
         "Visa", "Mastercard", "Zahlung", "abgebucht", "(", ")", "–", "…", "ist", "die", "Rückfrage:"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def luhn_check_digit(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return check
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw) -> str:
    """A Luhn-valid 13-19 digit number behind a random issuer prefix (cards never start with 0)."""
    length = draw(st.integers(13, 19))
    body = str(draw(st.integers(1, 9))) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                 min_size=length - 2, max_size=length - 2)))
    return body + luhn_check_digit(body)


@st.composite
def groupings(draw, length: int) -> list[int]:
    kind = draw(st.sampled_from(["whole", "uniform", "amex", "random"]))
    if kind == "whole":
        return [length]
    if kind == "uniform":
        size = draw(st.integers(3, 6))
        sizes = [size] * (length // size)
        return sizes + ([length % size] if length % size else [])
    if kind == "amex" and length in (14, 15):
        return [4, 6, length - 10]
    sizes, left = [], length
    while left:
        size = draw(st.integers(1, min(8, left)))
        sizes.append(size)
        left -= size
    return sizes


@st.composite
def written_cards(draw) -> tuple[str, str]:
    """(digits, how the customer wrote them): groups, one or mixed separators, sometimes fullwidth."""
    digits = draw(card_numbers())
    sizes = draw(groupings(len(digits)))
    mixed = draw(st.booleans())
    fixed = draw(st.sampled_from(SEPARATORS))
    parts, position = [], 0
    for index, size in enumerate(sizes):
        if index:
            parts.append(draw(st.sampled_from(SEPARATORS)) if mixed else fixed)
        parts.append(digits[position:position + size])
        position += size
    text = "".join(parts)
    if draw(st.integers(0, 4)) == 0:
        text = text.translate(FULLWIDTH)
    return digits, text


words = st.lists(st.sampled_from(WORDS), min_size=0, max_size=5).map(" ".join)
order_numbers = st.integers(10_000, 999_999_999).map(str)
expiries = st.tuples(st.integers(1, 12), st.integers(24, 35), st.booleans()).map(
    lambda t: f"{t[0]:02d}/{t[1]}" if t[2] else f"{t[0]:02d}/20{t[1]}")


def digit_stream(text: str) -> list[str]:
    """Digits (as ASCII) and mask stars in order: masking keeps one entry per digit."""
    return [str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text if c.isdecimal() or c == "*"]


def masked_form(digits: str) -> str:
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


@st.composite
def separated_contexts(draw) -> tuple[str, str]:
    """Text around the card that no digit chain connects to it: words, an order number, an expiry."""
    kind = draw(st.sampled_from(["words", "order_before", "expiry_after", "cvc_after", "lines"]))
    before, after = draw(words), draw(words)
    if kind == "order_before":
        before = f"Bestellung {draw(order_numbers)} Karte"
    elif kind == "expiry_after":
        after = f"exp {draw(expiries)}"
    elif kind == "cvc_after":
        after = f"CVC {draw(st.integers(100, 9999))}"
    elif kind == "lines":
        before, after = f"{before}\nKarte:", f"\n{after}"
    prefix = before + draw(st.sampled_from([" ", ": ", "\n", " (", "\u00a0"])) if before else ""
    suffix = draw(st.sampled_from([" ", ". ", ", ", ")", "\n"])) + after if after else ""
    return prefix, suffix


@FAST
@given(written_cards(), separated_contexts())
def test_a_card_however_written_keeps_only_first6_last4(card, context):
    digits, written = card
    prefix, suffix = context
    assert mask_card_numbers(prefix + written + suffix) == prefix + masked_form(digits) + suffix


@st.composite
def adjacent_neighbours(draw) -> tuple[str, str]:
    """Numbers joined to the card only by a separator: an order number before, an expiry or CVC after."""
    separator = draw(st.sampled_from([" ", "  ", "\n", " - ", "\u00a0", "\t"]))
    before = draw(st.one_of(st.just(""), order_numbers.map(lambda n: f"Bestellung {n}{separator}")))
    after = draw(st.one_of(st.just(""), expiries.map(lambda e: separator + e),
                           st.integers(100, 9999).map(lambda c: f"{separator}{c}")))
    return before, after


@FAST
@given(written_cards(), adjacent_neighbours())
def test_no_card_digit_beyond_first6_last4_survives_next_to_other_numbers(card, neighbours):
    digits, written = card
    before, after = neighbours
    text = before + written + after
    out = mask_card_numbers(text)
    stream_in, stream_out = digit_stream(text), digit_stream(out)
    assert len(stream_out) == len(stream_in)  # one entry per digit: nothing lost, nothing added
    offset = len(digit_stream(before))
    card_out = "".join(stream_out[offset:offset + len(digits)])
    assert card_out[6:-4] == "*" * (len(digits) - 10), (text, out)
    assert digits not in "".join(stream_out)


@FAST
@given(st.lists(st.one_of(written_cards().map(lambda c: c[1]), order_numbers, expiries, st.sampled_from(WORDS),
                          st.sampled_from(SEPARATORS + ["/", ",", "*", "+", "DE", "#"])), max_size=12).map("".join))
def test_masking_twice_changes_nothing(text):
    once = mask_card_numbers(text)
    assert mask_card_numbers(once) == once


def test_cards_glued_together_are_all_masked_in_one_go():
    # Found by the property above: the last card only stood alone once its neighbour was masked, so a
    # second masking (e.g. a stored, masked text masked again) changed it.
    text = "１０００００００００００９１０００００００００００９１ ０ ００００００ ００００４７９４ ３１０００００００００００９"
    once = mask_card_numbers(text)
    assert mask_card_numbers(once) == once
    assert "31000000000009" not in once and "３１０００００００００００９" not in once


# What must stay readable

IBAN_FORMATS = {  # country: BBAN as (kind, length) parts; n = digits, a = capital letters, c = either
    "DE": [("n", 18)], "AT": [("n", 16)], "CH": [("n", 17)], "BE": [("n", 12)], "ES": [("n", 20)],
    "FR": [("n", 10), ("c", 11), ("n", 2)], "IT": [("a", 1), ("n", 10), ("c", 12)], "NL": [("a", 4), ("n", 10)],
    "GB": [("a", 4), ("n", 14)], "PL": [("n", 24)], "PT": [("n", 21)], "LU": [("n", 3), ("c", 13)],
    "DK": [("n", 14)], "SE": [("n", 20)], "NO": [("n", 11)], "CZ": [("n", 20)],
}
ALPHABETS = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


@st.composite
def ibans(draw) -> str:
    country = draw(st.sampled_from(sorted(IBAN_FORMATS)))
    bban = "".join("".join(draw(st.lists(st.sampled_from(ALPHABETS[kind]), min_size=n, max_size=n)))
                   for kind, n in IBAN_FORMATS[country])
    check = 98 - _mod97(bban + country + "00")
    iban = f"{country}{check:02d}{bban}"
    assert _mod97(iban[4:] + iban[:4]) == 1
    if draw(st.booleans()):
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


@st.composite
def german_phones(draw) -> str:
    area = str(draw(st.integers(1, 9))) + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=1,
                                                                  max_size=3)))
    subscriber = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=5, max_size=8)))
    if draw(st.booleans()):
        cut = draw(st.integers(1, len(subscriber) - 1))
        subscriber = subscriber[:cut] + draw(st.sampled_from(["-", " ", ""])) + subscriber[cut:]
    prefix = draw(st.sampled_from(["+49 ", "+49", "0049 ", "0", "(0", "+49 (0)"]))
    gap = ") " if prefix == "(0" else draw(st.sampled_from([" ", "/", "-", " / "]))
    return f"{prefix}{area}{gap}{subscriber}"


dates = st.dates().filter(lambda d: 1900 <= d.year <= 2099).flatmap(lambda d: st.sampled_from(
    [d.strftime("%d.%m.%Y"), d.isoformat(), f"{d.day}.{d.month}.{d.year}", d.strftime("%d.%m.%y")]))
amounts = st.integers(1, 9_999_999).flatmap(lambda cents: st.sampled_from(
    [f"{cents // 100},{cents % 100:02d} €", f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d} EUR",
     f"EUR {cents / 100:.2f}"]))
readable = st.one_of(ibans(), german_phones(), order_numbers, order_numbers.map("#{}".format), dates, amounts)
JOINERS = [", ", " und ", "; ", " – Tel. ", "\nBestellung ", " vom ", " über ", ". IBAN: "]


@FAST
@given(st.lists(st.tuples(readable, st.sampled_from(JOINERS)), min_size=1, max_size=6), words)
def test_ibans_phones_orders_dates_and_amounts_stay_readable(items, tail):
    text = "".join(item + joiner for item, joiner in items) + tail
    assert mask_card_numbers(text) == text


@pytest.mark.parametrize("text", [
    "IBAN DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19",
    "AT61 1904 3002 3457 3201", "FR14 2004 1010 0505 0001 3M02 606", "+49 40 123456-78", "0151 23456789",
    "+49 151 23456789", "0049 151 23456789", "Bestellung 100234567 und Tel. 040 123 456 70",
    "12.03.2024 - 15.03.2024", "12.03.2024 100234", "2024-03-12 100234567 49,99 €", "1.299,00 EUR",
    "4111 1111 1111 1112 ist keine gültige Nummer", "Sendung 00340434161094042557",
])
def test_other_numbers_are_left_alone(text):
    assert mask_card_numbers(text) == text


@pytest.mark.parametrize("text,expected", [
    ("Bestellung 100234 Karte 4111 1111 1111 1111", "Bestellung 100234 Karte 411111******1111"),
    ("4111111111111111 12/27", "411111******1111 12/27"),
    ("4111 1111 1111 1111 exp 12/2027", "411111******1111 exp 12/2027"),
    ("4111.1111.1111.1111", "411111******1111"),
    ("4111\u00a01111\u202f1111\u20071111", "411111******1111"),
    ("4111\r\n1111\n1111\t1111", "411111******1111"),
    ("4111  1111 - 1111.1111", "411111******1111"),
    ("４１１１ １１１１ １１１１ １１１１", "411111******1111"),
    ("Amex 3782 822463 10005.", "Amex 378282*****0005."),
    ("IBAN DE89 3704 0044 0532 0130 00, Karte 5555 5555 5555 4444",
     "IBAN DE89 3704 0044 0532 0130 00, Karte 555555******4444"),
])
def test_everyday_spellings(text, expected):
    assert mask_card_numbers(text) == expected


@pytest.mark.parametrize("text", ["100234 4111 1111 1111 1111", "1002344111111111111111",
                                  "4111 1111 1111 1111 123", "Karte 4111111111111111\n12/27"])
def test_a_card_next_to_an_order_number_or_cvc_is_found_inside_the_longer_run(text):
    out = mask_card_numbers(text)
    assert "4111111111111111" not in "".join(digit_stream(out)) and "******" in out
