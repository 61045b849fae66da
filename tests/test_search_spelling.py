"""The spelling vote: letter groups counted at index time, kept per generation, fused into the ranking."""
import numpy as np
import pytest

from app.articles.loader import load_content
from app.search import spelling
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from tests.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT


def _groups(text):
    slots, counts = spelling.gram_counts(text)
    return dict(zip(slots.tolist(), counts.tolist()))


def _slot(group: str) -> int:
    """The slot of one padded letter group, the way gram_counts hashes it."""
    packed = 0
    for byte in group.encode("ascii"):
        packed = (packed << 8) | byte
    return ((packed * 0x9E3779B97F4A7C15) % (1 << 64)) >> (64 - spelling.BUCKET_BITS)


def test_letter_groups_are_three_to_five_letters_within_a_word_padded_at_its_edges():
    groups = _groups("Paket kaputt")
    # " paket " has 5 + 4 + 3 groups of three to five letters, " kaputt " 6 + 5 + 4.
    assert sum(groups.values()) == 12 + 15
    assert _slot(" pa") in groups and _slot("ket ") in groups and _slot(" kap") in groups
    # Nothing reaches across the space between two words.
    assert _slot("t k") not in groups and _slot("et ka") not in groups and _slot("t  k") not in groups


def test_accents_case_and_sharp_s_are_folded_and_numbers_left_out():
    assert _groups("Größe ändern") == _groups("grosse andern")
    assert _groups("Café") == _groups("cafe")
    # Order numbers, postcodes and punctuation add nothing; a text of only those has no groups.
    assert _groups("Bestellung 100411, PLZ 10115!") == _groups("bestellung plz")
    assert _groups("100411 — 2026") == {}
    assert _groups("") == {} and _groups("🙂 ✓") == {}
    assert _groups("Привет") == {}  # other scripts have no letters a–z after folding


def _stored(texts):
    """Articles' stored counts as an index build makes them: frequencies first, then each length."""
    counted = [spelling.gram_counts(text) for text in texts]
    frequencies = spelling.Frequencies.of(slots for slots, _ in counted)
    return [spelling.encode(slots, counts, frequencies) for slots, counts in counted], frequencies


def test_repeated_words_count_their_groups_and_the_stored_form_round_trips():
    slots, counts = spelling.gram_counts("retoure retoure retoure")
    assert counts.max() == 3 and list(slots) == sorted(set(slots))
    frequencies = spelling.Frequencies.of([slots])
    decoded = spelling.decode(spelling.encode(slots, counts, frequencies))
    assert np.array_equal(decoded[0], slots) and np.array_equal(decoded[1], counts)
    # The stored length is the vector's: sub-linear counts times IDF (ln(2/2) + 1 = 1 for every group here).
    assert decoded[2] == pytest.approx(np.sqrt(np.sum((1 + np.log(counts)) ** 2)), rel=1e-6)
    # Anything that is not a stored count decodes to nothing rather than to garbage.
    assert spelling.decode(None) is None and spelling.decode(b"12345") is None and spelling.decode("text") is None


def test_a_word_sharing_letters_but_no_stem_with_an_article_finds_it():
    stored, frequencies = _stored([
        "Retoure anmelden: so schicken Sie Artikel zurück",
        "Rechnung herunterladen im Kundenkonto",
        "Lieferung verspätet: wann kommt mein Paket",
    ])
    scores = spelling.similarities("retournieren", stored, frequencies)
    assert int(np.argmax(scores)) == 0 and scores[0] > 0
    scores = spelling.similarities("lieferverzug", stored, frequencies)
    assert int(np.argmax(scores)) == 2
    # The same text as an article's is as close as can be.
    assert spelling.similarities("Rechnung herunterladen im Kundenkonto", stored, frequencies)[1] == pytest.approx(1.0)
    # A query without a single shared letter group scores zero everywhere; so does one without letters.
    assert not spelling.similarities("xyzzy", stored, frequencies).any()
    assert not spelling.similarities("4711", stored, frequencies).any()
    # An article without counts (an index from before) is simply not close.
    assert spelling.similarities("retoure", [None, stored[0]], frequencies)[0] == 0


