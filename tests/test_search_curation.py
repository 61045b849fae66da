"""Editors steer search (issue #14): promoted results on /suche, /api/search and the typeahead; the synonym groups
and the names list edited on the web (conflict-safe, used by the next search); proposed synonyms from the search
log, accepted or dismissed with one click. Figures come from inserted rows."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select

from app.articles.models import ContentFile
from app.audit.models import AuditEvent
from app.extensions import db
from app.insights.models import SearchLog, utcnow
from app.search.models import SearchPromotion, SynonymProposalDecision
from app.search.promotions import normalise_query
from tests.conftest import csrf_token_from, login
from tests.editor_helpers import EDITOR, SECOND_EDITOR, editorial  # noqa: F401


def signed_in(app, who=EDITOR):
    client = app.test_client()
    assert login(client, *who).status_code == 302
    return client


def post_form(client, url, data, page=None):
    token = csrf_token_from(client, page or url)
    return client.post(url, data={**data, "csrf_token": token})


def text(response) -> str:
    return response.get_data(as_text=True)


def result_slugs(html: str) -> list[str]:
    return re.findall(r'<li class="result[^"]*">\s*<h2><a href="/hilfe/[^/]+/([^?"]+)', html)


def pin(client, query, slug, lang="de"):
    return post_form(client, "/redaktion/empfehlungen", {"query": query, "lang": lang, "slug": slug})


# --- promoted results ----------------------------------------------------------------------------------------

def test_the_normalised_query_ignores_case_umlauts_punctuation_spaces_and_order_but_not_other_words():
    key = normalise_query("Paket verloren")
    assert key == normalise_query("paket verloren?") == normalise_query("Paket  Verloren") == normalise_query(
        "verloren, PAKET!")
    assert normalise_query("Rücksendung") == normalise_query("Ruecksendung") == normalise_query("rucksendung")
    # Not stemmed, and a longer or shorter question is another question.
    assert normalise_query("Pakete verloren") != key
    assert normalise_query("Paket verloren Hermes") != key
    assert normalise_query("Paket") != key
    assert normalise_query("?!") == ""


def test_a_pinned_article_comes_first_marked_on_the_page_in_the_api_and_in_the_typeahead(editorial):
    client = signed_in(editorial)
    customer = editorial.test_client()
    before = text(customer.get("/suche?q=Paket+verloren"))
    assert "paypal" not in result_slugs(before)
    assert pin(client, "Paket verloren", "paypal").status_code == 303
    assert pin(client, "paket verloren", "rechnung").status_code == 303

    for query in ("Paket verloren", "paket verloren?", "Paket  Verloren", "verloren paket"):
        html = text(customer.get("/suche", query_string={"q": query}))
        slugs = result_slugs(html)
        assert slugs[:2] == ["paypal", "rechnung"], query
        assert html.count('data-promoted>Empfohlen<') == 2
        assert len(slugs) == len(set(slugs))
    organic = result_slugs(before)
    assert result_slugs(text(customer.get("/suche?q=Paket+verloren")))[2:] == [s for s in organic
                                                                             if s not in ("paypal", "rechnung")]
    for query in ("Paket verloren Hermes", "Paket", "Pakete verloren"):
        assert "data-promoted" not in text(customer.get("/suche", query_string={"q": query})), query

    api = customer.get("/api/search?q=paket%20verloren%3F&limit=3").get_json()
    assert [r["slug"] for r in api["results"]][:2] == ["paypal", "rechnung"]
    assert [r["promoted"] for r in api["results"]] == [True, True, False]
    assert {"slug", "title", "summary", "url", "category", "snippet", "score"} <= set(api["results"][0])
    typeahead = customer.get("/api/search?q=Paket+verloren&limit=5&log=0").get_json()
    assert typeahead["results"][0]["slug"] == "paypal" and typeahead["results"][0]["promoted"] is True
    assert customer.get("/api/search?q=paket+verloren&lang=en").get_json()["results"][:1] != [
        {"slug": "paypal"}] and not any(r["promoted"] for r in customer.get(
            "/api/search?q=paket+verloren&lang=en").get_json()["results"])


def test_pins_are_reordered_removed_and_audited(editorial):
    client = signed_in(editorial)
    pin(client, "Paket verloren", "paypal")
    pin(client, "Paket verloren", "rechnung")
    with editorial.app_context():
        second = db.session.scalar(select(SearchPromotion.id).where(SearchPromotion.slug == "rechnung"))
    assert post_form(client, f"/redaktion/empfehlungen/{second}/verschieben", {"richtung": "hoch"},
                     page="/redaktion/empfehlungen").status_code == 303
    customer = editorial.test_client()
    assert result_slugs(text(customer.get("/suche?q=Paket+verloren")))[:2] == ["rechnung", "paypal"]
    assert post_form(client, f"/redaktion/empfehlungen/{second}/entfernen", {},
                     page="/redaktion/empfehlungen").status_code == 303
    html = text(customer.get("/suche?q=Paket+verloren"))
    assert result_slugs(html)[0] == "paypal" and html.count("data-promoted") == 1
    with editorial.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "search")
                                                        .order_by(AuditEvent.id))]
        assert actions == ["search.pin", "search.pin", "search.pin_move", "search.unpin"]


def test_a_pin_of_an_unpublished_article_is_skipped_and_flagged_and_counts_searches(editorial):
    client = signed_in(editorial)
    assert pin(client, "Konto Entwurf", "entwurf").status_code == 303
    assert pin(client, "Konto Entwurf", "paypal").status_code == 303
    customer = editorial.test_client()
    html = text(customer.get("/suche?q=Konto+Entwurf"))
    assert result_slugs(html)[0] == "paypal" and "entwurf" not in result_slugs(html)
    with editorial.app_context():
        now = utcnow()
        db.session.add_all([SearchLog(query=q, lang="de", result_count=1, created_at=now - dt.timedelta(days=d))
                            for q, d in (("konto entwurf", 1), ("Entwurf Konto?", 3), ("Konto Entwurf", 40),
                                         ("Konto", 1))])
        db.session.commit()
    page = text(client.get("/redaktion/empfehlungen"))
    block = re.search(r'data-promotion="entwurf konto".*?</div>', page, re.S).group(0)
    # Three of the searches above within 30 days plus the one the customer just made.
    assert "3-mal gesucht" in block or "3-mal" in block
    assert block.count("data-hidden-pin") == 1 and "nicht veröffentlicht" in block


def test_pin_input_is_checked(editorial):
    client = signed_in(editorial)
    assert pin(client, "?!", "paypal").status_code == 422
    refused = pin(client, "Zahlung", "gibt-es-nicht")
    assert refused.status_code == 422 and "Diesen Artikel gibt es nicht." in text(refused)
    assert "nicht in der Sprache" in text(pin(client, "Zahlung", "paypal", lang="en"))
    assert pin(client, "Zahlung", "paypal").status_code == 303
    assert "schon angeheftet" in text(pin(client, "zahlung!", "paypal"))
    assert client.post("/redaktion/empfehlungen", data={"query": "x", "lang": "de", "slug": "paypal"}).status_code \
        == 400


@pytest.mark.parametrize("path", ["/redaktion/empfehlungen", "/redaktion/synonyme", "/redaktion/eigennamen",
                                  "/redaktion/vorschlaege"])
def test_only_editors_and_admins_see_the_pages(editorial, make_user, path):
    assert editorial.test_client().get(path).status_code == 302
    make_user(email="agent@example.com", role="agent")
    make_user(email="chef@example.com", role="admin")
    agent = editorial.test_client()
    login(agent, "agent@example.com")
    assert agent.get(path).status_code == 403
    assert signed_in(editorial).get(path).status_code == 200
    assert editorial.test_client().get("/redaktion/unbekannt").status_code in (302, 404)


# --- synonyms and names -----------------------------------------------------------------------------------------

def file_revision(client, page="synonyme") -> str:
    return re.search(r'name="base_revision" value="(\d+)"', text(client.get(f"/redaktion/{page}"))).group(1)


def entry_line(client, member, page="synonyme") -> str:
    html = text(client.get(f"/redaktion/{page}"))
    return re.search(r'name="line" value="(\d+)">\s*<label[^>]*>[^<]*</label>\s*<input id="entry-\d+" '
                     r'name="members" maxlength="2000" size="60" value="[^"]*' + re.escape(member), html).group(1)


def test_a_new_synonym_group_is_used_by_the_next_search(editorial):
    client = signed_in(editorial)
    customer = editorial.test_client()
    assert customer.get("/api/search?q=Zaster").get_json()["total"] == 0
    saved = post_form(client, "/redaktion/synonyme", {"action": "add", "members": "Zaster, Kaufpreis",
                                                      "base_revision": file_revision(client)})
    assert saved.status_code == 303
    found = customer.get("/api/search?q=Zaster").get_json()
    assert found["total"] >= 1 and found["results"][0]["slug"] == "erstattung"
    with editorial.app_context():
        stored = db.session.get(ContentFile, "synonyme.txt")
        assert stored.revision == 1 and stored.source.endswith("Geld zurück, Erstattung\nZaster, Kaufpreis\n")
        assert stored.source.startswith("# Testsynonyme\n")  # comments are kept
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "search.file_save"))
        assert event.object_ref == "synonyme.txt" and "Zaster, Kaufpreis" in event.detail
    page = text(client.get("/redaktion/synonyme"))
    assert "Lena Text" in page and "Version 1: + Zaster, Kaufpreis" in page


def test_groups_are_checked_edited_and_deleted(editorial):
    client = signed_in(editorial)
    for members, message in (("Zaster", "mindestens zwei Begriffe"), ("Zaster,, Geld", "Ein Begriff ist leer"),
                             ("Zaster, Erstattung,", "Ein Begriff ist leer"),
                             ("Zaster, rücksendung", "steht schon in der Gruppe „Retoure, Rücksendung“")):
        refused = post_form(client, "/redaktion/synonyme", {"action": "add", "members": members,
                                                            "base_revision": file_revision(client)})
        assert refused.status_code == 422 and message in text(refused), members
        assert f'value="{members}"' in text(refused)
    line = entry_line(client, "Paket, Sendung")
    edited = post_form(client, "/redaktion/synonyme", {"action": "edit", "line": line, "members": "Sendung, Päckchen",
                                                       "base_revision": file_revision(client)})
    assert edited.status_code == 303
    customer = editorial.test_client()
    assert customer.get("/api/search?q=Päckchen").get_json()["total"] >= 1
    deleted = post_form(client, "/redaktion/synonyme", {"action": "delete", "line": line, "members": "",
                                                        "base_revision": file_revision(client)})
    assert deleted.status_code == 303
    assert customer.get("/api/search?q=Päckchen").get_json()["total"] == 0
    with editorial.app_context():
        source = db.session.get(ContentFile, "synonyme.txt").source
    assert "Päckchen" not in source and "Paket, Sendung" not in source and "Retoure, Rücksendung" in source


def test_a_stale_page_is_refused_with_the_stored_text(editorial):
    first, second = signed_in(editorial), signed_in(editorial, SECOND_EDITOR)
    base = file_revision(first)
    assert post_form(first, "/redaktion/synonyme", {"action": "add", "members": "Zaster, Kaufpreis",
                                                    "base_revision": base}).status_code == 303
    late = post_form(second, "/redaktion/synonyme", {"action": "add", "members": "Knete, Geld",
                                                     "base_revision": base})
    assert late.status_code == 409
    html = text(late)
    assert "Jemand hat die Liste inzwischen geändert (jetzt Version 1)" in html
    assert "Zaster, Kaufpreis" in re.search(r'<pre class="stored-file"[^>]*>(.*?)</pre>', html, re.S).group(1)
    assert "Knete, Geld" in html  # what the second editor typed
    with editorial.app_context():
        assert "Knete" not in db.session.get(ContentFile, "synonyme.txt").source


def test_the_names_list_is_edited_the_same_way(editorial):
    client = signed_in(editorial)
    assert "Noch keine Änderung" in text(client.get("/redaktion/eigennamen"))
    assert post_form(client, "/redaktion/eigennamen", {"action": "add", "members": "Klarna",
                                                       "base_revision": file_revision(client, "eigennamen")}
                     ).status_code == 303
    twice = post_form(client, "/redaktion/eigennamen", {"action": "add", "members": "klarna",
                                                        "base_revision": file_revision(client, "eigennamen")})
    assert twice.status_code == 422 and "steht schon in der Liste" in text(twice)
    assert post_form(client, "/redaktion/eigennamen", {"action": "add", "members": "PayPal",
                                                       "base_revision": file_revision(client, "eigennamen")}
                     ).status_code == 303
    with editorial.app_context():
        stored = db.session.get(ContentFile, "eigennamen.txt")
        assert (stored.source, stored.revision) == ("Klarna\nPayPal\n", 2)


def test_two_editors_saving_at_once_one_wins(editorial, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent writers need PostgreSQL")
    from app.curation import files
    from app.editorial.articles import Settings, ensure_articles_in_database

    with editorial.app_context():
        ensure_articles_in_database(Settings.from_config(editorial.config))
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def save(members):
        with editorial.app_context():
            from app.accounts.models import User

            user = db.session.scalar(select(User).where(User.email == EDITOR[0]))
            barrier.wait()
            try:
                files.apply_change("synonyme.txt", files.Change("add", None, members), 0, user,
                                   Settings.from_config(editorial.config))
                db.session.commit()
                outcomes.append("saved")
            except files.TreeFileConflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(m,)) for m in ("Zaster, Kaufpreis", "Knete, Geld")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    with editorial.app_context():
        stored = db.session.get(ContentFile, "synonyme.txt")
        assert stored.revision == 1 and ("Zaster" in stored.source) != ("Knete" in stored.source)


# --- proposals --------------------------------------------------------------------------------------------------

def add_searches(app, rows):
    with app.app_context():
        now = utcnow()
        db.session.add_all([SearchLog(query=q, lang="de", result_count=count, visit=visit, next_slug=slug,
                                      clicked_slug=clicked, created_at=now - dt.timedelta(hours=hours))
                            for q, count, visit, slug, clicked, hours in rows])
        db.session.commit()


def test_the_article_a_visit_opens_after_a_search_without_a_click_is_noted(editorial):
    customer = editorial.test_client()
    customer.get("/suche?q=Zaster")  # nothing found
    customer.get("/suche?q=Zahlung")  # results, none clicked
    token = csrf_token_from(customer, "/hilfe/zahlung/erstattung")
    assert customer.post("/api/articles/erstattung/view", json={}, headers={"X-CSRFToken": token}).status_code == 204
    assert customer.post("/api/articles/paypal/view", json={}, headers={"X-CSRFToken": token}).status_code == 204
    other = editorial.test_client()
    other.get("/suche?q=Rechnung")
    with editorial.app_context():
        rows = {r.query: r.next_slug for r in db.session.scalars(select(SearchLog))}
    assert rows == {"Zaster": "erstattung", "Zahlung": "erstattung", "Rechnung": None}


def test_proposals_need_two_visits_and_are_accepted_as_synonyms_or_dismissed(editorial):
    add_searches(editorial, [
        ("Zaster", 0, "v1", "erstattung", None, 5),
        ("zaster", 0, "v2", "erstattung", None, 2),
        ("Zaster!", 3, "v11", "erstattung", None, 1),
        ("Kohle", 0, "v3", "erstattung", None, 3),             # one visit only
        ("Kohle", 0, "v3", "erstattung", None, 2),
        ("Bezahlen", 4, "v4", "paypal", None, 4),
        ("Bezahlen", 4, "v5", "paypal", None, 4),
        ("Bezahlen", 4, "v6", "paypal", "rechnung", 4),         # clicked: not a proposal
        ("Alt", 0, "v7", "paypal", None, 24 * 40), ("Alt", 0, "v8", "paypal", None, 24 * 40),  # too old
        ("[Nummer] weg", 0, "v9", "paypal", None, 1), ("[Nummer] weg", 0, "v10", "paypal", None, 1),
    ])
    client = signed_in(editorial)
    html = text(client.get("/redaktion/vorschlaege"))
    rows = re.findall(r'<tr data-proposal="([^"]+)" data-slug="([^"]+)">.*?<td data-visits>(\d+)', html, re.S)
    assert rows == [("zaster", "erstattung", "3"), ("bezahlen", "paypal", "2")]
    assert "Synonym von „Kaufpreis“" in html
    assert "(2 ohne Treffer)" in html and "„Zaster!“" in html

    customer = editorial.test_client()
    assert all(r["slug"] != "erstattung" for r in customer.get("/api/search?q=Zaster").get_json()["results"])
    accepted = post_form(client, "/redaktion/vorschlaege/uebernehmen",
                         {"query": "Zaster!", "lang": "de", "slug": "erstattung", "term": ""},
                         page="/redaktion/vorschlaege")
    assert accepted.status_code == 303
    assert customer.get("/api/search?q=Zaster").get_json()["results"][0]["slug"] == "erstattung"
    dismissed = post_form(client, "/redaktion/vorschlaege/verwerfen",
                          {"query": "Bezahlen", "lang": "de", "slug": "paypal"}, page="/redaktion/vorschlaege")
    assert dismissed.status_code == 303
    assert "Zurzeit gibt es keine Vorschläge." in text(client.get("/redaktion/vorschlaege"))
    with editorial.app_context():
        decisions = {(d.query_key, d.decision) for d in db.session.scalars(select(SynonymProposalDecision))}
        assert decisions == {("zaster", "accepted"), ("bezahlen", "dismissed")}
        actions = {e.action for e in db.session.scalars(select(AuditEvent))}
        assert {"search.proposal_accept", "search.proposal_dismiss", "search.file_save"} <= actions
    again = post_form(client, "/redaktion/vorschlaege/verwerfen", {"query": "Bezahlen", "lang": "de",
                                                                   "slug": "paypal"}, page="/redaktion/vorschlaege")
    assert again.status_code == 404


def test_pages_continue_each_other_with_pinned_articles_first_and_each_article_once():
    from app.search.engine import SearchHit, SearchResult
    from app.search.promotions import with_promotions

    def hit(slug, promoted=False):
        return SearchHit(slug=slug, title=slug.upper(), summary="", category="c", snippet=f"<mark>{slug}</mark>",
                         score=1.0, promoted=promoted)

    organic = [hit(f"a{i}") for i in range(1, 8)]

    def ranked(limit, offset):
        return SearchResult(query="q", total=len(organic), hits=organic[offset:offset + limit], suggestion=None)

    pinned = [hit("a5", True), hit("p1", True)]  # a5 also matches on its own; p1 does not
    pages = [with_promotions(ranked, 3, offset, pinned) for offset in (0, 3, 6)]
    assert [[h.slug for h in page.hits] for page in pages] == [["a5", "p1", "a1"], ["a2", "a3", "a4"], ["a6", "a7"]]
    assert {page.total for page in pages} == {8}  # seven organic matches plus p1
    first = pages[0].hits
    assert [h.promoted for h in first] == [True, True, False]
    assert first[0].snippet == "<mark>a5</mark>"  # the organic hit's snippet is kept


def test_a_proposal_pinned_instead_becomes_a_promoted_result(editorial):
    add_searches(editorial, [("Kohle weg", 0, "v1", "erstattung", None, 3), ("kohle weg", 0, "v2", "erstattung",
                                                                            None, 2)])
    client = signed_in(editorial)
    pinned = post_form(client, "/redaktion/vorschlaege/anheften", {"query": "kohle weg", "lang": "de",
                                                                   "slug": "erstattung"}, page="/redaktion/vorschlaege")
    assert pinned.status_code == 303
    html = text(editorial.test_client().get("/suche?q=Kohle+weg"))
    assert result_slugs(html)[0] == "erstattung" and "data-promoted" in html
    assert "Zurzeit gibt es keine Vorschläge." in text(client.get("/redaktion/vorschlaege"))
    with editorial.app_context():
        assert db.session.scalar(select(SynonymProposalDecision.decision)) == "accepted"
        assert db.session.scalar(select(SearchPromotion.query)) == "kohle weg"


def test_an_accepted_proposal_joins_the_group_of_the_chosen_word(editorial):
    add_searches(editorial, [("Zaster", 0, "v1", "erstattung", None, 3), ("Zaster", 0, "v2", "erstattung", None, 2)])
    client = signed_in(editorial)
    html = text(client.get("/redaktion/vorschlaege"))
    # The article's tag first, then its title.
    assert re.findall(r'<option value="([^"]+)">Synonym von', html) == ["Kaufpreis", "Erstattung des Kaufpreises"]
    assert post_form(client, "/redaktion/synonyme", {"action": "add", "members": "Kaufpreis, Preis",
                                                     "base_revision": file_revision(client)}).status_code == 303
    refused = post_form(client, "/redaktion/vorschlaege/uebernehmen", {"query": "Zaster", "lang": "de",
                                                                       "slug": "erstattung", "term": "Unsinn"},
                        page="/redaktion/vorschlaege")
    assert refused.status_code == 422 and "einen der Suchbegriffe" in text(refused)
    assert post_form(client, "/redaktion/vorschlaege/uebernehmen", {"query": "Zaster", "lang": "de",
                                                                    "slug": "erstattung", "term": "Kaufpreis"},
                     page="/redaktion/vorschlaege").status_code == 303
    with editorial.app_context():
        source = db.session.get(ContentFile, "synonyme.txt").source
        assert source.endswith("Kaufpreis, Preis, Zaster\n") and source.count("Zaster") == 1
        details = [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "search.file_save").order_by(AuditEvent.id))]
        assert details == ["Version 1: + Kaufpreis, Preis", "Version 2: Kaufpreis, Preis → Kaufpreis, Preis, Zaster"]


def test_search_works_while_the_pins_cannot_be_read(editorial, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.search import promotions

    def broken():
        raise OperationalError("SELECT", {}, Exception("database away"))

    monkeypatch.setattr(promotions, "read_pins", broken)
    response = editorial.test_client().get("/api/search?q=PayPal")
    assert response.status_code == 200 and response.get_json()["results"][0]["slug"] == "paypal"


def test_a_proposal_taken_as_a_customers_question_finds_the_article_by_those_words(editorial):
    add_searches(editorial, [("Zaster futsch", 0, "v1", "erstattung", None, 3),
                             ("zaster futsch", 0, "v2", "erstattung", None, 2),
                             ("Moos weg", 0, "v3", "paypal", None, 3), ("Moos weg", 0, "v4", "paypal", None, 2)])
    client = signed_in(editorial)
    assert "Als Kundenfrage übernehmen" in text(client.get("/redaktion/vorschlaege"))
    customer = editorial.test_client()
    assert all(r["slug"] != "erstattung" for r in customer.get("/api/search?q=Zaster+futsch&log=0").get_json()["results"])
    taken = post_form(client, "/redaktion/vorschlaege/als-frage", {"query": "zaster futsch", "lang": "de",
                                                                   "slug": "erstattung"}, page="/redaktion/vorschlaege")
    assert taken.status_code == 303
    shown = text(client.get("/redaktion/vorschlaege"))
    assert "ist jetzt eine Kundenfrage von" in shown and 'data-proposal="zaster futsch"' not in shown
    # Live at once: the article is found by the customers' words, and the editor shows the question.
    assert customer.get("/api/search?q=Zaster+futsch&log=0").get_json()["results"][0]["slug"] == "erstattung"
    assert "zaster futsch</textarea>" in text(client.get("/redaktion/artikel/erstattung"))
    with editorial.app_context():
        assert db.session.scalar(select(SynonymProposalDecision.decision)) == "accepted"
        actions = [e.action for e in db.session.scalars(select(AuditEvent))]
        assert "article.save" in actions and "search.proposal_accept" in actions

    # An article with an unpublished newer version is not published behind its editor's back.
    editor = editorial.test_client()
    login(editor, *SECOND_EDITOR)
    base = re.search(r'name="base_revision" value="(\d+)"', text(editor.get("/redaktion/artikel/paypal"))).group(1)
    fields = {"title": "PayPal", "summary": "Mit PayPal zahlen.",
              "tags": "PayPal", "category": "zahlung", "lang": "de", "order": "", "body": "Entwurf von Ole.",
              "base_revision": base, "action": "save"}
    assert post_form(editor, "/redaktion/artikel/paypal", fields).status_code == 303
    refused = post_form(client, "/redaktion/vorschlaege/als-frage", {"query": "Moos weg", "lang": "de",
                                                                     "slug": "paypal"}, page="/redaktion/vorschlaege")
    assert refused.status_code == 422 and "noch nicht veröffentlichte Fassung" in text(refused)
    assert 'data-proposal="moos weg"' in text(refused)
