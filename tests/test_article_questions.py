"""Customers' questions on an article (front matter `questions`): edited in the editor and the API, found by search,
never shown on the page."""
from __future__ import annotations

import pytest

from app.articles.loader import ArticleError, parse_article_source
from tests.editor_helpers import EDITOR, editorial  # noqa: F401 - fixture
from tests.test_article_api import NEW
from tests.test_article_api import signed_in as api_client
from tests.test_editorial_pages import FORM, post_form, signed_in, text

SOURCE = """---
title: "Artikel defekt"
summary: "So melden Sie einen Defekt."
tags: [defekt]
questions:
  - "kopfhörer geben keinen ton mehr"
  - "Wasserkocher   geht nicht mehr an"
  - "kopfhörer geben keinen ton mehr"
---
Text.
"""


def test_questions_are_read_trimmed_and_once():
    article = parse_article_source(SOURCE, "artikel-defekt", "reklamation", "de", "x.md")
    assert article.questions == ("kopfhörer geben keinen ton mehr", "Wasserkocher geht nicht mehr an")


@pytest.mark.parametrize("value", ["[1, 2]", "{a: b}", "[" + ", ".join(['"q"'] * 1) + ", 3]"])
def test_questions_must_be_texts(value):
    with pytest.raises(ArticleError, match="questions"):
        parse_article_source(f"---\ntitle: T\nsummary: S\nquestions: {value}\n---\nText\n", "a", "c", "de", "x.md")


def test_too_many_or_too_long_questions_are_refused():
    many = "\n".join(f'  - "frage {i}"' for i in range(31))
    with pytest.raises(ArticleError, match="at most 30"):
        parse_article_source(f"---\ntitle: T\nsummary: S\nquestions:\n{many}\n---\nText\n", "a", "c", "de", "x.md")
    with pytest.raises(ArticleError, match="200 characters"):
        parse_article_source(f"---\ntitle: T\nsummary: S\nquestions: [\"{'x' * 201}\"]\n---\nText\n", "a", "c", "de",
                             "x.md")


def test_the_editor_saves_one_question_per_line_and_search_finds_the_article_by_them(editorial):
    client = signed_in(editorial)
    form = dict(FORM, action="save", status="published",
                questions="schuhe drücken vorne\n\n  passen nicht, zu eng  \n")
    saved = post_form(client, "/redaktion/artikel/neu", form, page="/redaktion/artikel/neu")
    assert saved.status_code == 303
    page = text(client.get(saved.headers["Location"]))
    assert "schuhe drücken vorne\npassen nicht, zu eng</textarea>" in page
    published = post_form(client, "/redaktion/artikel/groesse-umtauschen/veroeffentlichen", {},
                          page="/redaktion/artikel/groesse-umtauschen")
    assert published.status_code == 303
    visitor = editorial.test_client()
    # Words only the questions use ("schuhe", "eng"): the article is found by them.
    hits = visitor.get("/api/search?q=schuhe+zu+eng&log=0").get_json()["results"]
    assert [hit["slug"] for hit in hits][:1] == ["groesse-umtauschen"]
    # Searched, never shown: the article page does not print them.
    assert "drücken vorne" not in text(visitor.get("/hilfe/retouren/groesse-umtauschen"))


def test_the_api_reads_writes_and_keeps_questions_when_a_client_does_not_send_them(editorial):
    client = api_client(editorial)
    created = client.post("/api/articles", json=dict(NEW, questions=["größe passt nicht", "zu klein bestellt"]))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["questions"] == ["größe passt nicht", "zu klein bestellt"]
    slug, revision = created.get_json()["slug"], created.get_json()["revision"]
    change = {k: NEW[k] for k in ("title", "summary", "tags", "category", "body")}
    kept = client.put(f"/api/articles/{slug}", json=dict(change, summary="Neu."), headers={"If-Match": f'"{revision}"'})
    assert kept.status_code == 200 and kept.get_json()["questions"] == ["größe passt nicht", "zu klein bestellt"]
    cleared = client.put(f"/api/articles/{slug}", json=dict(change, questions=[]),
                         headers={"If-Match": f'"{kept.get_json()["revision"]}"'})
    assert cleared.status_code == 200 and cleared.get_json()["questions"] == []
    too_long = client.post("/api/articles", json=dict(NEW, title="Andere", questions=["x" * 201]))
    assert too_long.status_code == 422 and "questions" in str(too_long.get_json())


def test_the_meaning_of_an_article_includes_its_questions():
    from app.search import embeddings

    article = parse_article_source(SOURCE, "artikel-defekt", "reklamation", "de", "x.md")
    assert "kopfhörer geben keinen ton mehr" in embeddings.article_text(article)
    assert "questions" in embeddings.TEXT_RECIPE


@pytest.mark.parametrize("value", [None, 5, {"a": 1}, [None], ["ok"] * 31, "x" * 201])
def test_odd_questions_in_the_api_are_a_422_or_kept_never_a_500(editorial, value):
    client = api_client(editorial)
    response = client.post("/api/articles", json=dict(NEW, title="Fragen", questions=value))
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    if value is None:
        assert response.status_code == 201 and response.get_json()["questions"] == []
