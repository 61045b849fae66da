"""Scoring queries from cached Whoosh postings: the combined field of large indexes, the weighted fields of small ones.

Whoosh's matchers walk posting lists one document at a time in Python: on 10,000 articles a word
that thousands of articles contain costs thousands of steps per query, and its block-quality
skipping cannot help because BM25 bounds of 128-posting blocks are loose. Here each term's postings
are read once per index reader and turned into Whoosh's own BM25F scores (the searcher's idf and
average field length, the same formula), so a query becomes set and dict operations that run in C.
Whoosh still owns the index, its segments, deletions and statistics; the result is the ranking
Whoosh gives the same And/Or of Terms when it scores every match (a test checks it). It is exact:
Whoosh's own top-N search prunes with quality bounds and can leave out a document that belongs in
the top 20.

On a small index (per-field postings) a term is the Or of that term in each weighted field, as
index.FIELD_BOOSTS says; Whoosh builds a tree of some hundred matchers for such a query: 25 ms per search
on the 57 articles of a language on a loaded machine, 1.5-2.6 ms from the cached scores (bench/load.py).
"""
from __future__ import annotations

import heapq
import threading
from array import array
from collections import OrderedDict
from itertools import accumulate
from operator import neg

from whoosh.matching.wrappers import FilterMatcher

FIELD = "content"
# A cached posting is a dict entry with a float, some 100-250 bytes: the 139 terms of the benchmark's
# queries on 10,000 articles (203,000 postings) take about 50 MB. Least recently used terms go first.
MAX_CACHED_POSTINGS = 400_000
_LENGTHS_KEPT = 64 * 6  # segments × the fields of FIELD_BOOSTS
_segment_lengths: OrderedDict = OrderedDict()
_lengths_lock = threading.Lock()

# (terms that must all occur, boost): one way an article may say what the customer asked.
Alternative = tuple[tuple[str, ...], float]


def _field_lengths(leaf, field: str) -> array:
    """Per-document field lengths of one segment; segments never change, so one read per process."""
    key = (leaf.segment().segment_id(), leaf.doc_count_all(), field)
    lengths = _segment_lengths.get(key)
    if lengths is None:
        # None where a document has no such field (it then has no postings there to score either).
        lengths = array("d", (1 if fl is None else fl
                              for fl in (leaf.doc_field_length(d, field, 1) for d in range(leaf.doc_count_all()))))
        with _lengths_lock:
            _segment_lengths[key] = lengths
            while len(_segment_lengths) > _LENGTHS_KEPT:
                _segment_lengths.popitem(last=False)
    return lengths


def _decode(matcher) -> tuple[list[int], list[float]]:
    """All ids and weights of one segment's posting list, a block at a time.

    Reading whole blocks of Whoosh's own codec (W3) avoids a Python call per posting; any other
    matcher is stepped through the public API.
    """
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deletions are applied by the caller
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_byteids"):
        while matcher.is_active():
            matcher._read_weights()  # loads the block; ids are stored as gaps unless they are bytes
            raw_ids = matcher._data[0]
            ids.extend(raw_ids if matcher._byteids else accumulate(raw_ids))
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _added(common: set[int], maps: list[dict[int, float]]) -> dict[int, float]:
    """The documents in common with their scores in every map added up."""
    first, *rest = maps
    if len(rest) == 1:
        second = rest[0]
        return {d: first[d] + second[d] for d in common}
    total = {d: first[d] for d in common}
    for other in rest:
        total = {d: s + other[d] for d, s in total.items()}
    return total


