"""Speed benchmark of the help-center search, with SQLite FTS5 as the reference.

    python bench/search_bench.py [--articles 10000] [--queries 300] [--markdown]

Generates N German help articles (about 5 % English) deterministically, then measures for our
Whoosh index and for SQLite FTS5: the full index build, re-indexing one changed article, and the
latency of a fixed mix of plain, misspelt and compound queries. Nothing is written to the repo:
both indexes live in temporary directories.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import html
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# Run as a plain script from anywhere: the repo root must be importable even without `pip install -e`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.articles.loader import Article  # noqa: E402
from app.articles.rendering import TocEntry, slugify_heading  # noqa: E402
from app.search import embeddings  # noqa: E402
from app.search.engine import SearchEngine  # noqa: E402
from app.search.index import IndexStore  # noqa: E402

SEED = 42
WARMUP_SEARCHES = 20
REINDEX_REPEATS = 5
TARGET_SEARCH_P95_MS = 30.0
TARGET_REINDEX_MS = 300.0
KINDS = ("plain", "typo", "compound")

# --- Queries -----------------------------------------------------------------------------------

QUERIES = {
    "plain": [
        "Rechnung herunterladen", "Paket verloren", "Gutschein einlösen", "Passwort vergessen",
        "Bestellung stornieren", "Lieferung Ausland", "Erstattung dauert", "Umtausch Größe",
        "Reklamation defekt", "Garantie Hersteller", "Packstation Lieferung", "Kundenkonto löschen",
        "Zahlungsarten PayPal", "Newsletter abmelden", "Rücksendung kostenlos", "Lieferzeit Express",
        "Kundenservice erreichen",
    ],
    "typo": [
        "Rechnug", "Sendungsverfolung", "Pasword vergessen", "Gutschien", "Rücksednung",
        "Bestelung stornieren", "Erstatung", "Kundenkont löschen", "Packstaton", "Reklamaton",
        "Garantei Hersteller", "Lieferng Ausland", "Zahlungsartne", "Umtasch Größe", "Paekt verloren",
        "Newsleter abmelden",
    ],
    "compound": [
        "Rücksendeetikett", "Sendung verfolgen", "Lieferadresse ändern", "Zahlungserinnerung",
        "Paketverfolgung", "Gutscheincode", "Rechnungsadresse", "Versandkosten", "Umtauschfrist",
        "Garantieanspruch", "Lieferverzögerung", "Rücksendeschein drucken", "Größentabelle",
        "Passwortänderung", "Transportschaden", "Geschenkgutschein",
    ],
}


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def query_mix(total: int) -> list[Query]:
    """The kinds interleaved, so every prefix of the mix (warm-up included) has all three."""
    longest = max(len(q) for q in QUERIES.values())
    base = [Query(kind, QUERIES[kind][i]) for i in range(longest) for kind in KINDS if i < len(QUERIES[kind])]
    return [base[i % len(base)] for i in range(total)]


# --- Vocabulary --------------------------------------------------------------------------------

# (category, title phrase, words the article keeps coming back to)
DE_TOPICS = [
    ("zahlung-rechnung", "Rechnung herunterladen", ["Rechnung", "herunterladen", "PDF", "Rechnungsadresse", "Rechnungskopie", "Kundenkonto"]),
    ("zahlung-rechnung", "Zahlungserinnerung erhalten", ["Zahlungserinnerung", "Mahnung", "Zahlungsfrist", "Überweisung", "Rechnung"]),
    ("zahlung-rechnung", "Zahlungsarten im Überblick", ["Zahlungsarten", "PayPal", "Kreditkarte", "Lastschrift", "Vorkasse", "Ratenkauf"]),
    ("sendungsverfolgung", "Sendung verfolgen", ["Sendungsverfolgung", "Sendungsnummer", "Sendung", "verfolgen", "Trackinglink", "Paket"]),
    ("sendungsverfolgung", "Paket verloren", ["Paket", "verloren", "Nachforschungsauftrag", "Zusteller", "Sendungsverfolgung"]),
    ("sendungsverfolgung", "Lieferung verspätet", ["Lieferverzögerung", "Lieferung", "verspätet", "Lieferstatus", "Zusteller"]),
    ("versand-lieferung", "Lieferadresse ändern", ["Lieferadresse", "ändern", "Adresse", "Bestellung", "Packstation"]),
    ("versand-lieferung", "Lieferung an eine Packstation", ["Packstation", "Postnummer", "Lieferung", "Abholung", "Paketshop"]),
    ("versand-lieferung", "Lieferzeiten und Versandkosten", ["Lieferzeit", "Versandkosten", "Expressversand", "Werktage", "Express"]),
    ("versand-lieferung", "Lieferung ins Ausland", ["Auslandsversand", "Zollgebühren", "Lieferung", "Ausland", "Schweiz", "Österreich"]),
    ("ruecksendung-umtausch", "Rücksendung anmelden", ["Rücksendung", "Retourenportal", "zurücksenden", "kostenlos", "Paket"]),
    ("ruecksendung-umtausch", "Rücksendeetikett drucken", ["Rücksendeetikett", "drucken", "Etikett", "Rücksendeschein", "Rücksendung"]),
    ("ruecksendung-umtausch", "Umtausch in eine andere Größe", ["Umtausch", "Größe", "umtauschen", "Größentabelle", "Umtauschfrist"]),
    ("ruecksendung-umtausch", "Widerruf und Rückgaberecht", ["Widerruf", "Widerrufsfrist", "Rückgabe", "Rückgaberecht", "Frist"]),
    ("erstattung", "Wann kommt meine Erstattung", ["Erstattung", "Rückerstattung", "Gutschrift", "Bearbeitungszeit", "dauert"]),
    ("erstattung", "Erstattung bei Zahlung mit PayPal", ["Erstattung", "PayPal", "Rückerstattung", "Kreditkarte", "Konto"]),
    ("gutscheine", "Gutschein einlösen", ["Gutschein", "einlösen", "Gutscheincode", "Warenkorb", "Rabatt"]),
    ("gutscheine", "Gutschein abgelaufen", ["Gutschein", "Gültigkeit", "abgelaufen", "Restguthaben", "Gutscheincode"]),
    ("gutscheine", "Geschenkgutschein kaufen", ["Geschenkgutschein", "Gutschein", "verschenken", "Grußkarte"]),
    ("kundenkonto", "Passwort vergessen", ["Passwort", "vergessen", "zurücksetzen", "Passwortänderung", "Anmeldung"]),
    ("kundenkonto", "Kundenkonto löschen", ["Kundenkonto", "löschen", "Daten", "Kontolöschung"]),
    ("kundenkonto", "Newsletter abmelden", ["Newsletter", "abmelden", "Einstellungen", "Abmeldelink"]),
    ("kundenkonto", "E-Mail-Adresse ändern", ["E-Mail-Adresse", "ändern", "Kundenkonto", "Bestätigungslink"]),
    ("reklamation-garantie", "Reklamation eines defekten Artikels", ["Reklamation", "defekt", "Mangel", "Fotos", "Ersatz"]),
    ("reklamation-garantie", "Garantie und Gewährleistung", ["Garantie", "Gewährleistung", "Hersteller", "Garantieanspruch", "Kaufbeleg"]),
    ("reklamation-garantie", "Transportschaden melden", ["Transportschaden", "beschädigt", "Paket", "Fotos", "melden"]),
    ("bestellung", "Bestellung stornieren", ["Bestellung", "stornieren", "Stornierung", "Versand"]),
    ("bestellung", "Bestellbestätigung nicht erhalten", ["Bestellbestätigung", "Spam", "Bestellung", "Bestellnummer"]),
    ("bestellung", "Bestellung nachträglich ändern", ["Bestellung", "ändern", "Artikel", "Warenkorb"]),
    ("bestellung", "Artikel nicht verfügbar", ["Artikel", "verfügbar", "Lieferbarkeit", "Benachrichtigung"]),
    ("kontakt", "Kundenservice erreichen", ["Kundenservice", "Hotline", "Chat", "Kontaktformular", "Öffnungszeiten"]),
    ("datenschutz", "Datenauskunft beantragen", ["Datenauskunft", "Datenschutz", "Daten", "beantragen"]),
]

EN_TOPICS = [
    ("zahlung-rechnung", "Download your invoice", ["invoice", "download", "PDF", "account", "billing"]),
    ("sendungsverfolgung", "Track your parcel", ["tracking", "parcel", "tracking number", "carrier", "delivery"]),
    ("sendungsverfolgung", "Parcel lost in transit", ["parcel", "lost", "carrier", "investigation"]),
    ("versand-lieferung", "Change the delivery address", ["delivery address", "change", "order", "parcel locker"]),
    ("ruecksendung-umtausch", "Return an item for free", ["return", "return label", "refund", "portal"]),
    ("ruecksendung-umtausch", "Exchange for another size", ["exchange", "size", "size chart", "fit"]),
    ("erstattung", "When will I get my refund", ["refund", "credit", "processing time", "bank"]),
    ("gutscheine", "Redeem a gift voucher", ["voucher", "redeem", "code", "basket", "discount"]),
    ("kundenkonto", "Reset a forgotten password", ["password", "reset", "forgotten", "login", "email"]),
    ("reklamation-garantie", "Warranty claim for a faulty item", ["warranty", "faulty", "manufacturer", "repair"]),
    ("bestellung", "Cancel an order", ["order", "cancel", "cancellation", "shipping"]),
]

CORE_NOUNS = [
    "Bestellung", "Lieferung", "Rücksendung", "Rechnung", "Paket", "Sendungsverfolgung", "Gutschein",
    "Erstattung", "Kundenkonto", "Passwort", "Zahlungsart", "Packstation", "Umtausch", "Größe",
    "Reklamation", "Garantie", "Lieferadresse", "Rechnungsadresse", "Versandkosten", "Lieferzeit",
    "Rücksendeetikett", "Zahlungserinnerung", "Sendungsnummer", "Kundenservice", "Warenkorb", "Newsletter",
    "Widerruf", "Mahnung", "Lastschrift", "Überweisung", "Kreditkarte", "Ratenzahlung", "Vorkasse",
    "Rabattcode", "Gutscheincode", "Retoure", "Zusteller", "Paketshop", "Filiale", "Abholung", "Bestätigung",
    "Stornierung", "Lieferschein", "Kassenbon", "Quittung", "Rückerstattung", "Versandbestätigung",
    "Bestellbestätigung", "Lieferstatus", "Wunschtermin", "Nachbarn", "Briefkasten", "Zollgebühren",
    "Teillieferung", "Ersatzlieferung", "Reparatur", "Mangel", "Schaden", "Kontaktformular", "Hotline",
    "Anmeldung", "Registrierung", "Benutzername", "Datenschutz", "Einwilligung", "Bestellnummer",
    "Artikelnummer", "Kundennummer", "Lager", "Versand", "Frist", "Werktage", "Bankverbindung",
    "Zahlungseingang", "Bearbeitung", "Nachricht", "Benachrichtigung", "Verpackung", "Karton", "Etikett",
]

DE_VERBS = [
    "herunterladen", "ändern", "einlösen", "verfolgen", "zurücksenden", "umtauschen", "stornieren",
    "bezahlen", "anmelden", "abmelden", "zurücksetzen", "prüfen", "bestätigen", "ausdrucken", "aufkleben",
    "abgeben", "abholen", "erstatten", "reklamieren", "melden", "anfordern", "hinterlegen", "aktualisieren",
    "löschen", "eingeben", "auswählen", "versenden", "liefern", "zustellen", "bestellen", "kontaktieren",
    "beantragen", "einreichen", "hochladen", "speichern", "überweisen", "begleichen", "verlängern",
    "aktivieren", "deaktivieren", "verknüpfen", "bearbeiten", "ergänzen", "korrigieren", "vergleichen",
]
DE_PARTICIPLES = [
    "geliefert", "zurückgeschickt", "erstattet", "storniert", "bezahlt", "verschickt", "zugestellt",
    "abgeholt", "verloren", "beschädigt", "umgetauscht", "reklamiert", "eingelöst", "gebucht", "gesperrt",
    "geändert", "bestätigt", "versendet", "abgegeben", "gedruckt", "geprüft", "bearbeitet", "verpackt",
    "aktualisiert", "hinterlegt", "angemeldet", "gelöscht", "repariert", "ersetzt", "gutgeschrieben",
]
DE_ADJECTIVES = [
    "schnell", "kostenlos", "einfach", "sicher", "neu", "defekt", "falsch", "richtig", "verfügbar", "gültig",
    "abgelaufen", "persönlich", "digital", "günstig", "teuer", "leicht", "schwer", "groß", "klein", "lang",
    "kurz", "weich", "warm", "wasserdicht", "robust", "elegant", "modern", "klassisch", "sportlich", "bequem",
    "nachhaltig", "regional", "praktisch", "handlich", "stabil", "atmungsaktiv", "pflegeleicht", "hochwertig",
    "beliebt", "exklusiv", "vollständig", "unbenutzt", "original", "passend", "zuverlässig", "kompakt",
]
DE_PRODUCTS = [
    "Jacke", "Hose", "Hemd", "Bluse", "Kleid", "Rock", "Pullover", "Mantel", "Schal", "Mütze", "Handschuhe",
    "Socken", "Sneaker", "Stiefel", "Sandalen", "Rucksack", "Tasche", "Koffer", "Uhr", "Kette", "Ohrringe",
    "Brille", "Gürtel", "Lampe", "Tisch", "Stuhl", "Sofa", "Regal", "Bett", "Matratze", "Kissen", "Decke",
    "Teppich", "Vorhang", "Spiegel", "Vase", "Topf", "Pfanne", "Messer", "Teller", "Tasse", "Kaffeemaschine",
    "Wasserkocher", "Toaster", "Mixer", "Staubsauger", "Bügeleisen", "Föhn", "Rasierer", "Zahnbürste",
    "Smartphone", "Tablet", "Laptop", "Kopfhörer", "Lautsprecher", "Fernseher", "Kamera", "Drucker",
    "Monitor", "Tastatur", "Ladekabel", "Powerbank", "Spielkonsole", "Puzzle", "Brettspiel", "Teddybär",
    "Kinderwagen", "Fahrrad", "Helm", "Zelt", "Schlafsack", "Grill", "Gartenschlauch", "Rasenmäher",
    "Blumentopf", "Gießkanne", "Werkzeugkoffer", "Bohrmaschine", "Akkuschrauber", "Hammer", "Leiter",
    "Parfum", "Creme", "Shampoo", "Duschgel", "Handtuch", "Bademantel", "Bettwäsche", "Kommode",
    "Schreibtisch", "Bürostuhl", "Sessel", "Hocker", "Garderobe", "Schuhschrank", "Wäschekorb",
]
DE_COLOURS = [
    "schwarz", "weiß", "rot", "blau", "grün", "gelb", "grau", "braun", "beige", "rosa", "lila", "orange",
    "türkis", "silber", "gold", "anthrazit", "bordeaux", "mint", "oliv", "navy", "creme", "khaki",
    "koralle", "petrol", "senf", "taupe", "ocker", "flieder", "himmelblau", "dunkelgrün",
]
SIZES = ["XS", "S", "M", "L", "XL", "XXL", "3XL"] + [str(n) for n in range(32, 58, 2)] + [str(n) for n in range(35, 48)]
CITIES = [
    "Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig", "Dortmund",
    "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg", "Duisburg", "Bochum", "Wuppertal", "Bielefeld",
    "Bonn", "Münster", "Mannheim", "Karlsruhe", "Augsburg", "Wiesbaden", "Mönchengladbach", "Gelsenkirchen",
    "Aachen", "Braunschweig", "Kiel", "Chemnitz", "Halle", "Magdeburg", "Freiburg", "Krefeld", "Mainz",
    "Lübeck", "Erfurt", "Oberhausen", "Rostock", "Kassel", "Hagen", "Potsdam", "Saarbrücken", "Hamm",
    "Ludwigshafen", "Oldenburg", "Mülheim", "Osnabrück", "Leverkusen", "Heidelberg", "Darmstadt",
    "Solingen", "Regensburg", "Herne", "Paderborn", "Neuss", "Ingolstadt", "Offenbach", "Fürth", "Würzburg",
    "Ulm", "Heilbronn", "Pforzheim", "Wolfsburg", "Göttingen", "Bottrop", "Reutlingen", "Koblenz",
    "Bremerhaven", "Recklinghausen", "Erlangen", "Bergisch", "Remscheid", "Jena", "Trier", "Salzgitter",
    "Moers", "Siegen", "Hildesheim", "Cottbus", "Wien", "Graz", "Linz", "Salzburg", "Innsbruck",
    "Klagenfurt", "Zürich", "Basel", "Bern", "Luzern", "Lausanne", "Winterthur", "Konstanz", "Passau",
    "Bamberg", "Bayreuth", "Schwerin", "Greifswald", "Flensburg", "Husum", "Lüneburg", "Celle", "Goslar",
]
COMPOUND_HEADS = [
    "Paket", "Liefer", "Rücksende", "Rechnungs", "Zahlungs", "Kunden", "Versand", "Bestell", "Garantie",
    "Umtausch", "Gutschein", "Waren", "Artikel", "Produkt", "Service", "Konto", "Adress", "Karten",
    "Sommer", "Winter", "Frühlings", "Herbst", "Kinder", "Damen", "Herren", "Baby", "Sport", "Garten",
    "Küchen", "Bade", "Haus", "Büro", "Schul", "Reise", "Wander", "Lauf", "Regen", "Leder", "Woll",
    "Baumwoll", "Holz", "Glas", "Metall", "Familien", "Geschenk", "Marken", "Sonder", "Wochen", "Monats",
    "Jahres", "Abend", "Morgen", "Nacht", "Wochenend", "Feiertags", "Oster", "Weihnachts", "Geburtstags",
    "Hochzeits", "Party", "Outdoor", "Fitness", "Yoga", "Rad", "Auto", "Camping", "Strand", "Berg", "Stadt",
    "Land", "Wald", "Wasser", "Licht", "Strom", "Akku", "Lade", "Kabel", "Spiel", "Lern", "Lese", "Schreib",
    "Bastel", "Näh", "Koch", "Back", "Grill", "Tee", "Kaffee", "Wein", "Obst", "Gemüse", "Blumen",
    "Pflanzen", "Tier", "Hunde", "Katzen", "Vogel", "Pferde", "Schlaf", "Wohn", "Ess", "Arbeits",
    "Kletter", "Ski", "Schnee", "Eis", "Sonnen", "Stern", "Herz", "Glücks", "Spar", "Preis", "Rabatt",
    "Aktions", "Neukunden", "Stamm", "Premium", "Basis", "Mini", "Maxi", "Super", "Eco", "Bio", "Retro",
    "Vintage", "Design", "Profi", "Hobby", "Alltags", "Freizeit", "Urlaubs", "Gäste", "Balkon", "Terrassen",
]
COMPOUND_TAILS = [
    "nummer", "status", "frist", "gebühr", "kosten", "adresse", "schein", "etikett", "karton", "tasche",
    "jacke", "schuh", "hose", "lampe", "tisch", "stuhl", "regal", "decke", "kissen", "zeit", "dauer",
    "formular", "bestätigung", "übersicht", "angebot", "preis", "rabatt", "set", "paket", "box", "korb",
    "kiste", "beutel", "flasche", "becher", "glas", "teller", "schale", "messer", "topf", "pfanne", "uhr",
    "kette", "ring", "brille", "mütze", "schal", "handschuh", "socke", "mantel", "kleid", "rock", "hemd",
    "bluse", "pullover", "weste", "gürtel", "rucksack", "koffer", "schirm", "matte", "teppich", "vorhang",
    "spiegel", "bild", "rahmen", "buch", "heft", "karte", "stift", "block", "ordner", "kalender", "spiel",
    "puzzle", "ball", "helm", "zelt", "service", "team", "hilfe", "aktion", "woche", "saison", "kollektion",
    "marke", "serie", "modell", "größe", "farbe", "variante", "qualität", "garantie", "versicherung",
    "beratung", "anleitung", "broschüre", "katalog", "konto", "profil", "liste", "auswahl", "bestellung",
    "lieferung", "sendung", "erstattung", "gutschein", "code", "vorteil", "prämie", "punkte", "verlosung",
    "markt", "laden", "lager", "zentrum", "station", "automat", "halle", "raum", "fach", "schrank",
    "kommode", "bank", "leuchte", "kerze", "duft", "creme", "seife", "bürste", "tuch", "handtuch",
    "matratze", "stecker", "adapter", "ladegerät", "halter", "ständer", "haken", "kleber", "band", "folie",
    "papier", "verpackung", "zubehör", "ersatzteil", "reparatur", "pflege", "reinigung", "tabelle",
]
# Brand names are invented from syllables: realistic-looking rare words that no stemmer knows.
BRAND_SYLLABLES = (
    ["Al", "Bo", "Ka", "Lu", "Mi", "No", "Ra", "Sen", "Tor", "Vel", "Zan", "Fi", "Gro", "He", "Ju", "Ol",
     "Pe", "Qui", "Sa", "Ti", "Ul", "Wen", "Xa", "Yo", "Dre", "Ems", "Fal", "Hol", "Kro", "Mar"],
    ["ra", "lo", "vex", "mo", "tik", "na", "ria", "dor", "ven", "sa", "lux", "tex", "mar", "ko", "wa",
     "bel", "fin", "gard", "hof", "stein", "berg", "lind", "ros", "sun", "tal"],
)

EN_NOUNS = [
    "order", "delivery", "return", "invoice", "parcel", "tracking", "voucher", "refund", "account",
    "password", "payment", "locker", "exchange", "size", "complaint", "warranty", "address", "carrier",
    "label", "receipt", "basket", "newsletter", "customer service", "bank transfer", "credit card",
    "jacket", "trousers", "shirt", "dress", "shoes", "backpack", "lamp", "table", "chair", "sofa", "shelf",
    "kettle", "toaster", "headphones", "speaker", "camera", "printer", "bicycle", "tent", "towel", "blanket",
]
EN_ADJECTIVES = ["free", "quick", "simple", "secure", "new", "faulty", "wrong", "available", "valid",
                 "expired", "digital", "cheap", "light", "heavy", "large", "small", "warm", "waterproof"]

DE_TOPIC_SENTENCES = [
    "Sie können {K} jederzeit in Ihrem Kundenkonto unter „Meine Bestellungen“ {V}.",
    "Falls {K} nicht wie erwartet funktioniert, hilft Ihnen unser Kundenservice gerne weiter.",
    "Bitte beachten Sie, dass {K} und {K2} nur für Bestellungen mit {C} gelten.",
    "Für {K} benötigen Sie Ihre Bestellnummer und die E-Mail-Adresse, mit der Sie bestellt haben.",
    "In den meisten Fällen ist {K} innerhalb von {NUM} Werktagen erledigt.",
    "Haben Sie Fragen zu {K}? Schreiben Sie uns über das Kontaktformular.",
    "Wählen Sie im Bereich {K} die gewünschte {C} aus und klicken Sie auf „Weiter“.",
    "{K} ist für {P} von {BRAND} leider nicht möglich.",
    "Bei {K} prüfen wir zunächst die {C}, danach erhalten Sie eine Bestätigung per E-Mail.",
    "Sobald {K} {PART} wurde, sehen Sie das auch unter {K2} in Ihrem Kundenkonto.",
    "Tipp: {K} geht am schnellsten über die App, dort finden Sie auch {K2}.",
]
DE_FILLER_SENTENCES = [
    "Der Artikel {P} von {BRAND} in {COL}, Größe {SIZE}, wird aus unserem Lager in {CITY} versendet.",
    "Viele Kundinnen und Kunden aus {CITY} bestellen {P} zusammen mit einer {C}.",
    "Die {C} ist {A} und eignet sich besonders für {P}.",
    "Unsere {C} wird regelmäßig aktualisiert, damit Sie {A} Angebote finden.",
    "Wenn Sie {P} und {P2} gemeinsam bestellen, kommt alles in einem {C}.",
    "Nach dem Eingang im Lager {V} wir Ihre {N} innerhalb von {NUM} Tagen.",
    "Die {A} {C} von {BRAND} gibt es in {COL} und {COL2}.",
    "Hinweis: {C} und {C2} können sich je nach {N} unterscheiden.",
    "Unser Team in {CITY} hat die {C} für {P} {PART}.",
    "Achten Sie darauf, dass die {N} gut sichtbar auf dem {C} angebracht ist.",
    "Sie erhalten eine {N}, sobald die {C} {PART} wurde.",
    "Zur {C} gehört auch eine {A} {C2}, die Sie separat {V} können.",
    "Im {CITY}er Paketzentrum wird die {N} an einem Werktag {PART}.",
    "Für {P} in Größe {SIZE} empfehlen wir einen Blick auf die {C}.",
    "Die {N} für {P} und {C} beträgt {NUM} Euro.",
]
EN_SENTENCES = [
    "You can {V} your {K} at any time in your account under “My orders”.",
    "If the {K} does not work as expected, our customer service is happy to help.",
    "Please note that the {K} applies to orders with a {N} only.",
    "In most cases the {K} is done within {NUM} working days.",
    "The {A} {N} from {BRAND} ships from our warehouse in {CITY}.",
    "Many customers in {CITY} order a {N} together with a {N2}.",
    "Questions about the {K}? Write to us using the contact form.",
    "The {N} is {A} and comes in size {SIZE}.",
]
EN_VERBS = ["download", "change", "redeem", "track", "return", "exchange", "cancel", "check", "print", "update"]
DE_HEADINGS = [
    "So funktioniert {T}", "Voraussetzungen", "Häufige Fragen zu {K}", "{K} Schritt für Schritt",
    "Fristen und Kosten", "Sonderfälle bei {C}", "Kontakt bei Problemen", "Hinweise zu {P}",
    "Was Sie vorab prüfen sollten", "Wenn etwas schiefgeht",
]
EN_HEADINGS = ["How it works", "Before you start", "Questions about the {K}", "Deadlines and costs",
               "Special cases", "If something goes wrong"]
DE_TITLES = ["{T}: {P} von {BRAND}", "{T} bei {C}", "So klappt {T} für {P}", "{T} nach {CITY} mit {C}",
             "Fragen zu {T} und {C}", "{T} – {A} und {A2}"]
EN_TITLES = ["{T}: {N} from {BRAND}", "{T} in {CITY}", "{T} for your {N}"]
DE_SUMMARIES = ["Hier erfahren Sie, wie {T} funktioniert und was Sie bei {C} beachten sollten.",
                "Alles Wichtige zu {K} und {K2} auf einen Blick.",
                "Schritt für Schritt: {T} für {P} von {BRAND}."]
EN_SUMMARIES = ["Everything you need to know about the {K} in one place.",
                "Step by step: {T} for your {N}."]


class ZipfWords:
    """Draws words with a Zipf-like frequency, as words in real text are drawn."""

    def __init__(self, words: list[str], rng: random.Random, exponent: float = 1.0):
        self.words = list(dict.fromkeys(words))
        rng.shuffle(self.words)
        running, self.cumulative = 0.0, []
        for rank in range(1, len(self.words) + 1):
            running += 1.0 / rank ** exponent
            self.cumulative.append(running)

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.words, cum_weights=self.cumulative)[0]


def _brands(rng: random.Random, count: int) -> list[str]:
    first, second = BRAND_SYLLABLES
    brands = set()
    while len(brands) < count:
        name = rng.choice(first) + rng.choice(second) + (rng.choice(second) if rng.random() < 0.6 else "")
        brands.add(name)
    return sorted(brands)


def _compounds() -> list[str]:
    return [head + tail for head in COMPOUND_HEADS for tail in COMPOUND_TAILS if head.lower() != tail]


def _inflected(adjectives: list[str]) -> list[str]:
    return [adj + ending for adj in adjectives for ending in ("", "e", "en", "er", "es")]


_SLOT = re.compile(r"\{([A-Z]+)(\d?)\}")


def _fill(template: str, slots: dict, rng: random.Random) -> str:
    return _SLOT.sub(lambda m: slots[m.group(1)](rng), template)


def generate_articles(n: int, seed: int = SEED) -> list[Article]:
    """N deterministic help articles: German shop vocabulary, ~5 % English."""
    rng = random.Random(seed)
    # A flatter curve: compounds are many and each is rare, which is what makes the vocabulary large.
    compounds = ZipfWords(_compounds(), rng, exponent=0.7)
    nouns = ZipfWords(CORE_NOUNS + DE_PRODUCTS, rng)
    products = ZipfWords(DE_PRODUCTS, rng)
    brands = ZipfWords(_brands(rng, 600), rng)
    cities = ZipfWords(CITIES, rng)
    adjectives = ZipfWords(_inflected(DE_ADJECTIVES), rng)
    verbs = ZipfWords(DE_VERBS, rng)
    participles = ZipfWords(DE_PARTICIPLES, rng)
    colours = ZipfWords(DE_COLOURS, rng)
    common = {
        "BRAND": brands.draw, "CITY": cities.draw, "SIZE": lambda r: r.choice(SIZES),
        "NUM": lambda r: str(r.randint(2, 30)),
    }
    de_slots = dict(common, C=compounds.draw, N=nouns.draw, P=products.draw, A=adjectives.draw,
                    V=verbs.draw, PART=participles.draw, COL=colours.draw)
    en_slots = dict(common, N=lambda r: r.choice(EN_NOUNS), A=lambda r: r.choice(EN_ADJECTIVES),
                    V=lambda r: r.choice(EN_VERBS))

    articles = []
    last_german = None
    for i in range(n):
        english = rng.random() < 0.05
        category, phrase, keywords = rng.choice(EN_TOPICS if english else DE_TOPICS)
        slots = dict(en_slots if english else de_slots, T=lambda r, p=phrase: p, K=lambda r, k=keywords: r.choice(k))
        title = _fill(rng.choice(EN_TITLES if english else DE_TITLES), slots, rng)
        title = " ".join(title.split()[:8])
        while len(title.split()) < 4:
            title += " " + slots["N"](rng)
        summary = _fill(rng.choice(EN_SUMMARIES if english else DE_SUMMARIES), slots, rng)
        tags = tuple(dict.fromkeys(rng.sample(keywords, min(3, len(keywords)))
                                   + [slots["N"](rng) for _ in range(rng.randint(0, 2))]))
        while len(tags) < 3:
            tags += (slots["N"](rng),)

        heading_templates = rng.sample(EN_HEADINGS if english else DE_HEADINGS, rng.randint(2, 4))
        topic_sentences = EN_SENTENCES if english else DE_TOPIC_SENTENCES
        filler_sentences = EN_SENTENCES if english else DE_FILLER_SENTENCES
        # The whole body first, then cut into sections: it overshoots its target by one sentence at most.
        target_words, body_words, sentences = rng.randint(250, 470), 0, []
        while body_words < target_words:
            sentences.append(_fill(rng.choice(topic_sentences if rng.random() < 0.35 else filler_sentences), slots, rng))
            body_words += len(sentences[-1].split())
        per_section = math.ceil(len(sentences) / len(heading_templates))
        toc, html_parts, text_parts = [], [], []
        for number, template in enumerate(heading_templates):
            heading = _fill(template, slots, rng)
            anchor = slugify_heading(heading)
            toc.append(TocEntry(anchor, heading, 2))
            html_parts.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')
            text_parts.append(heading)
            section = sentences[number * per_section:(number + 1) * per_section]
            while section:
                size = rng.randint(2, 5)
                paragraph = " ".join(section[:size])
                section = section[size:]
                html_parts.append(f"<p>{html.escape(paragraph)}</p>")
                text_parts.append(paragraph)

        text = "\n".join(text_parts)
        slug = f"{slugify_heading(phrase)}-{i:05d}"
        articles.append(Article(
            slug=slug, category=category, title=title, summary=summary, tags=tags,
            lang="en" if english else "de", order=i, status="published",
            updated=dt.date(2026, 1, 1) + dt.timedelta(days=i % 365), related=(),
            body_html="\n".join(html_parts), toc=tuple(toc), text=text,
            path=f"generated/{category}/{slug}.md", content_hash=hashlib.sha256(text.encode()).hexdigest(),
            # As in a real shop, an English article is the version of a German one: the search reads
            # that pair's closeness in meaning through both (no random draw, so the texts stay as they were).
            translation=last_german if english else None,
        ))
        if not english:
            last_german = slug
    return articles


def article_edits(articles: list[Article], count: int, seed: int = SEED) -> list[tuple[int, Article]]:
    """Deterministic single-article edits: an editor adds a paragraph to a German article."""
    rng = random.Random(seed + 1)
    german = [i for i, a in enumerate(articles) if a.lang == "de"]
    edits = []
    for n, index in enumerate(rng.sample(german, count)):
        article = articles[index]
        extra = f"Aktualisiert: Seit dieser Woche gilt eine neue Regel für {article.tags[0]} (Änderung {n + 1})."
        text = f"{article.text}\n{extra}"
        edits.append((index, dataclasses.replace(
            article, text=text, body_html=f"{article.body_html}\n<p>{html.escape(extra)}</p>",
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )))
    return edits


# --- Benchmarks --------------------------------------------------------------------------------

@dataclass
class Figures:
    build_s: float
    reindex_ms: list[float]
    search_ms: dict[str, list[float]] = field(default_factory=dict)
    answered: dict[str, set[str]] = field(default_factory=dict)  # distinct queries with >= 1 hit


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _time_searches(run, queries: list[Query], warmup: list[Query]) -> tuple[dict, dict]:
    for query in warmup:
        run(query.text)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    answered: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for query in queries:
        start = time.perf_counter()
        found = run(query.text)
        latencies[query.kind].append((time.perf_counter() - start) * 1000)
        if found:
            answered[query.kind].add(query.text)
    return latencies, answered


def bench_whoosh(articles: list[Article], edits, queries: list[Query], warmup: list[Query],
                 semantic: bool = True) -> Figures:
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-whoosh-") as tmp:
        store = IndexStore(tmp)
        _log(f"whoosh: full build of {len(articles)} articles …")
        start = time.perf_counter()
        store.rebuild(articles)
        build_s = time.perf_counter() - start

        # A worker has loaded the model at its first search; a full build embeds in a helper
        # process, so load it here before timing the edits (about 1-2 s, once per process).
        embeddings.encoder().encode_query("warm-up")
        current = list(articles)
        reindex_ms = []
        for index, changed in edits:
            current[index] = changed
            start = time.perf_counter()
            report = store.sync(current)
            reindex_ms.append((time.perf_counter() - start) * 1000)
            assert report.updated == 1 and not report.rebuilt, report
        # A serving worker merges the edits' small segments in a background thread after the edit.
        start = time.perf_counter()
        store.merge_small_segments(timeout=30)
        _log(f"whoosh: background merge of the edits' segments {(time.perf_counter() - start) * 1000:.0f} ms")

        # Searches run on the index after the edits, as they would in production between rebuilds.
        _log("whoosh: searching …")
        engine = SearchEngine(store)
        latencies, answered = _time_searches(
            lambda text: engine.search(text, lang="de", limit=10, semantic=semantic).total, queries, warmup)
        # A worker's memory with the index open, the model and 10,000 vectors loaded (the build's
        # garbage is freed by then; the build process itself peaks higher).
        _log(f"whoosh: RSS after searching {rss_mb():.0f} MB")
        return Figures(build_s, reindex_ms, latencies, answered)


FTS_COLUMNS = "slug, title, summary, tags, headings, body"


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False


def _fts_row(rowid: int, article: Article) -> tuple:
    return (rowid, article.slug, article.title, article.summary, " ".join(article.tags),
            "\n".join(article.headings), article.text)


def fts_match(query: str) -> str:
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in re.findall(r"\w+", query))


def bench_fts5(articles: list[Article], edits, queries: list[Query], warmup: list[Query]) -> Figures:
    insert = f"INSERT INTO docs(rowid, {FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    with tempfile.TemporaryDirectory(prefix="helpcenter-bench-fts5-") as tmp:
        db = sqlite3.connect(os.path.join(tmp, "fts.db"))
        try:
            _log("fts5: full build …")
            start = time.perf_counter()
            db.execute("CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, title, summary, tags, headings, body, "
                       "tokenize='unicode61 remove_diacritics 2')")
            db.executemany(insert, (_fts_row(i, a) for i, a in enumerate(articles, start=1)))
            db.commit()
            build_s = time.perf_counter() - start

            reindex_ms = []
            for index, changed in edits:
                # By rowid: slug is UNINDEXED, so deleting by slug would scan the whole table.
                start = time.perf_counter()
                db.execute("DELETE FROM docs WHERE rowid = ?", (index + 1,))
                db.execute(insert, _fts_row(index + 1, changed))
                db.commit()
                reindex_ms.append((time.perf_counter() - start) * 1000)

            _log("fts5: searching …")
            sql = "SELECT slug FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 6.0, 3.0, 4.0, 2.0, 1.0) LIMIT 10"
            latencies, answered = _time_searches(
                lambda text: len(db.execute(sql, (fts_match(text),)).fetchall()), queries, warmup)
            return Figures(build_s, reindex_ms, latencies, answered)
        finally:
            db.close()


# --- Report ------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: a value that was actually measured, no interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _all_latencies(figures: Figures) -> list[float]:
    return [ms for kind in KINDS for ms in figures.search_ms[kind]]


def _rows(figures: Figures) -> list[tuple[str, str]]:
    rows = [
        ("Full index build (s)", f"{figures.build_s:.2f}"),
        ("Single re-index, median (ms)", f"{statistics.median(figures.reindex_ms):.1f}"),
        ("Single re-index, max (ms)", f"{max(figures.reindex_ms):.1f}"),
    ]
    for kind in KINDS + ("overall",):
        values = _all_latencies(figures) if kind == "overall" else figures.search_ms[kind]
        rows += [
            (f"Search {kind}, p50 (ms)", f"{percentile(values, 50):.1f}"),
            (f"Search {kind}, p95 (ms)", f"{percentile(values, 95):.1f}"),
            (f"Search {kind}, max (ms)", f"{max(values):.1f}"),
        ]
    return rows


def print_report(ours: Figures, fts: Figures | None, meta: dict, markdown: bool = False) -> None:
    columns = ["ours (Whoosh)", "SQLite FTS5" if fts else "SQLite FTS5 (n/a)"]
    our_rows = _rows(ours)
    fts_rows = _rows(fts) if fts else [(label, "–") for label, _ in our_rows]
    table = [(label, a, b) for (label, a), (_, b) in zip(our_rows, fts_rows)]

    print("Help-center search benchmark")
    print(f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
          f"Whoosh {meta['whoosh']}, SQLite {sqlite3.sqlite_version}")
    print(f"N = {meta['n']:,} articles ({meta['de']:,} de, {meta['en']:,} en), "
          f"{meta['avg_words']:.0f} body words on average, {meta['distinct']:,} distinct words; "
          f"generated in {meta['generate_s']:.1f} s")
    print(f"Searches: {meta['searches']} after {WARMUP_SEARCHES} warm-up, "
          + ", ".join(f"{len(QUERIES[k])} {k}" for k in KINDS)
          + " queries cycled; lang=de, limit=10; re-index: "
          f"{REINDEX_REPEATS} single-article edits")
    print()
    if markdown:
        print(f"| | {columns[0]} | {columns[1]} |")
        print("|---|---:|---:|")
        for label, a, b in table:
            print(f"| {label} | {a} | {b} |")
    else:
        width = max(len(label) for label, _, _ in table)
        print(f"{'':<{width}}  {columns[0]:>15}  {columns[1]:>15}")
        for label, a, b in table:
            print(f"{label:<{width}}  {a:>15}  {b:>15}")
    print()
    if fts:
        print("Note: FTS5 does no stemming, no compound splitting and no typo repair (query words OR-ed, "
              "bm25 with the same field weights): it is the speed reference, not a quality one.")
    else:
        print("Note: this Python's sqlite3 has no FTS5, so the reference was skipped.")
    answered = "; ".join(
        f"{kind} {len(ours.answered[kind])}/{len(QUERIES[kind])}"
        + (f" vs {len(fts.answered[kind])}/{len(QUERIES[kind])}" if fts else "")
        for kind in KINDS)
    print(f"Distinct queries with at least one hit (ours{' vs FTS5' if fts else ''}): {answered}")
    print()

    p95 = percentile(_all_latencies(ours), 95)
    reindex_max = max(ours.reindex_ms)
    print("Targets (spec):")
    print(f"  search p95 overall <= {TARGET_SEARCH_P95_MS:.0f} ms: {p95:.1f} ms  "
          f"{'PASS' if p95 <= TARGET_SEARCH_P95_MS else 'FAIL'}")
    print(f"  single-article re-index <= {TARGET_REINDEX_MS:.0f} ms (every one of {REINDEX_REPEATS}): "
          f"max {reindex_max:.1f} ms, median {statistics.median(ours.reindex_ms):.1f} ms  "
          f"{'PASS' if reindex_max <= TARGET_REINDEX_MS else 'FAIL'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="number of generated articles")
    parser.add_argument("--queries", type=int, default=300, help="timed searches per engine")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--words-only", action="store_true",
                        help="search by words alone (HELPCENTER_SEARCH_SEMANTIC=off), to compare")
    args = parser.parse_args(argv)

    _log(f"generating {args.articles} articles …")
    start = time.perf_counter()
    articles = generate_articles(args.articles)
    generate_s = time.perf_counter() - start
    body_words = [re.findall(r"\w+", a.text) for a in articles]
    meta = {
        "n": len(articles), "de": sum(a.lang == "de" for a in articles), "en": sum(a.lang == "en" for a in articles),
        "avg_words": statistics.mean(len(w) for w in body_words),
        "distinct": len({w.lower() for ws in body_words for w in ws}
                        | {w.lower() for a in articles for w in re.findall(r"\w+", f"{a.title} {a.summary} {' '.join(a.tags)}")}),
        "generate_s": generate_s, "searches": args.queries, "whoosh": metadata.version("whoosh"),
    }
    del body_words

    edits = article_edits(articles, REINDEX_REPEATS)
    mix = query_mix(WARMUP_SEARCHES + args.queries)
    warmup, queries = mix[:WARMUP_SEARCHES], mix[WARMUP_SEARCHES:]

    ours = bench_whoosh(articles, edits, queries, warmup, semantic=not args.words_only)
    fts = bench_fts5(articles, edits, queries, warmup) if fts5_available() else None
    print_report(ours, fts, meta, markdown=args.markdown)


if __name__ == "__main__":
    main()
