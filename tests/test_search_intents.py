"""Which flow a search asks for, German and English: the phrasings of each intent, and the questions that are
answered by an article and must not get a shortcut (false positives are as bad as misses)."""
from __future__ import annotations

import pytest

from app.config import DEFAULT_ORDER_NUMBER_PATTERN, ConfigError, config_from_env
from app.search.intents import detect, order_numbers


def kinds(query: str, lang: str = "de", pattern: str = DEFAULT_ORDER_NUMBER_PATTERN) -> list[tuple[str, str | None]]:
    return [(intent.kind, intent.order) for intent in detect(query, lang, pattern)]


GERMAN = {
    "tracking": [
        "wo ist mein paket", "Wo bleibt meine Bestellung?", "wann kommt meine bestellung", "wann kommt mein Paket an",
        "sendung verfolgen", "Sendungsverfolgung", "paket verfolgen", "Bestellstatus", "status meiner bestellung",
        "lieferung noch nicht angekommen", "paket ist immer noch nicht da", "meine bestellung ist nicht angekommen",
        "Päckchen nicht bekommen", "paket als zugestellt gemeldet aber nicht erhalten", "Trackingnummer",
        "meine Ware ist noch nicht da", "Lieferung verspätet", "wo ist meine Sendung",
    ],
    "return": [
        "will das zurückgeben", "ich möchte etwas zurückschicken", "artikel zurücksenden", "Rücksendung starten",
        "retoure anmelden", "Retoure", "wie schicke ich das zurück", "jacke umtauschen", "Retourenschein drucken",
        "Rücksendeetikett", "passt nicht, will es zurückschicken", "Kleid in anderer Größe umtauschen",
        "Schuhe zurueckgeben", "ruecksendung", "wie gebe ich die Hose zurück",
    ],
    "withdrawal": [
        "Widerruf", "vertrag widerrufen", "Kauf widerrufen", "ich möchte widerrufen", "Widerrufsformular",
        "vom Kaufvertrag zurücktreten", "Widerruf erklären",
    ],
    "refund": [
        "wo bleibt mein geld", "wo bleibt meine Erstattung", "Erstattung noch nicht erhalten",
        "geld noch nicht zurück", "wann bekomme ich mein Geld zurück", "status rücksendung",
        "Rückerstattung fehlt", "habe noch keine Gutschrift", "Rückzahlung fehlt immer noch",
        "Stand meiner Retoure",
    ],
    "address": [
        "Lieferadresse ändern", "adresse ändern", "falsche Adresse angegeben", "Anschrift korrigieren",
        "Hausnummer falsch", "Lieferadresse", "andere Adresse für die Lieferung", "bin umgezogen neue Adresse",
    ],
    "contact": [
        "Kontakt", "Kundenservice", "kundenservice anrufen", "Telefonnummer", "Rückruf vereinbaren",
        "mit einem Mitarbeiter sprechen", "Chat", "Hotline", "Kontaktformular", "Live-Chat",
        "mit einem Menschen sprechen", "Kundendienst erreichen",
    ],
}

ENGLISH = {
    "tracking": [
        "where is my order", "where is my package", "track my order", "track package", "order status",
        "my parcel hasn't arrived", "package not delivered", "when will my order arrive", "tracking",
        "my order is late", "shipment delayed", "haven't received my package",
    ],
    "return": [
        "return an item", "i want to return this", "how do i send something back", "return label",
        "exchange for a different size", "start a return", "returns", "I'd like to return my shoes",
    ],
    "withdrawal": [
        "cancel my contract", "withdraw from contract", "withdrawal form", "i want to withdraw from the purchase",
        "revoke the contract",
    ],
    "refund": [
        "where is my refund", "refund status", "haven't received my refund", "when do i get my money back",
        "still no refund", "my refund is missing", "status of my return",
    ],
    "address": [
        "change delivery address", "change shipping address", "wrong address", "update my address",
        "I moved, new address",
    ],
    "contact": [
        "contact", "contact customer service", "phone number", "call you", "speak to a human", "live chat",
        "callback", "email support", "customer service", "talk to someone",
    ],
}

# Questions the articles answer: no shortcut.
GERMAN_QUESTIONS = [
    "wie lange dauert die rückerstattung", "was kostet die Rücksendung", "Rückgabefrist", "Widerrufsfrist",
    "Widerrufsbelehrung", "welche Artikel sind vom Umtausch ausgeschlossen", "Versandkosten", "Lieferzeit",
    "wie lange dauert der Versand", "Zahlungsarten", "Gutschein einlösen", "Passwort vergessen",
    "Rechnung herunterladen", "Artikel defekt", "Kontaktlinsen", "Bestellbestätigung nicht erhalten",
    "E-Mail-Adresse ändern", "Rechnungsadresse ändern", "Bestellung stornieren", "Paket beschädigt",
    "Lieferung ins Ausland", "Geld zurück", "Erstattung", "wo kann ich mein Paket abgeben",
    "kann ich mit PayPal bezahlen", "Konto löschen", "Rücksendung kostenlos", "Rechnung 2025",
    "Zustellversuch gescheitert", "Ist die Rücksendung kostenlos?", "wie lange habe ich Zeit für die Rückgabe",
    "Widerrufsrecht", "Newsletter abmelden", "Packstation", "Cookies",
]
ENGLISH_QUESTIONS = [
    "how long does a refund take", "return policy", "how much does return shipping cost", "return window",
    "shipping costs", "payment methods", "delivery times", "reset password", "delete account", "contact lenses",
    "gift card", "cookies", "download invoice", "what is the withdrawal period", "which items cannot be returned",
    "international shipping", "cancel order", "unsubscribe newsletter", "damaged item", "change email address",
    "update contact details", "refund", "order confirmation not received", "right of withdrawal",
    "billing address change", "are returns free",
]


