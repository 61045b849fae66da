"""Large builds write the word index with two processes: the same index as one process writes, and a
sub-writer that dies never leaves articles out."""
import pytest
from whoosh import multiproc

from app.search import index as search_index
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from bench.search_bench import generate_articles

QUERIES = ("Rücksendung Etikett", "Lieferung verspätet", "Rechnung", "Gutschein einlösen", "Paket beschädigt",
           "Zahlung", "Umtausch Größe", "Kundenkonto Passwort", "return label", "delivery")


@pytest.fixture(scope="module")
def articles():
    return generate_articles(240)


def _ranking(store, semantic=False):
    """Per query the top ten's scores, and which articles score above the tenth: which of several articles
    with the same score comes first depends on the document numbers, and the sub-writers share out their
    jobs as they come."""
    engine = SearchEngine(store)
    ranking = {}
    for q in QUERIES:
        for lang in ("de", "en"):
            hits = [(round(h.score, 3), h.slug) for h in engine.search(q, lang=lang, limit=10, semantic=semantic).hits]
            scores = [score for score, _ in hits]
            ranking[(q, lang)] = (scores, sorted(hit for hit in hits if hit[0] > min(scores, default=0)))
    return ranking


def _segments(store, lang):
    return len(store.open_index(lang)._segments())


def test_a_large_language_is_written_by_two_processes_and_searches_as_one_process_wrote_it(articles, tmp_path,
                                                                                           monkeypatch):
    one = IndexStore(tmp_path / "one")
    one.rebuild(articles)
    monkeypatch.setattr(search_index, "PARALLEL_WRITE_FROM", 100)
    two = IndexStore(tmp_path / "two")
    two.rebuild(articles)

    german = sum(1 for a in articles if a.lang == "de")
    assert german >= 100 > sum(1 for a in articles if a.lang == "en")
    assert (_segments(one, "de"), _segments(two, "de"), _segments(two, "en")) == (1, 2, 1)
    assert two.document_count() == one.document_count() == len(articles)
    assert two.is_current(articles)
    assert _ranking(two) == _ranking(one)
    # No job file of the sub-writers is left in the generation.
    assert not [p for p in two.current_generation().rglob("*") if p.suffix in (".doclist", ".tmp")]


def test_a_sub_writer_that_dies_means_one_process_writes_the_language_again(articles, tmp_path, monkeypatch, caplog):
    def dies(self, filename, length):
        raise OSError("disk full")

    monkeypatch.setattr(search_index, "PARALLEL_WRITE_FROM", 100)
    monkeypatch.setattr(multiproc.SubWriterTask, "_process_file", dies)
    store = IndexStore(tmp_path / "index")
    store.rebuild(articles)

    assert store.document_count() == len(articles)
    assert _segments(store, "de") == 1
    assert "writing it again in one process" in caplog.text
    hits = SearchEngine(store).search("Rücksendung", lang="de", limit=5, semantic=False).hits
    assert hits
