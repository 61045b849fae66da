"""Scores from cached postings (combined field or weighted fields) must be what Whoosh itself computes."""
import dataclasses
import hashlib

import pytest
from whoosh.query import And, Or

from app.articles.loader import load_content
from app.search import engine as engine_module
from app.search.analysis import fold, words
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from app.search.postings import _decode
from app.search.vocabulary import Vocabulary
from tests.conftest import FIXTURE_CONTENT

QUERIES = ["Rechnung", "Rechnug herunterladen", "Sendung verfolgen", "Rücksendeetikett", "Paket beschädigt",
           "Geld zurück", "PayPal Konto", "Lieferung Adresse ändern", "zurückgeschickt Erstattung"]


def _edited(article, n):
    text = f"{article.text}\nNachtrag {n}: Rechnung und Paket bitte prüfen."
    return dataclasses.replace(article, text=text, content_hash=hashlib.sha256(text.encode()).hexdigest())


@pytest.fixture(scope="module")
def edited_index(tmp_path_factory):
    """An index of several segments with deleted documents, as edits leave it."""
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path_factory.mktemp("index"))
    articles = list(tree.published)
    store.rebuild(articles)
    german = [i for i, a in enumerate(articles) if a.lang == "de"]
    for n, index in enumerate(german[:3]):
        articles[index] = _edited(articles[index], n)
        assert store.sync(articles).updated == 1
    engine = SearchEngine(store)
    searcher, generation = engine._searcher("de")
    assert len(searcher.reader().leaf_readers()) > 1 and searcher.reader().has_deletions()
    return engine, searcher, generation, tree


@pytest.mark.parametrize("single_field", [True, False], ids=["combined field", "weighted fields"])
@pytest.mark.parametrize("query", QUERIES)
def test_posting_scores_rank_like_whoosh_scoring_everything(edited_index, query, single_field, monkeypatch):
    engine, searcher, generation, tree = edited_index
    # Above SINGLE_FIELD_ABOVE articles the combined field, below it the per-field boosts (this index).
    monkeypatch.setattr(engine_module, "SINGLE_FIELD_ABOVE", 0 if single_field else 10**6)
    vocab = engine._vocabulary(searcher, generation, "de")
    concepts, _ = engine._concepts(searcher, vocab, words(query), "de", engine._synonyms(tree.synonyms, "de"))
    queries = engine._concept_queries(concepts, single_field=single_field)
    limit, depth = 3, 20
    whoosh = None
    if len(queries) > 1:
        strict = searcher.search(And(queries), limit=None)
        if len(strict) >= limit:
            whoosh = strict
    if whoosh is None:
        whoosh = searcher.search(queries[0] if len(queries) == 1 else Or(queries), limit=None)
    expected = sorted(((hit.score, hit.docnum) for hit in whoosh), key=lambda item: (-item[0], item[1]))[:depth]

    candidates, total, _ = engine._candidates(searcher, "de", concepts, depth, limit)

    assert total == len(whoosh)
    assert [docnum for _, docnum, _ in candidates] == [d for _, d in expected]
    assert [fields["slug"] for _, _, fields in candidates] == [searcher.stored_fields(d)["slug"] for _, d in expected]
    assert [score for score, _, _ in candidates] == pytest.approx([score for score, _ in expected], rel=1e-9)


def test_block_decoding_reads_what_the_matcher_steps_through(edited_index):
    _, searcher, _, _ = edited_index
    for leaf, _ in searcher.reader().leaf_readers():
        for term in ("rechnung", "paket", "=rechnung"):
            if ("content", term) not in leaf:
                continue
            stepped, matcher = [], leaf.postings("content", term)
            while matcher.is_active():
                stepped.append((matcher.id(), matcher.weight()))
                matcher.next()
            ids, weights = _decode(leaf.postings("content", term))
            deleted = {d for d in ids if leaf.is_deleted(d)}
            assert [(d, w) for d, w in zip(ids, weights) if d not in deleted] == stepped


def test_vocabulary_from_segments_matches_the_merged_reader(edited_index):
    _, searcher, _, _ = edited_index
    frequency: dict[str, int] = {}
    for term, info in searcher.reader().iter_field("spell"):
        word = fold(term.decode("utf-8"))
        frequency[word] = max(frequency.get(word, 0), info.doc_frequency())
    assert Vocabulary(searcher.reader()).frequency == frequency


def test_large_index_path_answers_through_the_api_shape(edited_index, monkeypatch):
    engine, _, _, tree = edited_index
    monkeypatch.setattr(engine_module, "SINGLE_FIELD_ABOVE", 0)
    result = engine.search("Rechnug", limit=3, synonym_groups=tree.synonyms)
    assert result.suggestion == "Rechnung"
    assert result.hits and result.total >= len(result.hits)
    assert "<mark" in result.hits[0].snippet
