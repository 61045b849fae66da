"""Answer a customer's query from the help index: query building, typo repair, synonyms, snippets.

A query never goes through Whoosh's query parser: customers type quotes, colons and brackets that
mean nothing to them, so the query is built from words directly and odd input cannot fail.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.query import And, Or, Term
from whoosh.scoring import BM25F

from app.search import embeddings, spelling
from app.search.analysis import EXACT_PREFIX, WordTerms, fold, without_order_references, word_terms, words
from app.search.index import FIELD_BOOSTS, IndexStore
from app.search.postings import PostingScores
from app.search.snippets import WordMatches, make_snippet
from app.search.vocabulary import SynonymTable, Vocabulary

MAX_QUERY_WORDS = 24
_SYNONYM_BOOST = 0.8
_PARTS_BOOST = 0.7
_CORRECTION_BOOST = 0.9
RERANK_DEPTH = 20
SINGLE_FIELD_ABOVE = 2000
EXACT_BOOST = 2.0
COVERAGE_FLOOR = 0.5
WELL_KNOWN_COMPOUND_DOCS = 20
# Reciprocal rank fusion of three rankings of the same candidates: by the words, by meaning (sentence
# vectors) and by spelling (letter groups): score = sum of weight/(K + rank). Chosen on the old query set
# and the even lines of the customers' set (bench/search_quality_queries*.tsv); the customers' odd lines
# and the blind sets stay held out for the report. Equal thirds measured as well as any split tried.
RRF_K = 10
WORDS_WEIGHT = MEANING_WEIGHT = SPELLING_WEIGHT = 1 / 3
# An article that shares no word with the query joins the results only when its vector is this
# close to the query's; gibberish, emoji and bare numbers stay below 0.2 against every article.
NEIGHBOUR_SIMILARITY = 0.3
MAX_NEIGHBOURS = 10
# An article with a version in the other language is as close in meaning as the two versions together,
# half each: the English version is written in English customers' words, a second wording of the same
# answer for the multilingual model (German R@3 on the tuning data unchanged, MRR 0.932 -> 0.933).
OTHER_LANGUAGE_SHARE = 0.5
# The word ranking's vote counts by the share of the query's concepts the article's words cover, to this
# power: an article found by one word of four ("eigenes benutzerkonto im shop einrichten" -> "Shop")
# votes 0.71 of a full match, so the article the meaning puts first, which shares no word, is not
# pushed down by half-matches. Chosen on the tuning data (R@3 0.988 -> 0.991, MRR 0.949 -> 0.951;
# powers 0.5-1 lowered one of the two); see the README's benchmarks.
WORDS_COVERAGE_POWER = 0.25


@dataclass(frozen=True)
class SearchHit:
    slug: str
    title: str
    summary: str
    category: str
    snippet: str
    score: float
    promoted: bool = False  # pinned to the query by an editor (app/search/promotions.py)


@dataclass(frozen=True)
class _Candidate:
    fields: dict
    lexical_rank: int | None  # 0-based place in the word ranking, None if no word matched
    score: float = 0.0
    docnum: int | None = None  # the article's document number in the searcher it was found with
    covered: float = 1.0  # share of the query's concepts the article's words cover


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]
    suggestion: str | None


@dataclass
class _Concept:
    """One thing the customer asked for, with every way an article may say it."""

    alternatives: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    def add(self, terms: tuple[str, ...], boost: float) -> None:
        if terms and all(terms) and terms not in (alt for alt, _ in self.alternatives):
            self.alternatives.append((terms, boost))


def _in_case_of(typed: str, word: str) -> str:
    """Write the suggestion the way the customer wrote: 'Rechnug' -> 'Rechnung'."""
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


def _close_searchers(per_thread: list[dict]) -> None:
    for searchers in per_thread:
        for searcher in list(searchers.values()):
            with contextlib.suppress(Exception):
                searcher.close()


def _has_field_postings(searcher) -> bool:
    """False for a large build that indexed only the combined field (see index.per_field_layout)."""
    return searcher.schema["title"].indexed


class SearchEngine:
    """Search one index directory; safe to share between threads (each has its own searcher)."""

    def __init__(self, store: IndexStore):
        self.store = store
        self._local = threading.local()
        self._synonym_tables: dict[tuple, SynonymTable] = {}
        self._vocabularies: dict[tuple, Vocabulary] = {}
        self._lock = threading.Lock()
        self._vectors = embeddings.vector_cache()
        self._frequencies = spelling.frequency_cache()
        self._pairs: dict[str, tuple] = {}
        # Index segments are separate files with open handles: every thread's searchers are closed
        # when the engine goes away, before the garbage collector would find the files unclosed.
        self._searchers_per_thread: list[dict] = []
        weakref.finalize(self, _close_searchers, self._searchers_per_thread)

    # Whoosh plumbing --------------------------------------------------------

    def _searcher(self, lang: str):
        generation = self.store.current_generation()
        if generation is None:
            return None, None
        cache = self._local.__dict__.get("searchers")
        if cache is None:
            cache = self._local.searchers = {}
            with self._lock:
                self._searchers_per_thread.append(cache)
        key = (str(generation), lang)
        searcher = cache.get(key)
        if searcher is None:
            for old_key in [k for k in cache if k[1] == lang]:
                cache.pop(old_key).close()
            ix = self.store.open_index(lang, generation)
            searcher = cache[key] = ix.searcher(weighting=BM25F())
        elif not searcher.up_to_date():
            # Not Searcher.refresh(): Whoosh 2.7 looks reusable segment readers up by the wrong key,
            # so it reopens every segment anyway and leaves all but one old reader open.
            fresh = self.store.open_index(lang, generation).searcher(weighting=BM25F())
            searcher.close()
            searcher = cache[key] = fresh
        return searcher, generation

    def _vocabulary(self, searcher, generation: Path, lang: str) -> Vocabulary:
        key = (str(generation), lang, searcher.reader().generation())
        vocab = self._vocabularies.get(key)
        if vocab is None:
            vocab = Vocabulary(searcher.reader())
            with self._lock:
                self._vocabularies = {k: v for k, v in self._vocabularies.items() if k[:2] != key[:2]}
                self._vocabularies[key] = vocab
        return vocab

    def _synonyms(self, groups, lang: str) -> SynonymTable:
        key = (groups, lang)
        table = self._synonym_tables.get(key)
        if table is None:
            table = SynonymTable(groups, lang)
            with self._lock:
                self._synonym_tables = {k: v for k, v in self._synonym_tables.items() if k[1] != lang}
                self._synonym_tables[key] = table
        return table

    # Query building ---------------------------------------------------------

    def _is_known(self, searcher, vocab: Vocabulary, folded: str, terms: WordTerms) -> bool:
        if folded in vocab.frequency:
            return True
        reader = searcher.reader()
        fields = ("content",) if not _has_field_postings(searcher) else FIELD_BOOSTS
        if any(reader.doc_frequency(f, terms.stem) for f in fields):
            return True
        return bool(terms.parts) and all(any(reader.doc_frequency(f, p) for f in fields) for p in terms.parts)

    @staticmethod
    def _single_field(searcher) -> bool:
        return searcher.doc_count() > SINGLE_FIELD_ABOVE or not _has_field_postings(searcher)

    def _well_known(self, searcher, stem: str) -> bool:
        # A compound that many articles use as one word needs no splitting; skipping the parts
        # spares an intersection of two long posting lists on large indexes.
        reader = searcher.reader()
        field = "content" if self._single_field(searcher) else "body"
        return reader.doc_frequency(field, stem) >= WELL_KNOWN_COMPOUND_DOCS

    def _concepts(self, searcher, vocab, query_words: list[str], lang: str, synonyms,
                  names: frozenset[str] = frozenset()) -> tuple[list[_Concept], str | None]:
        analysed: list[tuple[str, WordTerms]] = []
        suggestion_words: list[str] = []
        corrected_any = False
        for word in query_words:
            terms = word_terms(word, lang)
            if terms is None:
                suggestion_words.append(word)
                continue
            folded = fold(word)
            correction = None
            # A name the shop uses ("Klarna", "Hermes") is never "corrected" into a word it resembles.
            if not folded.isdigit() and folded not in names and not self._is_known(searcher, vocab, folded, terms):
                correction = vocab.correct(folded)
            analysed.append((word, terms))
            if correction is not None:
                corrected_any = True
                suggestion_words.append(_in_case_of(word, vocab.display[correction]))
                corrected = word_terms(correction, lang)
                if corrected is not None:
                    analysed[-1] = (word, terms, corrected)
            else:
                suggestion_words.append(word)

        stems = [entry[1].stem for entry in analysed]
        concepts: list[_Concept] = []
        i = 0
        while i < len(analysed):
            span = 1
            synonym_alternatives: list[tuple[str, ...]] = []
            for length, others in synonyms.alternatives_at(stems, i):
                if length >= span:
                    if length > span:
                        synonym_alternatives = []
                    span = length
                    synonym_alternatives.extend(others)
            concept = _Concept()
            covered = analysed[i:i + span]
            concept.add(tuple(entry[1].stem for entry in covered), 1.0)
            if span == 1:
                entry = covered[0]
                concept.add((EXACT_PREFIX + entry[1].exact,), EXACT_BOOST)
                if entry[1].parts and not self._well_known(searcher, entry[1].stem):
                    concept.add(entry[1].parts, _PARTS_BOOST)
                if len(entry) == 3:
                    concept.add((entry[2].stem,), _CORRECTION_BOOST)
                    if entry[2].parts:
                        concept.add(entry[2].parts, _PARTS_BOOST * _CORRECTION_BOOST)
                    for length, others in synonyms.alternatives_at([entry[2].stem], 0):
                        synonym_alternatives.extend(others)
            for alternative in synonym_alternatives:
                concept.add(alternative, _SYNONYM_BOOST)
            concepts.append(concept)
            i += span
        suggestion = " ".join(suggestion_words) if corrected_any else None
        return concepts, suggestion

    @staticmethod
    def _concept_queries(concepts: list[_Concept], single_field: bool) -> list:
        concept_queries = []
        for concept in concepts:
            alternatives = []
            for terms, boost in concept.alternatives:
                per_term = [Term("content", t) if single_field else
                            Or([Term(f, t, boost=w) for f, w in FIELD_BOOSTS.items()]) for t in terms]
                alternatives.append(per_term[0] if len(per_term) == 1 else And(per_term))
                alternatives[-1].boost = boost
            concept_queries.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
        return concept_queries

    @staticmethod
    def _covered_share(fields: dict, concepts: list[_Concept]) -> float:
        """The share of the customer's concepts the article covers (all terms of one way of saying each).

        A question names several things ("Geld", "Retoure", "dauert"); the article that answers
        all of them beats one that repeats a single word often. The article's terms are stored in
        the index, so this costs one stored-field read per candidate.
        """
        if len(concepts) == 1:
            return 1.0
        present = set(fields.get("terms", "").split())
        covered = sum(
            1 for concept in concepts
            if any(all(term in present for term in terms) for terms, _ in concept.alternatives)
        )
        return covered / len(concepts)

    def _postings(self, searcher, lang: str) -> PostingScores:
        # One cache per language; a new searcher (another generation, an edit) starts a new one.
        per_lang = self._local.__dict__.setdefault("postings", {})
        # Per-field weights rank best; on a large index the one combined field (whose postings the
        # build writes alone there), with fewer postings to read per term.
        fields = {"content": 1.0} if self._single_field(searcher) else FIELD_BOOSTS
        cached = per_lang.get(lang)
        if cached is None or cached.searcher is not searcher or cached.fields != fields:
            cached = per_lang[lang] = PostingScores(searcher, fields)
        return cached

    def _candidates(self, searcher, lang: str, concepts: list[_Concept], depth: int, limit: int):
        """The first `depth` (score, stored fields) of the And of the concepts (their Or when fewer than
        `limit` articles cover every concept), how many match, and the matched document numbers.

        Scored from cached postings (app/search/postings.py): the ranking Whoosh gives the queries of
        _concept_queries when it scores every match, without building its matcher tree per search.
        """
        postings = self._postings(searcher, lang)
        per_concept = [postings.concept(concept.alternatives) for concept in concepts]
        scores = None
        if len(per_concept) > 1:
            # Articles that cover every concept first: an intersection is usually enough.
            strict = postings.combine(per_concept, every=True)
            if len(strict) >= limit:
                scores = strict
        if scores is None:
            scores = postings.combine(per_concept, every=False)
        top = postings.top(scores, depth)
        return [(score, docnum, searcher.stored_fields(docnum)) for score, docnum in top], len(scores), scores

    # Meaning ---------------------------------------------------------------

    def _similarities(self, generation: Path, lang: str, query_words: list[str]):
        """The query's similarity to every article of the language, or None without vectors."""
        # Bare numbers and symbols mean nothing to the model: no "semantic" guesses for "100411".
        if not any(any(c.isalpha() for c in word) for word in query_words):
            return None
        vectors = self._vectors.get(embeddings.vectors_path(generation, lang))
        if vectors is None or not vectors.slugs or not embeddings.encoder().available:
            return None
        # Embedded from the words, lower-cased: "Paket kaputt!" and "paket kaputt" share the cache.
        query_vector = embeddings.encoder().encode_query(" ".join(query_words).lower())
        return vectors, self._with_other_language(generation, lang, vectors, query_vector,
                                                  vectors.similarities(query_vector))

    def _with_other_language(self, generation: Path, lang: str, vectors, query_vector, sims):
        """Each article's closeness half through itself, half through its version in the other language."""
        other_lang = "en" if lang == "de" else "de"
        other = self._vectors.get(embeddings.vectors_path(generation, other_lang))
        manifest = self.store.manifest(generation)
        if other is None or not other.slugs or not manifest or not manifest.get("translations"):
            return sims
        own_rows, other_rows = self._paired_rows(lang, vectors, other, manifest)
        if not len(own_rows):
            return sims
        mixed = sims.copy()
        mixed[own_rows] = ((1 - OTHER_LANGUAGE_SHARE) * sims[own_rows]
                           + OTHER_LANGUAGE_SHARE * other.similarities(query_vector)[other_rows])
        return mixed

    def _paired_rows(self, lang: str, vectors, other, manifest: dict) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the articles that have a version in the other language, and the rows of those
        versions; worked out once per pair of vector sets and manifest (each is replaced, never changed)."""
        cached = self._pairs.get(lang)
        if cached is not None and cached[0] is vectors and cached[1] is other and cached[2] is manifest:
            return cached[3], cached[4]
        english_to_german = manifest["translations"]
        pairs = english_to_german.items() if lang == "en" else ((de, en) for en, de in english_to_german.items())
        found = [(vectors.position[own], other.position[version]) for own, version in pairs
                 if own in vectors.position and version in other.position]
        own_rows = np.array([own for own, _ in found], dtype=np.int64)
        other_rows = np.array([version for _, version in found], dtype=np.int64)
        self._pairs[lang] = (vectors, other, manifest, own_rows, other_rows)
        return own_rows, other_rows

    def _grams_column(self, searcher):
        """The searcher's column of letter-group counts, opened once per searcher and thread: opening
        it reads every article's offset (1-2 ms on 10,000 articles)."""
        cached = self._local.__dict__.get("grams")
        if cached is None or cached[0] is not searcher:
            reader = searcher.reader()
            column = reader.column_reader("grams") if reader.has_column("grams") else None
            cached = self._local.grams = (searcher, column)
        return cached[1]

    def _spelling_ranks(self, searcher, generation: Path, lang: str, query_words: list[str],
                        pool: dict[str, _Candidate]) -> dict[str, int]:
        """The candidates' places by closeness in spelling to the query; those sharing no letter group
        with it get none."""
        frequencies = self._frequencies.get(spelling.frequencies_path(generation, lang))
        if frequencies is None or not query_words:
            return {}
        slugs = list(pool)
        # A column of its own, read per article: kept out of the stored fields, which every result
        # decompresses whole (the counts would triple what a search unpacks).
        column = self._grams_column(searcher)
        if column is None:
            return {}
        scores = spelling.similarities(" ".join(query_words), [column[pool[s].docnum] for s in slugs], frequencies)
        order = np.argsort(-scores, kind="stable")
        return {slugs[i]: place for place, i in enumerate(order) if scores[i] > 0}

    def _fused(self, searcher, generation: Path, lang: str, query_words: list[str], lexical: list[_Candidate],
               matched, similarities) -> tuple[list[_Candidate], int]:
        """Reciprocal rank fusion of the word ranking with the meaning and the spelling rankings, and
        the articles the meaning adds: its nearest neighbours above the similarity floor that no word found."""
        vectors, sims = similarities
        order = np.argsort(-sims, kind="stable")
        meaning_rank = np.empty(len(order), dtype=np.int64)
        meaning_rank[order] = np.arange(len(order))
        pool = {c.fields["slug"]: c for c in lexical}
        added = 0
        for position in order[:MAX_NEIGHBOURS]:
            if sims[position] < NEIGHBOUR_SIMILARITY:
                break
            slug = vectors.slugs[position]
            if slug in pool:
                continue
            docnum = searcher.document_number(slug=slug)
            if docnum is None:
                continue  # re-indexed a moment ago: the words see it, the vectors not yet
            pool[slug] = _Candidate(searcher.stored_fields(docnum), None, docnum=docnum)
            if docnum not in matched:
                added += 1
        spelling_rank = self._spelling_ranks(searcher, generation, lang, query_words, pool)
        fused = []
        for slug, candidate in pool.items():
            score = 0.0
            if candidate.lexical_rank is not None:
                score += WORDS_WEIGHT * candidate.covered ** WORDS_COVERAGE_POWER / (RRF_K + candidate.lexical_rank + 1)
            position = vectors.position.get(slug)
            if position is not None:
                score += MEANING_WEIGHT / (RRF_K + int(meaning_rank[position]) + 1)
            if slug in spelling_rank:
                score += SPELLING_WEIGHT / (RRF_K + spelling_rank[slug] + 1)
            fused.append(_Candidate(candidate.fields, candidate.lexical_rank, score, candidate.docnum))
        fused.sort(key=lambda c: (-c.score, c.lexical_rank if c.lexical_rank is not None else len(lexical)))
        return fused, added

    # The public call --------------------------------------------------------

    def search(self, query: str, lang: str = "de", limit: int = 10, synonym_groups=(), offset: int = 0,
               semantic: bool = True, names: frozenset[str] = frozenset(), spelling: bool = True) -> SearchResult:
        """The hits offset..offset+limit of the ranking, and how many articles match in all.

        With `semantic`, the word ranking is fused with the articles' closeness in meaning (and, with
        `spelling`, in spelling), and articles that say the same in other words join the results.
        """
        searcher, generation = self._searcher(lang)
        if searcher is None:
            return SearchResult(query=query, total=0, hits=[], suggestion=None)
        query_words = without_order_references(words(query))[:MAX_QUERY_WORDS]
        vocab = self._vocabulary(searcher, generation, lang)
        concepts, suggestion = self._concepts(searcher, vocab, query_words, lang,
                                              self._synonyms(tuple(synonym_groups), lang), names)
        if not concepts:
            return SearchResult(query=query, total=0, hits=[], suggestion=None)
        # The coverage re-ranking reorders blocks of `window` BM25 candidates, each on its own: a page
        # then never depends on how deep it was fetched, so page 2 continues page 1 without repeats or gaps.
        window = max(limit, RERANK_DEPTH)
        depth = -(-(offset + limit) // window) * window
        candidates, total, matched = self._candidates(searcher, lang, concepts, depth, limit)
        # BM25 weighted by the share of the concepts covered, within each block of `window`.
        covered = [self._covered_share(fields, concepts) for _, _, fields in candidates]
        by_coverage = sorted(((score * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * share), rank, docnum, fields, share)
                              for rank, ((score, docnum, fields), share) in enumerate(zip(candidates, covered))),
                             key=lambda item: (item[1] // window, -item[0], item[1]))
        ranked = [_Candidate(fields, rank, score, docnum, share)
                  for rank, (score, _, docnum, fields, share) in enumerate(by_coverage)]
        # The model reads the repaired query: "Rechnug" means nothing to it, "Rechnung" does.
        meant = words(suggestion)[:MAX_QUERY_WORDS] if suggestion else query_words
        similarities = self._similarities(generation, lang, meant) if semantic else None
        if similarities is not None:
            # Meaning reorders the first RERANK_DEPTH articles only (whatever the page size), and its
            # neighbours join there; the rest follows unchanged, so paging stays independent of how
            # deep or in which page size a page was fetched.
            first, added = self._fused(searcher, generation, lang, query_words if spelling else [],
                                       ranked[:RERANK_DEPTH], matched, similarities)
            shown = {c.fields["slug"] for c in first}
            ranked = first + [c for c in ranked[RERANK_DEPTH:] if c.fields["slug"] not in shown]
            total += added
        query_terms = {term for concept in concepts for terms, _ in concept.alternatives for term in terms}
        matched_words = WordMatches(query_terms, lang)
        hits = []
        for candidate in ranked[offset:offset + limit]:
            fields = candidate.fields
            snippet = (make_snippet(fields.get("body", ""), query_terms, lang, memo=matched_words)
                       or make_snippet(fields.get("summary", ""), query_terms, lang, memo=matched_words))
            hits.append(SearchHit(
                slug=fields["slug"], title=fields["title"], summary=fields["summary"], category=fields["category"],
                snippet=snippet, score=round(candidate.score, 4),
            ))
        return SearchResult(query=query, total=total, hits=hits, suggestion=suggestion)
