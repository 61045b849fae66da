"""What a search asks the help center to do: track an order, start a return, withdraw, see a refund, change the
delivery address, or reach a person — read from the customer's words, German and English.

Plain functions over the search analysis (folding, stems, compound heads), so "zurückschicken", "schicke … zurück"
and "Rücksendung" meet, and "Bestellbestätigung" is not mistaken for "Bestellung". Each intent is a set of patterns
(every slot met by a different word of the query) and a set of words that make the query a question about rules,
costs or deadlines — those are answered by the articles, not by a flow ("was kostet die Rücksendung").
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from app.search.analysis import fold, word_terms, words

TRACKING, RETURN, WITHDRAWAL, REFUND, ADDRESS, CONTACT = "tracking", "return", "withdrawal", "refund", "address", \
    "contact"
# Intents that act on one order: an order number in the query goes with them.
ORDER_INTENTS = (TRACKING, RETURN, WITHDRAWAL, REFUND, ADDRESS)
MAX_INTENTS = 3
# When two intents match equally well, the narrower flow first; contact is the general way on, always last.
_PRIORITY = (WITHDRAWAL, REFUND, ADDRESS, RETURN, TRACKING, CONTACT)


@dataclass(frozen=True)
class Intent:
    kind: str
    order: str | None = None
    # For contact: the channel the customer named (phone, chat, email), if any.
    channel: str | None = None


@dataclass(frozen=True)
class _Word:
    forms: frozenset[str]      # the word as typed (folded), its stem and its compound head's stem
    parts: frozenset[str]      # every compound part besides: "Rechnungsadresse" also says "Rechnung"


def _analyse(word: str, lang: str) -> _Word:
    folded = fold(word)
    terms = word_terms(word, lang)
    if terms is None:
        return _Word(frozenset({folded}), frozenset({folded}))
    head = terms.parts[-1:] if terms.parts else ()
    forms = frozenset({folded, terms.exact, terms.stem, *head})
    return _Word(forms, forms | frozenset(terms.parts))


def _keys(text: str, lang: str) -> frozenset[str]:
    """The forms the words of a slot stand for ('zurückschicken zurücksenden' → their stems)."""
    found = set()
    for word in text.split():
        terms = word_terms(word, lang)
        found.add(terms.stem if terms is not None else fold(word))
    return frozenset(found)


@dataclass(frozen=True)
class _Rules:
    patterns: tuple[tuple[frozenset[str], ...], ...]
    # Words (or compound parts) that make it a question about rules, costs or time: the articles answer those.
    blockers: frozenset[str] = frozenset()


def _rules(lang: str, patterns: list[list[str]], blockers: str = "") -> _Rules:
    return _Rules(tuple(tuple(_keys(slot, lang) for slot in pattern) for pattern in patterns), _keys(blockers, lang))


# Reused slots ------------------------------------------------------------------------------------------------

_DE_PARCEL = "paket pakete päckchen sendung sendungen bestellung bestellungen lieferung lieferungen ware waren order"
_DE_RETURN_NOUN = "rücksendung retoure retouren rückgabe rücksendungen"
_DE_MONEY = "erstattung rückerstattung geld gutschrift rückzahlung erstattungen"
_EN_PARCEL = "order orders package packages parcel parcels shipment delivery item items stuff"
_EN_MONEY = "refund refunds money reimbursement credit"

# Questions about rules, costs and time (folded into every flow but contact).
_DE_INFO = ("kosten kostet kostenlos gebühr gebühren preis frist fristen dauer dauert dauern lange bedingungen "
            "ausgeschlossen ausnahme ausnahmen regel regeln richtlinie belehrung recht gesetz muster")
_EN_INFO = ("cost costs free fee fees price policy policies period window deadline rules conditions excluded "
            "exclusions exception exceptions right rights law long take takes")
# Signs that the customer is waiting for something of their own: then "wie lange dauert …" is a status question.
_DE_WAITING = "noch immer warte warten bleibt"
_EN_WAITING = "still yet waiting"


@functools.lru_cache(maxsize=2)
def _intent_rules(lang: str) -> dict[str, _Rules]:
    if lang == "de":
        return {
            TRACKING: _rules(lang, [
                ["sendungsverfolgung"], ["paketverfolgung"], ["sendungsnummer"], ["trackingnummer"], ["tracking"],
                ["lieferstatus"], ["bestellstatus"], ["sendungsstatus"], ["paketstatus"],
                [_DE_PARCEL, "wo verfolgen tracken status stand unterwegs angekommen ankommen kommt komme da "
                             "verspätet verspätung erhalten bekommen zugestellt"],
            ], _DE_INFO + " abgeben aufgeben verschicken versenden zurück rücksendung retoure bestellbestätigung "
                          "zustellversuch ausland"),
            RETURN: _rules(lang, [
                [_DE_RETURN_NOUN], ["zurückschicken zurücksenden zurückgeben zurückbringen retournieren umtauschen "
                                    "umtausch umtausche"],
                ["retourenschein rücksendeetikett retourenetikett retourenlabel rücksendeschein"],
                ["schicken schicke sende senden gebe geben bringe bringen", "zurück"],
            ], _DE_INFO + " status stand angekommen eingegangen erhalten welche welcher geld erstattung defekt "
                          "kaputt beschädigt"),
            WITHDRAWAL: _rules(lang, [
                ["widerruf widerrufen widerrufe widerrufsformular widerrufserklärung"],
                ["zurücktreten rücktritt", "vertrag kaufvertrag kauf"],
            ], _DE_INFO + " frist"),
            REFUND: _rules(lang, [
                [_DE_MONEY, "wo bleibt fehlt fehlen noch nicht kein keine status stand wann mein meine meiner immer "
                            "warte warten"],
                ["zurückerstattet erstattet gutgeschrieben", "noch nicht wann"],
                ["status stand", _DE_RETURN_NOUN],
            ], _DE_INFO + " zahlungsart"),
            ADDRESS: _rules(lang, [
                ["lieferadresse lieferanschrift adressänderung"],
                ["adresse anschrift hausnummer postleitzahl straße",
                 "ändern änderung geändert falsch falsche korrigieren anders andere neue umzug umgezogen vertippt"],
            ], _DE_INFO + " mail email rechnung rechnungsadresse konto"),
            CONTACT: _rules(lang, [
                ["kontakt kontaktieren kontaktformular kontaktaufnahme kundenservice kundendienst kundenbetreuung "
                 "kundenservicenummer servicenummer hotline servicehotline telefonnummer telefon anrufen anruf "
                 "rückruf rückrufservice chat livechat chatten mitarbeiter mitarbeiterin ansprechpartner support "
                 "servicetelefon"],
                ["sprechen reden schreiben", "mensch jemand person"],
            ], "linse linsen daten"),
        }
    return {
        TRACKING: _rules(lang, [
            ["tracking"], ["track"],
            [_EN_PARCEL, "where status arrive arrived arriving come coming late delayed received receive "
                         "delivered shipped"],
        ], _EN_INFO + " return back send drop international confirmation email"),
        RETURN: _rules(lang, [
            ["return returns returning"], ["exchange"],
            ["send", "back"],
        ], _EN_INFO + " status arrived received which what money refund defective broken damaged"),
        WITHDRAWAL: _rules(lang, [
            ["withdraw withdrawal revoke revocation", "contract purchase order form declaration"],
            ["cancel cancellation", "contract"],
        ], _EN_INFO),
        REFUND: _rules(lang, [
            [_EN_MONEY, "where status still yet not haven hasn didn missing when my received"],
            ["status", "return returns"],
        ], _EN_INFO + " method"),
        ADDRESS: _rules(lang, [
            ["address", "change changing update correct edit wrong incorrect new moved typo"],
        ], _EN_INFO + " email mail billing invoice account"),
        CONTACT: _rules(lang, [
            ["contact phone call callback chat hotline agent representative human support"],
            ["customer", "service care"],
            ["speak talk", "someone person somebody"],
        ], "lens lenses details"),
    }


_CHANNEL_WORDS = {
    "de": {"phone": "telefon telefonnummer anrufen anruf rückruf rückrufservice hotline servicehotline "
                    "servicetelefon servicenummer kundenservicenummer",
           "chat": "chat livechat chatten"},
    "en": {"phone": "phone call callback hotline", "chat": "chat"},
}


@functools.lru_cache(maxsize=2)
def _channels(lang: str) -> dict[str, frozenset[str]]:
    return {channel: _keys(text, lang) for channel, text in _CHANNEL_WORDS[lang].items()}


def _pattern_met(pattern: tuple[frozenset[str], ...], analysed: list[_Word]) -> bool:
    """Every slot met by a different word of the query."""
    candidates = [[i for i, word in enumerate(analysed) if word.forms & slot] for slot in pattern]
    if any(not found for found in candidates):
        return False
    return any(len(set(choice)) == len(choice) for choice in itertools.product(*candidates))


def _strength(rules: _Rules, analysed: list[_Word], waiting: bool, info_words: frozenset[str]) -> int:
    """How many words the best met pattern used (0: the intent is not asked for)."""
    every_part = frozenset().union(*(word.parts for word in analysed)) if analysed else frozenset()
    blockers = rules.blockers - info_words if waiting else rules.blockers
    if every_part & blockers:
        return 0
    return max((len(pattern) for pattern in rules.patterns if _pattern_met(pattern, analysed)), default=0)


@functools.lru_cache(maxsize=16)
def order_number_pattern(pattern: str) -> re.Pattern:
    """The shop's order number as a word of its own in a query ("#100411", "Nr. 100411", "100411?"); not a part
    of a phone number ("040 12345670"), an amount, a date or a longer code."""
    return re.compile(rf"(?<![\w+/.,-])(?<!\d )#?({pattern})(?![\w/-]|[.,]\d)")


def order_numbers(query: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(match.group(1) for match in order_number_pattern(pattern).finditer(query)))


def detect(query: str, lang: str, order_pattern: str) -> list[Intent]:
    """The flows a query asks for, most specific first (at most MAX_INTENTS); [] for a question the articles answer."""
    lang = "de" if lang == "de" else "en"
    numbers = order_numbers(query, order_pattern)
    number = numbers[0] if numbers else None
    text = order_number_pattern(order_pattern).sub(" ", query)
    analysed = [_analyse(word, lang) for word in words(text)[:24]]
    waiting_words = _keys(_DE_WAITING if lang == "de" else _EN_WAITING, lang)
    info_words = _keys(_DE_INFO if lang == "de" else _EN_INFO, lang)
    waiting = any(word.forms & waiting_words for word in analysed)
    found: list[tuple[bool, int, int, Intent]] = []
    for kind, rules in _intent_rules(lang).items():
        strength = _strength(rules, analysed, waiting, info_words)
        if not strength:
            continue
        channel = None
        if kind == CONTACT:
            channel = next((name for name, keys in _channels(lang).items()
                            if any(word.forms & keys for word in analysed)), None)
        found.append((kind == CONTACT, -strength, _PRIORITY.index(kind), Intent(kind, number, channel)))
    found.sort(key=lambda item: item[:3])
    intents = [item[3] for item in found]
    if number and not any(intent.kind in ORDER_INTENTS for intent in intents):
        # An order number alone, or with a contact wish: where that order is comes first, contact after it.
        intents.insert(0, Intent(TRACKING, number))
    return intents[:MAX_INTENTS]
