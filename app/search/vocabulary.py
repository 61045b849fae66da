"""What the index knows besides postings: its surface words (typo repair) and the editors' synonyms."""
from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import chain

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from app.search.analysis import fold, word_terms, words

SPELL_FIELD = "spell"
_SEGMENTS_KEPT = 64
_segment_words: OrderedDict = OrderedDict()
_segment_lock = threading.Lock()


def _segment_words_of(leaf) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """One segment's surface words with their document frequency, and the folded view of them.

    Segments never change after they are written (deletions do not touch their terms), so each
    is read once per process: an edit adds a one-article segment and costs only that segment,
    where walking the merged vocabulary of a 10,000-article index takes seconds.
    """
    key = (leaf.segment().segment_id(), leaf.doc_count_all())
    entry = _segment_words.get(key)
    if entry is None:
        counts = {}
        for term, info in leaf.iter_field(SPELL_FIELD):
            counts[term.decode("utf-8") if isinstance(term, bytes) else term] = info.doc_frequency()
        frequency: dict[str, int] = {}
        display: dict[str, str] = {}
        for word in sorted(counts):
            folded, freq = fold(word), counts[word]
            if freq > frequency.get(folded, 0):
                frequency[folded] = freq
                display[folded] = word
        entry = (counts, frequency, display)
        with _segment_lock:
            _segment_words[key] = entry
            while len(_segment_words) > _SEGMENTS_KEPT:
                _segment_words.popitem(last=False)
    return entry


class Vocabulary:
    """Surface words of one index reader, for typo repair and 'Meinten Sie …?'."""

    def __init__(self, reader):
        leaves = sorted((leaf for leaf, _ in reader.leaf_readers()), key=lambda leaf: -leaf.doc_count_all())
        self.frequency: dict[str, int] = {}
        self.display: dict[str, str] = {}
        if leaves:
            base, frequency, display = _segment_words_of(leaves[0])
            self.frequency, self.display = dict(frequency), dict(display)
            # The small segments of recent edits only raise counts: the words they touch are
            # re-checked against the largest segment's table.
            extra: dict[str, int] = {}
            for leaf in leaves[1:]:
                for word, freq in _segment_words_of(leaf)[0].items():
                    extra[word] = extra.get(word, 0) + freq
            for word in sorted(extra):
                folded, freq = fold(word), base.get(word, 0) + extra[word]
                if freq > self.frequency.get(folded, 0):
                    self.frequency[folded] = freq
                    self.display[folded] = word
        self._by_length: dict[int, list[str]] = {}
        for word in self.frequency:
            self._by_length.setdefault(len(word), []).append(word)

    def correct(self, folded: str) -> str | None:
        """The most frequent known word within one (short words) or two edits, if any."""
        if not 4 <= len(folded) <= 40 or not self.frequency:
            return None
        max_distance = 1 if len(folded) <= 5 else 2
        # Each edit changes the length by one at most: only words of nearby lengths can match.
        candidates = list(chain.from_iterable(
            self._by_length.get(length, ()) for length in range(len(folded) - max_distance, len(folded) + max_distance + 1)))
        matches = process.extract(folded, candidates, scorer=Levenshtein.distance,
                                  score_cutoff=max_distance, limit=None)
        if not matches:
            return None
        return min(matches, key=lambda m: (m[1], -self.frequency[m[0]], m[0]))[0]


def looks_like_name(word: str) -> bool:
    """A word of a tag that is a brand, carrier or payment method rather than an ordinary word: a
    capital inside it (PayPal, eBay) or an acronym (DHL, DPD, GLS, UPS). A capitalised German noun
    (Rechnung) cannot be told from a name (Klarna, Hermes) by its letters: such names are listed in
    content/eigennamen.txt."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and any(c.isupper() for c in letters[1:])


def protected_words(names, tags) -> frozenset[str]:
    """Folded words that typo repair leaves alone: every word of the listed names, and the
    name-like words of the articles' tags ("PayPal" of "PayPal Erstattung", not "Erstattung")."""
    found = {fold(w) for name in names for w in words(name)}
    found.update(fold(w) for tag in tags for w in words(tag) if looks_like_name(w))
    return frozenset(found)


class SynonymTable:
    """Editor synonym groups, analysed into stem sequences once per language."""

    def __init__(self, groups, lang: str):
        self.groups: list[list[tuple[str, ...]]] = []
        for group in groups:
            members = []
            for phrase in group:
                analysed = [word_terms(w, lang) for w in words(phrase)]
                stems = tuple(t.stem for t in analysed if t is not None)
                if stems and stems not in members:
                    members.append(stems)
            if len(members) >= 2:
                self.groups.append(members)

    def alternatives_at(self, stems: list[str], start: int):
        """Yield (length, other members) for every group member found at stems[start:]."""
        for members in self.groups:
            for member in members:
                if tuple(stems[start:start + len(member)]) == member:
                    yield len(member), [m for m in members if m != member]