def test_frequencies_after_an_edit_equal_a_fresh_count(tmp_path):
    counted = [spelling.gram_counts(t) for t in ["paket kaputt", "paket verloren", "rechnung ändern", "retoure anmelden"]]
    slots = [s for s, _ in counted]
    edited = spelling.gram_counts("paket beschädigt angekommen")[0]
    after = spelling.Frequencies.of(slots).updated(removed=[slots[0], slots[3]], added=[edited])
    fresh = spelling.Frequencies.of([edited, slots[1], slots[2]])
    assert after.articles == fresh.articles == 3
    assert np.array_equal(after.counts, fresh.counts)
    path = tmp_path / "spelling-de.bin"
    spelling.write_frequencies(path, after)
    again = spelling.read_frequencies(path)
    assert again.articles == 3 and np.array_equal(again.counts, after.counts)
    # A torn or foreign file reads as "no frequencies": the search then ranks without the spelling vote.
    path.write_bytes(path.read_bytes()[:-4])
    assert spelling.read_frequencies(path) is None
    assert spelling.read_frequencies(tmp_path / "missing.bin") is None


@pytest.fixture()
def store(tmp_path):
    tree = load_content(FIXTURE_CONTENT)
    store = IndexStore(tmp_path / "index")
    store.rebuild(tree.published)
    return tree, store


def _fresh_count(store, lang):
    from whoosh import index as whoosh_index
    ix = whoosh_index.open_dir(str(store.current_generation() / lang))
    with ix.searcher() as searcher:
        column = searcher.reader().column_reader("grams")
        return spelling.Frequencies.of(spelling.stored_slots(column[docnum]) for docnum in searcher.reader().all_doc_ids())


def test_every_generation_keeps_each_languages_frequencies_and_edits_keep_them_exact(store):
    tree, store = store
    for lang in ("de", "en"):
        frequencies = spelling.read_frequencies(spelling.frequencies_path(store.current_generation(), lang))
        assert frequencies.articles == sum(1 for a in tree.published if a.lang == lang)
        assert np.array_equal(frequencies.counts, _fresh_count(store, lang).counts)
    german = [a for a in tree.published if a.lang == "de"]
    changed = german[0].__class__(**{**german[0].__dict__, "title": "Retournieren leicht gemacht",
                                     "content_hash": "changed"})
    added = german[1].__class__(**{**german[1].__dict__, "slug": "neuer-artikel", "title": "Lieferverzug",
                                   "content_hash": "new"})
    remaining = [changed, added] + [a for a in tree.published if a.slug not in (german[0].slug, german[2].slug)]
    report = store.sync(remaining)
    assert (report.rebuilt, report.added, report.updated, report.deleted) == (False, 1, 1, 1)
    frequencies = spelling.read_frequencies(spelling.frequencies_path(store.current_generation(), "de"))
    assert frequencies.articles == len(german)  # one removed, one added
    assert np.array_equal(frequencies.counts, _fresh_count(store, "de").counts)
    # A search reads the edited article's new counts (its own segment now), not the replaced ones.
    engine = SearchEngine(store)
    searcher, _ = engine._searcher("de")
    column = engine._grams_column(searcher)
    stored = spelling.decode(column[searcher.document_number(slug=changed.slug)])
    assert np.array_equal(stored[0], spelling.article_counts(changed)[0])
    assert searcher.document_number(slug=german[2].slug) is None


def test_an_unreadable_frequency_file_is_counted_again_at_the_next_edit(store):
    tree, store = store
    path = spelling.frequencies_path(store.current_generation(), "de")
    path.write_bytes(b"torn")
    german = [a for a in tree.published if a.lang == "de"]
    changed = german[0].__class__(**{**german[0].__dict__, "title": "Neu", "content_hash": "changed"})
    store.sync([changed] + [a for a in tree.published if a.slug != changed.slug])
    frequencies = spelling.read_frequencies(path)
    assert frequencies is not None and frequencies.articles == len(german)
    assert np.array_equal(frequencies.counts, _fresh_count(store, "de").counts)


def test_without_the_frequency_file_the_search_ranks_by_words_and_meaning(store):
    tree, store = store
    engine = SearchEngine(store)
    spelling.frequencies_path(store.current_generation(), "de").unlink()
    hits = [h.slug for h in engine.search("etikett drucken", "de").hits]
    assert hits and hits == [h.slug for h in engine.search("etikett drucken", "de", spelling=False).hits]


@pytest.fixture(scope="module")
def shipped():
    tree = load_content(SHIPPED_CONTENT)
    return tree


