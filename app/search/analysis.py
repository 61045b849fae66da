"""Text analysis for German and English help articles and customer queries.

German customers write "Rueckgabe", "Ruckgabe" or "Rückgabe", join or split compounds
("Rücksendeetikett" / "Etikett für die Rücksendung") and inflect freely ("zurückgeschickt").
The same functions analyse the articles when indexing and the query when searching, so both
sides meet on the same terms:

- fold: lower case, umlauts and their ae/oe/ue spellings to the plain vowel, ß to ss;
- stem: Snowball plus a few rules it misses (participles with "ge", -ung, -er);
- decompound: split compounds into parts from a word list of everyday German (data/de_wordparts.txt)
  and index every part besides the whole word.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import Stemmer
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang.stopwords import stoplists

WORD_PATTERN = re.compile(r"\w+(?:[-‐]\w+)*", re.UNICODE)
_DATA = Path(__file__).with_name("data")

_GERMAN_EXTRA_STOPWORDS = {
    "bitte", "hallo", "mal", "wie", "wo", "was", "wann", "warum", "wieso", "weshalb", "welche",
    "welcher", "welches", "kann", "koennen", "können", "könnte", "muss", "müssen", "möchte",
    "moechte", "will", "habe", "hab", "hat", "haben", "ist", "sind", "gibt", "geht", "denn", "schon",
    "noch", "immer", "ja", "nein", "gerne", "danke", "leider", "eigentlich", "bekommen", "tun",
    "machen", "mache", "man", "mir", "mich", "meine", "meinen", "meinem", "meiner", "mein", "ihr",
    "ihre", "ihren", "euch", "eure", "dass", "sowie", "einen", "einem", "einer", "eine", "ein",
}
_ENGLISH_EXTRA_STOPWORDS = {"how", "what", "where", "when", "why", "can", "my", "i", "do", "does", "please"}

# Words that carry the problem in a help request stay searchable: "nicht erhalten", "ohne Drucker",
# "kein Geld", "geht nicht mehr", "Konto weg", "Rückgabe ohne Kassenbon".
_GERMAN_MEANINGFUL = {"nicht", "nichts", "kein", "keine", "keinem", "keinen", "keiner", "keines", "ohne", "mehr",
                      "weg", "wieder", "selbst", "gegen"}
GERMAN_STOPWORDS = (frozenset(stoplists["de"]) | _GERMAN_EXTRA_STOPWORDS) - _GERMAN_MEANINGFUL
ENGLISH_STOPWORDS = frozenset(stoplists["en"]) | _ENGLISH_EXTRA_STOPWORDS
_NEVER_MARKED_DE = GERMAN_STOPWORDS | _GERMAN_MEANINGFUL

_FOLD_TABLE = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ẞ": "ss", "æ": "ae", "ø": "o"})
_SEPARABLE_PREFIXES = (
    "zuruck", "heraus", "herunter", "weiter", "wieder", "zusammen", "ab", "an", "auf", "aus", "ein",
    "mit", "nach", "vor", "weg", "um", "zu", "hin", "her", "los", "frei", "fest", "dazu", "durch",
)
# Endings a compound part may carry before the next part (Fugen-s, -n, -en, -e) or at the very end.
_PART_ENDINGS = ("ungs", "ung", "ens", "en", "er", "es", "e", "n", "s")
MIN_PART = 3
MIN_COMPOUND = 7
# Longer "words" are pasted codes or noise: no German compound is that long, and splitting is O(n²).
MAX_COMPOUND = 40


def fold(word: str) -> str:
    """Lower-case and fold umlauts, their ae/oe/ue spellings and ß, so all spellings meet."""
    word = word.lower().translate(_FOLD_TABLE)
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return word.replace("ae", "a").replace("oe", "o").replace("ue", "u")


@functools.lru_cache(maxsize=1)
def _word_parts() -> frozenset[str]:
    words = set()
    for line in (_DATA / "de_wordparts.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.update(fold(w) for w in line.split())
    return frozenset(w for w in words if len(w) >= MIN_PART)


def analysis_version() -> str:
    """Changes whenever analysis would index the same text differently (forces a rebuild)."""
    data = (_DATA / "de_wordparts.txt").read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


@functools.lru_cache(maxsize=200_000)
def split_compound(folded: str) -> tuple[str, ...]:
    """Split a folded compound into its parts ('rucksendeetikett' -> ruck, sende, etikett), or ()."""
    if not MIN_COMPOUND <= len(folded) <= MAX_COMPOUND:
        return ()
    parts = _word_parts()
    n = len(folded)
    # best[i] = fewest parts covering folded[i:], with the parts; longer first parts win ties.
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[n] = (0, ())
    for i in range(n - MIN_PART, -1, -1):
        candidate = None
        for j in range(n, i + MIN_PART - 1, -1):
            root = folded[i:j]
            if root not in parts:
                continue
            for ending in ("",) + _PART_ENDINGS:
                k = j + len(ending)
                if k > n or not folded.startswith(ending, j) or best[k] is None:
                    continue
                count = best[k][0] + 1
                if candidate is None or count < candidate[0]:
                    candidate = (count, (folded[i:k],) + best[k][1])
        best[i] = candidate
    if best[0] is None or best[0][0] < 2:
        return ()
    return best[0][1]


class _Stemmer:
    """Snowball with the extra German rules; one instance per language, cached per word."""

    def __init__(self, lang: str):
        self.lang = lang
        self._snowball = Stemmer.Stemmer("german" if lang == "de" else "english")
        self.stem = functools.lru_cache(maxsize=200_000)(self._stem)

    def _stem(self, folded: str) -> str:
        stem = self._snowball.stemWord(folded)
        if self.lang != "de":
            return stem
        stem = _strip_participle(stem)
        stem = _strip_verb_ending(stem)
        if stem.endswith("ung") and len(stem) >= 7:
            stem = stem[:-3]
        if stem.endswith("er") and len(stem) >= 6:
            stem = stem[:-2]
        return stem


def _strip_verb_ending(stem: str) -> str:
    """'liefert' -> 'liefer', 'meldet' -> 'meld': Snowball leaves the -t of conjugated verbs."""
    if len(stem) >= 6 and stem.endswith("et") and stem[-3] in "dt":
        return stem[:-2]
    if len(stem) >= 6 and stem.endswith("t") and stem[-2] not in "aeioust":
        return stem[:-1]
    return stem


def _strip_participle(stem: str) -> str:
    """'zuruckgeschickt' -> 'zuruckschick', 'gemeldet' -> 'meld', 'zuruckzuschick' -> 'zuruckschick':
    participles and zu-infinitives meet their verb."""
    for prefix in _SEPARABLE_PREFIXES:
        if prefix != "zu" and stem.startswith(prefix + "zu") and len(stem) - len(prefix) - 2 >= 4:
            return prefix + stem[len(prefix) + 2:]
    if not stem.endswith("t") or len(stem) < 7:
        return stem
    for prefix in _SEPARABLE_PREFIXES:
        if stem.startswith(prefix + "ge") and len(stem) - len(prefix) - 2 >= 4:
            stem = prefix + stem[len(prefix) + 2:]
            return stem[:-2] if stem.endswith("et") and len(stem) > 6 else stem[:-1]
    if stem.startswith("ge"):
        rest = stem[2:]
        return rest[:-2] if rest.endswith("et") and len(rest) > 5 else rest[:-1]
    return stem


_STEMMERS = {"de": _Stemmer("de"), "en": _Stemmer("en")}


EXACT_PREFIX = "="


@dataclass(frozen=True)
class WordTerms:
    """The index terms one word stands for: its stem, its compound parts' stems, its exact form."""

    stem: str
    parts: tuple[str, ...]
    exact: str
    exact_parts: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        # The exact form lets an article that uses the customer's very word rank above one that
        # only shares the stem ("liefert" vs "Lieferung"); a compound's parts count as words too.
        exact = (EXACT_PREFIX + self.exact,) + tuple(EXACT_PREFIX + p for p in self.exact_parts)
        return (self.stem,) + exact + tuple(p for p in self.parts if p != self.stem)