class PostingScores:
    """BM25F scores of single terms, for one Whoosh searcher (not shared by threads).

    fields: one field name, or field -> boost: a term then scores as Or(Term(field, t, boost=w) for each
    field), the sum of its boosted scores in every field.
    """

    def __init__(self, searcher, fields: str | dict[str, float] = FIELD):
        self.searcher = searcher
        self.fields = {fields: 1.0} if isinstance(fields, str) else dict(fields)
        weighting = searcher.weighting
        self._k1 = weighting.K1
        self._leaves = []
        for leaf, offset in searcher.reader().leaf_readers():
            norms = {}
            for field in self.fields:
                b = weighting._field_B.get(field, weighting.B)
                avgfl = searcher.avg_field_length(field) or 1
                # Whoosh's BM25: idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)).
                norms[field] = array("d", (self._k1 * ((1 - b) + b * fl / avgfl)
                                           for fl in _field_lengths(leaf, field)))
            deleted = frozenset(d for d in range(leaf.doc_count_all()) if leaf.is_deleted(d)) \
                if leaf.has_deletions() else frozenset()
            self._leaves.append((leaf, offset, norms, deleted))
        self._terms: OrderedDict[str, dict[int, float]] = OrderedDict()
        self._cached = 0

    def term(self, text: str) -> dict[int, float]:
        """Document number -> score of one term (shared: callers must not change it)."""
        scores = self._terms.get(text)
        if scores is not None:
            self._terms.move_to_end(text)
            return scores
        scores = {}
        for field, boost in self.fields.items():
            field_scores = self._field_term(field, text)
            if boost != 1.0:
                field_scores = {d: s * boost for d, s in field_scores.items()}
            if not scores:
                scores = field_scores
            else:
                get = scores.get
                for d, s in field_scores.items():
                    scores[d] = get(d, 0.0) + s
        self._terms[text] = scores
        self._cached += len(scores)
        while self._cached > MAX_CACHED_POSTINGS and len(self._terms) > 1:
            _, dropped = self._terms.popitem(last=False)
            self._cached -= len(dropped)
        return scores

    def _field_term(self, field: str, text: str) -> dict[int, float]:
        scores: dict[int, float] = {}
        if not self.searcher.doc_frequency(field, text):
            return scores
        idf = self.searcher.idf(field, text)
        k1p1 = self._k1 + 1
        for leaf, offset, norms, deleted in self._leaves:
            if (field, text) not in leaf:
                continue
            ids, weights = _decode(leaf.postings(field, text))
            if deleted:
                kept = [(d, tf) for d, tf in zip(ids, weights) if d not in deleted]
                ids, weights = [d for d, _ in kept], [tf for _, tf in kept]
            field_norms = norms[field]
            values = [idf * ((tf * k1p1) / (tf + field_norms[d])) for d, tf in zip(ids, weights)]
            scores.update(zip([d + offset for d in ids] if offset else ids, values))
        return scores

    def concept(self, alternatives: list[Alternative]) -> dict[int, float]:
        """Or of the alternatives: every document with any of them, their scores added.

        An alternative of several terms is their And: documents with every term, scores added
        (Whoosh's intersection matcher); a boost multiplies an alternative's score.
        """
        parts = []
        for terms, boost in alternatives:
            maps = [self.term(t) for t in terms]
            scores = maps[0] if len(maps) == 1 else _added(set(min(maps, key=len)).intersection(*maps), maps)
            parts.append((scores, boost))
        parts.sort(key=lambda part: len(part[0]), reverse=True)
        (first, boost), rest = parts[0], parts[1:]
        total = dict(first) if boost == 1.0 else {d: s * boost for d, s in first.items()}
        for scores, boost in rest:
            get = total.get
            if boost == 1.0:
                for d, s in scores.items():
                    total[d] = get(d, 0.0) + s
            else:
                for d, s in scores.items():
                    total[d] = get(d, 0.0) + s * boost
        return total

    @staticmethod
    def combine(concepts: list[dict[int, float]], every: bool) -> dict[int, float]:
        """And (every=True) or Or of the concepts' scores."""
        if len(concepts) == 1:
            return concepts[0]
        if every:
            return _added(set(min(concepts, key=len)).intersection(*concepts), concepts)
        ordered = sorted(concepts, key=len, reverse=True)
        total = dict(ordered[0])
        for part in ordered[1:]:
            get = total.get
            for d, s in part.items():
                total[d] = get(d, 0.0) + s
        return total

    @staticmethod
    def top(scores: dict[int, float], n: int) -> list[tuple[float, int]]:
        """The n best (score, docnum), best first; equal scores in document order, as Whoosh does."""
        best = heapq.nlargest(n, zip(scores.values(), map(neg, scores.keys())))
        return [(score, -negated) for score, negated in best]
