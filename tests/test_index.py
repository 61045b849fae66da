"""The search index: rebuilds, incremental re-indexing, and several writers at once."""
import multiprocessing
import threading
from pathlib import Path

from app.articles.loader import load_content
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from tests.conftest import FIXTURE_CONTENT


def article_file(root: Path, slug: str, title: str, body: str, category: str = "versand") -> Path:
    path = root / category / f"{slug}.md"
    path.write_text(f"---\ntitle: {title}\nsummary: {title} kurz erklärt.\n---\n{body}\n", encoding="utf-8")
    return path


def slugs(client, q: str, lang: str = "de") -> list[str]:
    return [r["slug"] for r in client.get("/api/search", query_string={"q": q, "lang": lang, "limit": 20}).get_json()["results"]]


def test_full_rebuild_holds_every_published_article(tmp_path):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    report = store.rebuild(tree.published)
    assert report.rebuilt
    assert store.document_count() == len(tree.published) == 12
    assert store.document_count("en") == 2
    assert store.is_current(tree.published)
    first = store.current_generation()
    store.rebuild(tree.published)
    assert store.current_generation() != first
    assert store.document_count() == 12


def test_old_generations_are_cleaned_up(tmp_path):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    for _ in range(4):
        store.rebuild(tree.published)
    assert len(list(tmp_path.glob("gen-*"))) == 2


def test_changed_added_and_deleted_articles_are_reindexed_on_their_own(make_app, content_copy, tmp_path):
    app = make_app(content_copy, tmp_path / "index")
    client = app.test_client()
    assert slugs(client, "Sendungsverfolgung")[:1] == ["sendungsverfolgung"]   # first request builds the index
    store = IndexStore(tmp_path / "index")
    generation = store.current_generation()

    article_file(content_copy, "zollgebuehren", "Zollgebühren in der Schweiz", "Für Sendungen in die Schweiz fällt Einfuhrumsatzsteuer an.")
    assert slugs(client, "Einfuhrumsatzsteuer") == ["zollgebuehren"]

    target = content_copy / "zahlung" / "paypal.md"
    target.write_text(target.read_text().replace("melden Sie sich an", "bestätigen Sie mit Klarna-Sofortkauf"))
    assert slugs(client, "Klarna") == ["paypal"]

    (content_copy / "versand" / "sendung-beschaedigt.md").unlink()
    assert "sendung-beschaedigt" not in slugs(client, "beschädigt Karton")

    # Incremental: still the same generation, no full rebuild happened.
    assert store.current_generation() == generation
    assert store.document_count() == 12


def test_broken_edit_keeps_serving_the_rest(make_app, content_copy, tmp_path):
    app = make_app(content_copy, tmp_path / "index")
    client = app.test_client()
    assert slugs(client, "PayPal")[:1] == ["paypal"]
    (content_copy / "zahlung" / "paypal.md").write_text("---\ntitle: [kaputt\n---\n")
    assert client.get("/hilfe/zahlung/paypal").status_code == 404
    assert "paypal" not in slugs(client, "PayPal")
    assert client.get("/hilfe/zahlung/rechnung").status_code == 200


def test_readers_never_see_a_half_built_index(tmp_path):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    store.rebuild(tree.published)
    engine = SearchEngine(store)
    failures, rounds = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                hits = engine.search("Rechnung", limit=3).hits
                if not hits or hits[0].slug != "rechnung":
                    failures.append([h.slug for h in hits])
            except Exception as exc:  # noqa: BLE001 — the test reports any reader failure
                failures.append(repr(exc))
            rounds.append(1)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(5):
        store.rebuild(tree.published)
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
    assert len(rounds) > 10


def _worker_sync(index_dir: str, barrier, results):
    tree = load_content(FIXTURE_CONTENT)
    barrier.wait()
    report = IndexStore(index_dir).sync(tree.published)
    results.put(report.rebuilt)


def test_workers_starting_at_once_build_the_index_once(tmp_path):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    processes = [ctx.Process(target=_worker_sync, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
        assert p.exitcode == 0
    rebuilt = sorted(results.get(timeout=5) for _ in processes)
    assert rebuilt == [False, False, False, True]
    store = IndexStore(tmp_path)
    assert store.document_count() == 12
    assert len(list(tmp_path.glob("gen-*"))) == 1


def test_stale_index_from_another_analysis_is_rebuilt(tmp_path, monkeypatch):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    store.rebuild(tree.published)
    monkeypatch.setattr("app.search.index.SCHEMA_VERSION", "older")
    assert not store.is_current(tree.published)
    assert store.sync(tree.published).rebuilt


def test_edits_leave_small_segments_that_a_merge_folds_together_without_changing_results(tmp_path):
    import dataclasses

    from whoosh import index as whoosh_index

    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    store.rebuild(tree.published)
    engine = SearchEngine(store)
    articles = list(tree.published)
    german = [i for i, a in enumerate(articles) if a.lang == "de"]
    for n, i in enumerate(german[:5]):
        articles[i] = dataclasses.replace(articles[i], summary=f"{articles[i].summary} Nachtrag {n}.",
                                          content_hash=f"edit-{n}")
        assert store.sync(articles).updated == 1

    def segments():
        return len(whoosh_index.open_dir(str(store.current_generation() / "de"))._segments())

    before = segments()
    found = [hit.slug for hit in engine.search("Paket Rücksendung Rechnung", limit=12).hits]
    assert before > 2  # one segment per edit: the edit itself did not wait for a merge
    assert store.merge_small_segments() == 1
    assert segments() < before
    assert [hit.slug for hit in engine.search("Paket Rücksendung Rechnung", limit=12).hits] == found
    assert store.is_current(articles)


def test_an_edit_on_a_damaged_generation_rebuilds_it_instead_of_failing(tmp_path, caplog):
    import dataclasses

    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    store.rebuild(tree.published)
    damaged = store.current_generation()
    # A segment file emptied (a disk or a crash mid-write): Whoosh can no longer read that generation.
    for path in (damaged / "de").glob("*.trm"):
        path.write_bytes(b"")
    articles = list(tree.published)
    i = next(i for i, a in enumerate(articles) if a.lang == "de")
    articles[i] = dataclasses.replace(articles[i], summary="Neu.", content_hash="edit-damaged")
    report = store.sync(articles)
    assert report.rebuilt and store.current_generation() != damaged
    assert store.is_current(articles) and store.document_count() == 12
    assert "rebuilding it" in caplog.text
    assert [h.slug for h in SearchEngine(store).search("Paket Rücksendung Rechnung", limit=12).hits]