@functools.lru_cache(maxsize=200_000)
def word_terms(word: str, lang: str) -> WordTerms | None:
    """Analyse one word (already split on spaces); None for stop words and noise."""
    lowered = word.lower()
    stopwords = GERMAN_STOPWORDS if lang == "de" else ENGLISH_STOPWORDS
    if lowered in stopwords or len(lowered) < 2:
        return None
    folded = fold(lowered)
    if folded in stopwords:
        return None
    stemmer = _STEMMERS["de" if lang == "de" else "en"]
    pieces = re.split(r"[-‐]", folded)
    joined = "".join(pieces)
    surface_parts = [p for p in pieces if len(p) >= 2] if len(pieces) > 1 else []
    if lang == "de":
        surface_parts.extend(split_compound(joined))
    parts = (stemmer.stem(p) for p in surface_parts)
    # "Sendungs|verfolgung": the part without its linking -s is the word a customer types.
    exact_parts = (p[:-1] if p.endswith("s") and len(p) > 4 else p for p in surface_parts)
    return WordTerms(stemmer.stem(joined), tuple(dict.fromkeys(p for p in parts if len(p) >= 2)), joined,
                     tuple(dict.fromkeys(exact_parts)))


@functools.lru_cache(maxsize=200_000)
def index_terms(word: str, lang: str) -> tuple[str, ...]:
    """Every term one surface word is indexed under; a full build asks this for millions of tokens
    of a few ten thousand distinct words, so the answer is kept per word."""
    terms = word_terms(word, lang)
    return terms.all if terms is not None else ()


