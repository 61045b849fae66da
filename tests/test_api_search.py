"""The search API contract: GET /api/search?q=&lang=&limit= and its errors."""
import pytest

from app.extensions import db
from app.insights.models import SearchLog


def test_search_returns_the_documented_fields_best_first(client):
    response = client.get("/api/search", query_string={"q": "Rücksendung", "lang": "de", "limit": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"query", "total", "results", "suggestion", "actions"}
    assert body["query"] == "Rücksendung"
    assert body["total"] >= len(body["results"]) >= 1
    assert len(body["results"]) <= 3
    first = body["results"][0]
    assert set(first) == {"slug", "title", "summary", "url", "category", "snippet", "score", "promoted"}
    assert first["slug"] == "ruecksendung-anmelden" and first["promoted"] is False
    assert first["url"] == "/hilfe/retouren/ruecksendung-anmelden"
    assert first["category"] == "retouren"
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["suggestion"] is None


def test_search_suggests_a_correction(client):
    body = client.get("/api/search?q=Rechnug").get_json()
    assert body["suggestion"] == "Rechnung"
    assert body["results"][0]["slug"] == "rechnung"


def test_lang_selects_the_articles_language(client):
    body = client.get("/api/search?q=refund&lang=en").get_json()
    assert [r["slug"] for r in body["results"]][:1] == ["refunds"]
    assert client.get("/api/search?q=Rechnung&lang=en").get_json()["total"] == 0


def test_limit_caps_the_results(client):
    body = client.get("/api/search?q=Rücksendung Rückgabe Etikett&limit=1").get_json()
    assert len(body["results"]) == 1
    assert body["total"] >= 2


@pytest.mark.parametrize("query_string,field,code", [
    ({}, "q", "missing_query"),
    ({"q": ""}, "q", "empty_query"),
    ({"q": "   \t "}, "q", "empty_query"),
    ({"q": "x" * 201}, "q", "query_too_long"),
    ({"q": "x" * 10000}, "q", "query_too_long"),
    ({"q": "Paket", "limit": "0"}, "limit", "bad_limit"),
    ({"q": "Paket", "limit": "51"}, "limit", "bad_limit"),
    ({"q": "Paket", "limit": "-3"}, "limit", "bad_limit"),
    ({"q": "Paket", "limit": "zehn"}, "limit", "bad_limit"),
    ({"q": "Paket", "limit": "1.5"}, "limit", "bad_limit"),
    ({"q": "Paket", "lang": "fr"}, "lang", "bad_lang"),
])
def test_bad_input_gets_400_with_a_json_error(client, query_string, field, code):
    response = client.get("/api/search", query_string=query_string)
    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    assert error["field"] == field and error["code"] == code and error["message"]


@pytest.mark.parametrize("q", ['"Rücksendung', "title:(a OR", "\x00\x07Paket\x1b", "🙂", "' OR 1=1 --", "%", "*?"])
def test_odd_queries_get_an_answer_not_a_500(client, q):
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    assert response.is_json


def test_every_search_is_logged_without_personal_data(app, client):
    client.get("/api/search?q=Rechnung")
    client.get("/api/search", query_string={"q": "Karte 4111 1111 1111 1111 anna@example.com"})
    client.get("/api/search?q=Rechn&log=0")  # results as you type are not logged one by one
    with app.app_context():
        logs = db.session.scalars(db.select(SearchLog).order_by(SearchLog.id)).all()
        assert [(l.query, l.lang, l.source) for l in logs] == [
            ("Rechnung", "de", "api"),
            ("Karte 411111******1111 [E-Mail]", "de", "api"),
        ]
        assert logs[0].result_count >= 1
        assert logs[1].result_count == 0


def test_search_page_logs_and_click_is_recorded(app, client):
    from tests.conftest import csrf_token_from
    page = client.get("/suche?q=Rückgabe")
    assert page.status_code == 200
    with app.app_context():
        entry = db.session.scalars(db.select(SearchLog)).one()
        assert entry.source == "page" and entry.clicked_slug is None
        search_id = entry.id
    assert f"/hilfe/retouren/rueckgabe?sid={search_id}" in page.get_data(as_text=True)
    token = csrf_token_from(client, f"/hilfe/retouren/rueckgabe?sid={search_id}")
    response = client.post("/api/articles/rueckgabe/view", json={"search_id": search_id}, headers={"X-CSRFToken": token})
    assert response.status_code == 204
    with app.app_context():
        assert db.session.get(SearchLog, search_id).clicked_slug == "rueckgabe"


def test_suggestion_picked_while_typing_is_logged_with_its_click(app, client):
    from tests.conftest import csrf_token_from
    token = csrf_token_from(client, "/hilfe/zahlung/paypal")
    response = client.post("/api/articles/paypal/view", json={"query": "payp"}, headers={"X-CSRFToken": token})
    assert response.status_code == 204
    with app.app_context():
        entry = db.session.scalars(db.select(SearchLog)).one()
        assert (entry.query, entry.source, entry.clicked_slug) == ("payp", "typeahead", "paypal")


def test_view_beacon_needs_csrf_and_a_known_article(client):
    from tests.conftest import csrf_token_from
    assert client.post("/api/articles/paypal/view", json={}).status_code == 400
    token = csrf_token_from(client)
    assert client.post("/api/articles/gibt-es-nicht/view", json={}, headers={"X-CSRFToken": token}).status_code == 404
    assert client.post("/api/articles/entwurf/view", json={}, headers={"X-CSRFToken": token}).status_code == 404
    # No body at all counts the view; a body that is not JSON is refused in the one error shape.
    assert client.post("/api/articles/paypal/view", headers={"X-CSRFToken": token}).status_code == 204
    response = client.post("/api/articles/paypal/view", data="kein json", headers={"X-CSRFToken": token})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_request"