@pytest.mark.parametrize(("kind", "query"), [(k, q) for k, qs in GERMAN.items() for q in qs])
def test_german_phrasings_get_their_flow_first(kind, query):
    assert kinds(query, "de")[:1] == [(kind, None)], query


@pytest.mark.parametrize(("kind", "query"), [(k, q) for k, qs in ENGLISH.items() for q in qs])
def test_english_phrasings_get_their_flow_first(kind, query):
    assert kinds(query, "en")[:1] == [(kind, None)], query


@pytest.mark.parametrize("query", GERMAN_QUESTIONS)
def test_german_questions_about_rules_costs_and_time_get_no_shortcut(query):
    assert kinds(query, "de") == []


@pytest.mark.parametrize("query", ENGLISH_QUESTIONS)
def test_english_questions_about_rules_costs_and_time_get_no_shortcut(query):
    assert kinds(query, "en") == []


@pytest.mark.parametrize(("query", "lang"), [
    ("100411", "de"), ("#100411", "de"), ("Bestellung 100411", "de"), ("Bestellnr. 100411", "de"),
    ("wo ist bestellung 100411?", "de"), ("ich warte seit einer Woche auf 100411!", "de"), ("100411 wo ist die", "de"),
    ("order 100411", "en"), ("where is order #100411", "en"), ("i'm still waiting for 100411", "en"),
])
def test_an_order_number_alone_or_in_a_sentence_is_tracked(query, lang):
    assert kinds(query, lang) == [("tracking", "100411")]


@pytest.mark.parametrize(("query", "lang", "expected"), [
    ("100411 zurückschicken", "de", [("return", "100411")]),
    ("Widerruf für 100411", "de", [("withdrawal", "100411")]),
    ("Erstattung für 100411 fehlt noch", "de", [("refund", "100411")]),
    ("Lieferadresse von 100411 ändern", "de", [("address", "100411")]),
    ("100411 kundenservice anrufen", "de", [("tracking", "100411"), ("contact", "100411")]),
    ("return 100411", "en", [("return", "100411")]),
    ("update my address for order 100411", "en", [("address", "100411")]),
])
def test_an_order_number_goes_with_the_flow_the_sentence_names(query, lang, expected):
    assert kinds(query, lang) == expected


@pytest.mark.parametrize(("query", "lang", "expected"), [
    ("Paket nicht angekommen, bitte Rückruf", "de", ["tracking", "contact"]),
    ("Rücksendung ist angekommen aber wo bleibt mein Geld", "de", ["refund"]),
    ("Widerruf und Retoure anmelden", "de", ["withdrawal", "return"]),
    ("where is my package, i want to talk to someone", "en", ["tracking", "contact"]),
])
def test_several_flows_most_specific_first_contact_last(query, lang, expected):
    assert [kind for kind, _ in kinds(query, lang)] == expected


@pytest.mark.parametrize("query", [
    "20095 Hamburg", "040 123 456 70", "+49 40 12345670", "Rechnung vom 03.12.2026", "12345",
    "Sendungsnummer 00340434161234567890", "IBAN DE89370400440532013000", "Preis 199,90", "1234567.50",
    "100411-2", "A100411",
])
def test_other_numbers_are_not_order_numbers(query):
    assert order_numbers(query, DEFAULT_ORDER_NUMBER_PATTERN) == []


def test_the_order_number_format_is_the_shops():
    pattern = r"NL-[0-9]{4}-[0-9]{5}"
    assert kinds("wo ist NL-2026-00042?", "de", pattern) == [("tracking", "NL-2026-00042")]
    assert kinds("100411", "de", pattern) == []


@pytest.mark.parametrize("value", ["(", ".*", "a|", "[0-9]+ [0-9]+", "x" * 201])
def test_a_pattern_that_cannot_be_an_order_number_stops_the_start(tmp_path, value):
    with pytest.raises(ConfigError, match="HELPCENTER_ORDER_NUMBER_PATTERN"):
        config_from_env(tmp_path, {"HELPCENTER_ORDER_NUMBER_PATTERN": value})


def test_contact_names_the_channel():
    channels = {q: [i.channel for i in detect(q, "de", DEFAULT_ORDER_NUMBER_PATTERN)]
                for q in ("Rückruf", "Chat mit Mitarbeiter", "Kontakt")}
    assert channels == {"Rückruf": ["phone"], "Chat mit Mitarbeiter": ["chat"], "Kontakt": [None]}


@pytest.mark.parametrize("query", ["", "   ", "?!", "a" * 200, "ß" * 40, "\u202e100411", "100411" * 30])
def test_odd_queries_do_not_fail(query):
    assert isinstance(kinds(query), list)