def is_stop_word(word: str, lang: str) -> bool:
    """A word too common to highlight: the stop words, and the few ("nicht", "ohne", "kein") that stay
    searchable because they carry a problem but would mark half the sentences of an article."""
    lowered = word.lower()
    listed = _NEVER_MARKED_DE if lang == "de" else ENGLISH_STOPWORDS
    return lowered in listed or fold(lowered) in listed


def words(text: str) -> list[str]:
    return WORD_PATTERN.findall(text)


# Words that only point at an order number ("Bestellung 100563", "order no 101863"): in a customer's message
# they name which order, not what the problem is, and would pull every article about ordering to the top.
_ORDER_REFERENCE_WORDS = frozenset(fold(w) for w in (
    "bestellung", "bestellungen", "bestellnummer", "bestellnr", "auftrag", "auftragsnummer", "nummer", "nr",
    "order", "orders", "number", "no", "num", "ref", "reference", "referenz"))
_REFERENCE_NUMBER = re.compile(r"^[0-9]{5,}$")


def without_order_references(query_words: list[str]) -> list[str]:
    """The words of a query without order numbers (five digits or more) and the words that name them.

    "die lampe aus bestellung 100563 flackert" is about a flickering lamp; the words are kept as they are
    when nothing else would remain ("Bestellung 100563" alone still finds the ordering articles).
    """
    drop: set[int] = set()
    for index, word in enumerate(query_words):
        if not _REFERENCE_NUMBER.match(word):
            continue
        drop.add(index)
        before = index - 1
        while before >= 0 and fold(query_words[before]) in _ORDER_REFERENCE_WORDS:
            drop.add(before)
            before -= 1
    kept = [word for index, word in enumerate(query_words) if index not in drop]
    return kept if any(not w.isdigit() for w in kept) else query_words


class HelpTermFilter(Filter):
    """Whoosh filter: replace each word token by its stem and compound-part stems."""

    def __init__(self, lang: str = "de"):
        self.lang = lang

    def __eq__(self, other):
        return isinstance(other, HelpTermFilter) and other.lang == self.lang

    def __call__(self, tokens):
        lang = self.lang
        for token in tokens:
            for term in index_terms(token.text, lang):
                token.text = term
                yield token


def help_analyzer(lang: str):
    """The analyser of every text field of the help index in one language."""
    return RegexTokenizer(WORD_PATTERN) | HelpTermFilter(lang)


SPELLING_PATTERN = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def spelling_analyzer():
    """Surface words as customers would type them, for 'Meinten Sie …?' and typo repair."""
    return RegexTokenizer(SPELLING_PATTERN) | LowercaseFilter() | StopFilter(stoplist=frozenset(), minsize=3)