def test_the_spelling_vote_lifts_the_article_whose_words_the_query_echoes(shipped, tmp_path_factory):
    store = IndexStore(tmp_path_factory.mktemp("shipped-index"))
    store.rebuild(shipped.published)
    engine = SearchEngine(store)
    # "Paketverfolgung" and the article's "Sendung verfolgen" / "Sendungsverfolgung" share most letter groups
    # but no stem; by words and meaning, "Paket zugestellt, aber nicht erhalten" (it has "Paket") comes first.
    query = "paketverfolgung funktioniert nicht"
    with_spelling = [h.slug for h in engine.search(query, "de").hits]
    without = [h.slug for h in engine.search(query, "de", spelling=False).hits]
    assert with_spelling[0] == "sendung-verfolgen"
    assert without[0] != "sendung-verfolgen" and "sendung-verfolgen" in without[:3]
    # Without sentence vectors there is nothing to fuse: the word ranking stays as it was.
    assert ([h.slug for h in engine.search(query, "de", semantic=False).hits]
            == [h.slug for h in engine.search(query, "de", semantic=False, spelling=False).hits])


def test_the_setting_off_gives_the_ranking_without_the_spelling_vote(make_app, tmp_path):
    index = tmp_path / "index"
    default = make_app(SHIPPED_CONTENT, index).test_client()
    without = make_app(SHIPPED_CONTENT, index, HELPCENTER_SEARCH_SPELLING=False).test_client()

    def slugs(client):
        body = client.get("/api/search", query_string={"q": "lieferverzögerung bei meinem paket", "lang": "de",
                                                       "log": "0"}).get_json()
        return [r["slug"] for r in body["results"]]

    # Both find the late-delivery article first (the synonyms know "Verzögerung"); behind it, the letter
    # groups of "Lieferverzögerung" favour "Lieferzeiten" over "Paket zugestellt, aber nicht erhalten".
    assert slugs(default)[0] == slugs(without)[0] == "lieferung-verspaetet"
    assert slugs(default)[1] == "lieferzeiten" and slugs(without)[1] == "paket-zugestellt-nicht-erhalten"


def test_the_setting_is_read_from_the_environment(tmp_path):
    from app.config import config_from_env
    assert config_from_env(tmp_path, {"HELPCENTER_SEARCH_SPELLING": "off"})["HELPCENTER_SEARCH_SPELLING"] is False
    assert config_from_env(tmp_path, {})["HELPCENTER_SEARCH_SPELLING"] is True


def test_an_article_is_as_close_in_meaning_as_its_two_language_versions_together(shipped, tmp_path):
    from app.search import embeddings
    from app.search.engine import OTHER_LANGUAGE_SHARE
    store = IndexStore(tmp_path / "index")
    store.rebuild(shipped.published)
    generation = store.current_generation()
    translations = store.manifest()["translations"]
    assert translations["cancel-an-order"] == "bestellung-stornieren"
    assert len(translations) == sum(1 for a in shipped.published if a.lang == "en" and a.translation)
    engine = SearchEngine(store)
    query = embeddings.encoder().encode_query("ich will meine bestellung doch nicht")
    german = embeddings.read_vectors(embeddings.vectors_path(generation, "de"))
    english = embeddings.read_vectors(embeddings.vectors_path(generation, "en"))
    _, mixed = engine._similarities(generation, "de", ["ich", "will", "meine", "bestellung", "doch", "nicht"])
    own, other = german.similarities(query), english.similarities(query)
    at, version = german.position["bestellung-stornieren"], english.position["cancel-an-order"]
    assert mixed[at] == pytest.approx((1 - OTHER_LANGUAGE_SHARE) * own[at] + OTHER_LANGUAGE_SHARE * other[version])
    # The same for an English query, through the German versions.
    _, mixed_en = engine._similarities(generation, "en", ["cancel", "my", "order"])
    query_en = embeddings.encoder().encode_query("cancel my order")
    assert mixed_en[version] == pytest.approx(0.5 * english.similarities(query_en)[version]
                                              + 0.5 * german.similarities(query_en)[at])
    # An edit that drops the link leaves the German article with its own closeness only.
    unlinked = [a.__class__(**{**a.__dict__, "translation": None, "content_hash": "unlinked"})
                if a.slug == "cancel-an-order" else a for a in shipped.published]
    store.sync(unlinked)
    assert "cancel-an-order" not in store.manifest()["translations"]
    _, alone = engine._similarities(generation, "de", ["ich", "will", "meine", "bestellung", "doch", "nicht"])
    assert alone[at] == pytest.approx(german.similarities(query)[at])
