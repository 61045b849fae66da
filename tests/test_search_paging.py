"""Paging through search results: /suche?q=…&seite=N (20 a page) and /api/search?offset=, every result reachable
exactly once, odd page numbers handled, and the search logged once."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.extensions import db
from app.insights.models import SearchLog
from app.search.engine import SearchEngine
from app.search.index import IndexStore
from tests.conftest import SHIPPED_CONTENT, build_index

# 45 German and 23 English articles that all mention the word; 7 more German ones that do not.
GERMAN_MATCHES, ENGLISH_MATCHES = 45, 23


def _article(path: Path, title: str, body: str, lang: str = "de", order: int = 1) -> None:
    path.write_text(f"---\ntitle: {title}\nsummary: {title}.\nlang: {lang}\norder: {order}\n---\n{body}\n",
                    encoding="utf-8")


@pytest.fixture(scope="module")
def many_articles(tmp_path_factory) -> Path:
    """A content tree where 'Gutschein' is in 45 German articles, with differing weight, so the ranking matters."""
    root = tmp_path_factory.mktemp("many-content")
    (root / "synonyme.txt").write_text("", encoding="utf-8")
    category = root / "gutscheine"
    category.mkdir()
    (category / "_index.md").write_text("---\ntitle: Gutscheine\ndescription: Alles zu Gutscheinen.\norder: 1\n"
                                        "title_en: Vouchers\n---\n", encoding="utf-8")
    for n in range(GERMAN_MATCHES):
        repeats = " ".join(["Gutschein"] * (1 + n % 5))
        _article(category / f"gutschein-{n:02d}.md", f"Frage {n:02d} zum Einlösen",
                 f"Antwort {n:02d}: {repeats} im Warenkorb einlösen. Thema {n % 7} Aktion {n % 3}.", order=n)
    for n in range(7):
        _article(category / f"anderes-{n}.md", f"Anderes {n}", f"Etwas ganz anderes {n}: Versand und Rechnung.")
    for n in range(ENGLISH_MATCHES):
        _article(category / f"voucher-{n:02d}.md", f"Question {n:02d} on redeeming",
                 f"Answer {n:02d}: redeem the voucher {'voucher ' * (n % 4)}at checkout.", lang="en", order=n)
    return root


@pytest.fixture(scope="module")
def many_index(many_articles, tmp_path_factory) -> Path:
    return build_index(many_articles, tmp_path_factory.mktemp("many-index"))


@pytest.fixture
def paging_client(make_app, many_articles, many_index):
    return make_app(many_articles, many_index).test_client()


def _slugs(html: str) -> list[str]:
    return re.findall(r'<li class="result">\s*<h2><a href="/hilfe/gutscheine/([a-z0-9-]+)', html)


def _search_logs(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(entry.query, entry.result_count)
                for entry in db.session.scalars(db.select(SearchLog).order_by(SearchLog.id))]


def test_every_result_is_on_exactly_one_page_in_ranking_order(paging_client):
    pages = [paging_client.get("/suche", query_string={"q": "Gutschein", "seite": n}) for n in (1, 2, 3)]
    assert all(page.status_code == 200 for page in pages)
    slugs = [_slugs(page.get_data(as_text=True)) for page in pages]
    assert [len(s) for s in slugs] == [20, 20, 5]
    everything = [s for page in slugs for s in page]
    assert len(set(everything)) == GERMAN_MATCHES
    assert set(everything) == {f"gutschein-{n:02d}" for n in range(GERMAN_MATCHES)}
    # The same ranking the API gives in one go.
    api = paging_client.get("/api/search", query_string={"q": "Gutschein", "limit": 50, "log": 0}).get_json()
    assert [r["slug"] for r in api["results"]] == everything
    for html in (page.get_data(as_text=True) for page in pages):
        assert "45 Artikel gefunden" in html


def test_page_links_say_where_the_customer_is(paging_client):
    first = paging_client.get("/suche?q=Gutschein").get_data(as_text=True)
    assert 'aria-label="Seiten der Suchergebnisse"' in first and "Seite 1 von 3" in first
    assert 'rel="prev"' not in first
    assert re.search(r'<a rel="next" href="/suche\?q=Gutschein&amp;seite=2&amp;sid=\d+">Nächste Seite</a>', first)
    assert '<ol class="results" start="1">' in first
    second = paging_client.get("/suche?q=Gutschein&seite=2").get_data(as_text=True)
    assert "Seite 2 von 3" in second and '<ol class="results" start="21">' in second
    assert re.search(r'<a rel="prev" href="/suche\?q=Gutschein&amp;seite=1[^"]*">Vorherige Seite</a>', second)
    current = r'<a aria-current="page" href="[^"]*seite=2[^"]*"><span class="visually-hidden">Seite </span>2</a>'
    assert re.search(current, second)
    last = paging_client.get("/suche?q=Gutschein&seite=3").get_data(as_text=True)
    assert "Seite 3 von 3" in last and 'rel="next"' not in last


def test_one_page_of_results_has_no_page_links(client):
    html = client.get("/suche?q=Rechnung").get_data(as_text=True)
    assert "Seiten der Suchergebnisse" not in html and "Artikel gefunden" in html


@pytest.mark.parametrize("asked", ["4", "99", "250", "251", "99999999999999999999999"])
def test_a_page_past_the_end_shows_the_last_page_and_says_so(paging_client, asked):
    response = paging_client.get("/suche", query_string={"q": "Gutschein", "seite": asked})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(_slugs(html)) == 5 and "Seite 3 von 3" in html
    assert "gibt es nicht – hier ist die letzte Seite." in html


@pytest.mark.parametrize("asked", ["0", "-1", "abc", "1.5", "2e3", "٣", "1 0", "0x10"])
def test_a_page_number_that_is_not_one_is_a_400_with_a_message(paging_client, asked):
    response = paging_client.get("/suche", query_string={"q": "Gutschein", "seite": asked})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie eine Seitenzahl ab 1 an." in html
    assert 'value="Gutschein"' in html  # the query stays in the box


def test_an_empty_page_number_is_the_first_page(paging_client):
    html = paging_client.get("/suche?q=Gutschein&seite=").get_data(as_text=True)
    assert "Seite 1 von 3" in html


def test_the_search_is_logged_once_and_later_pages_keep_its_clicks(make_app, many_articles, many_index):
    app = make_app(many_articles, many_index)
    client = app.test_client()
    first = client.get("/suche?q=Gutschein").get_data(as_text=True)
    search_id = int(re.search(r"seite=2&amp;sid=(\d+)", first).group(1))
    second = client.get(f"/suche?q=Gutschein&seite=2&sid={search_id}").get_data(as_text=True)
    client.get(f"/suche?q=Gutschein&seite=1&sid={search_id}")
    assert _search_logs(app) == [("Gutschein", GERMAN_MATCHES)]
    # Article links on page 2 count the click for page 1's search, at its place in the whole list.
    assert re.search(rf'href="/hilfe/gutscheine/gutschein-\d\d\?sid={search_id}&amp;pos=21"', second)
    # A tampered id is left out, not an error.
    assert client.get("/suche?q=Gutschein&seite=2&sid=x'--").status_code == 200


def test_paging_in_english(make_app, many_articles, many_index):
    client = make_app(many_articles, many_index).test_client()
    client.get("/?lang=en")
    first = client.get("/suche?q=voucher").get_data(as_text=True)
    assert "23 articles found" in first and "Page 1 of 2" in first
    second = client.get("/suche?q=voucher&seite=2").get_data(as_text=True)
    assert len(re.findall(r'<li class="result">', second)) == 3
    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second


def test_api_offset_pages_like_the_search_page(paging_client):
    def page(offset):
        body = paging_client.get("/api/search", query_string={"q": "Gutschein", "limit": 20, "offset": offset,
                                                               "log": 0}).get_json()
        return body["total"], [r["slug"] for r in body["results"]]

    (total, first), (_, second), (_, third), (_, beyond) = page(0), page(20), page(40), page(60)
    assert total == GERMAN_MATCHES and (len(first), len(second), len(third), beyond) == (20, 20, 5, [])
    assert len(set(first + second + third)) == GERMAN_MATCHES
    html = paging_client.get("/suche?q=Gutschein&seite=2").get_data(as_text=True)
    assert _slugs(html) == second


def test_the_api_logs_only_the_first_page(make_app, many_articles, many_index):
    app = make_app(many_articles, many_index)
    client = app.test_client()
    client.get("/api/search?q=Gutschein&limit=20")
    client.get("/api/search?q=Gutschein&limit=20&offset=20")
    assert _search_logs(app) == [("Gutschein", GERMAN_MATCHES)]


@pytest.mark.parametrize("offset", ["-1", "5001", "zwei", "1.5"])
def test_a_bad_offset_is_a_400_with_the_error_shape(client, offset):
    response = client.get("/api/search", query_string={"q": "Paket", "offset": offset})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_offset"


def test_the_openapi_document_names_offset_and_actions(client):
    spec = client.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "lang", "limit", "log", "offset"} <= set(parameters)
    schemas = spec["components"]["schemas"]
    assert set(schemas["SearchResults"]["properties"]) == {"query", "total", "results", "suggestion", "actions"}
    assert set(schemas["SearchAction"]["properties"]) == {"kind", "label", "url"}


@pytest.mark.parametrize("query", ["Paket nicht angekommen", "wann kommt meine Bestellung", "Artikel zurück Geld",
                                   "Bestellung Paket Lieferung Rücksendung", "Rücksendung", "Konto"])
def test_engine_pages_continue_each_other_on_the_shipped_articles(shipped_index, query):
    """Pages of 20 (and of 7) from the engine: no article twice, none left out, page 1 as before."""
    from app.articles.loader import load_content

    synonyms = load_content(SHIPPED_CONTENT).synonyms
    engine = SearchEngine(IndexStore(shipped_index))
    for size in (20, 7):
        first = engine.search(query, "de", limit=size, synonym_groups=synonyms)
        seen = []
        for offset in range(0, first.total + size, size):
            result = engine.search(query, "de", limit=size, offset=offset, synonym_groups=synonyms)
            assert result.total == first.total
            seen += [hit.slug for hit in result.hits]
        assert len(seen) == len(set(seen)) == first.total
        assert seen[:size] == [hit.slug for hit in first.hits]
