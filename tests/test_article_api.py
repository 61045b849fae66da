"""/api/articles (issue #13): editors and admins write articles as JSON — roles, If-Match (412), conflicts (409
with the current revision), 422 with the editor's messages, archive keeps history, restore, and a published
change found by /api/search right away."""
from __future__ import annotations

from app.extensions import db
from tests.conftest import api_token, login
from tests.editor_helpers import EDITOR, SECOND_EDITOR, editorial  # noqa: F401

NEW = {"title": "Größe umtauschen", "summary": "So tauschen Sie eine Größe.", "tags": ["Umtausch", "Größe"],
       "category": "retouren", "body": "## Schritte\n\nMelden Sie den Umtausch an.", "status": "draft"}


def signed_in(app, who=EDITOR):
    client = app.test_client()
    assert login(client, *who).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = api_token(client)
    return client


def test_anonymous_get_401_customers_and_agents_403(editorial, make_user):
    anonymous = editorial.test_client()
    assert anonymous.get("/api/articles").status_code == 401
    assert anonymous.get("/api/articles/sendungsverfolgung").get_json()["error"]["code"] == "unauthorized"
    make_user()
    make_user(email="agent@example.com", role="agent")
    for email in ("kim.berg@example.com", "agent@example.com"):
        client = editorial.test_client()
        login(client, email)
        token = api_token(client)
        assert client.get("/api/articles").status_code == 403
        assert client.post("/api/articles", json=NEW, headers={"X-CSRFToken": token}).status_code == 403
        assert client.delete("/api/articles/sendungsverfolgung", headers={"X-CSRFToken": token}).status_code == 403


def test_a_write_without_the_csrf_token_is_refused(editorial):
    client = editorial.test_client()
    login(client, *EDITOR)
    response = client.post("/api/articles", json=NEW)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf"


def test_list_filters_by_status_language_and_category(editorial):
    client = signed_in(editorial)
    every = client.get("/api/articles").get_json()["articles"]
    assert {"sendungsverfolgung", "entwurf", "refunds"} <= {a["slug"] for a in every}
    drafts = client.get("/api/articles?status=draft").get_json()["articles"]
    assert [a["slug"] for a in drafts] == ["entwurf"]
    english = client.get("/api/articles?lang=en").get_json()["articles"]
    assert english and {a["lang"] for a in english} == {"en"}
    versand = client.get("/api/articles?category=versand").get_json()["articles"]
    assert {a["slug"] for a in versand} == {"sendungsverfolgung", "sendung-beschaedigt"}
    assert client.get("/api/articles?status=gelöscht").status_code == 422


def test_create_derives_the_slug_from_the_title_and_answers_with_the_revision(editorial):
    client = signed_in(editorial)
    response = client.post("/api/articles", json=NEW)
    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    assert article["slug"] == "groesse-umtauschen" and article["revision"] == 1 and article["status"] == "draft"
    assert response.headers["Location"].endswith("/api/articles/groesse-umtauschen")
    shown = client.get("/api/articles/groesse-umtauschen")
    assert shown.headers["ETag"] == '"1"'
    assert shown.get_json()["body"].startswith("## Schritte") and shown.get_json()["tags"] == ["Umtausch", "Größe"]
    # A draft is not served to customers.
    assert editorial.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 404


def test_validation_errors_are_422_with_a_german_message_per_field(editorial):
    client = signed_in(editorial)
    bad = dict(NEW, category="gibt-es-nicht", related=["auch-nicht"], slug="Mit Leerzeichen",
               body="Siehe [hier](/hilfe/versand/verschwunden) und [da](/hilfe/versand/sendungsverfolgung).")
    response = client.post("/api/articles", json=bad)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["slug"].startswith("Nur Kleinbuchstaben")
    fixed_slug = client.post("/api/articles", json=dict(bad, slug="neu")).get_json()["error"]["fields"]
    assert fixed_slug == {"category": "Diese Kategorie gibt es nicht.",
                          "related": "Diese verwandten Artikel gibt es nicht: auch-nicht",
                          "body": "Diese Links führen ins Leere: /hilfe/versand/verschwunden"}
    taken = client.post("/api/articles", json=dict(NEW, slug="sendungsverfolgung")).get_json()["error"]["fields"]
    assert taken == {"slug": "Diese Adresse hat schon ein Artikel. Bitte wählen Sie eine andere."}
    missing = client.post("/api/articles", json={"category": "retouren"}).get_json()["error"]["fields"]
    assert missing["title"] == "Bitte ausfüllen." and missing["body"] == "Bitte ausfüllen."


def test_put_needs_if_match_and_refuses_a_stale_revision_with_the_current_one(editorial):
    client = signed_in(editorial)
    current = client.get("/api/articles/sendungsverfolgung").get_json()
    change = {k: current[k] for k in ("title", "summary", "tags", "category", "related", "body")}
    change["body"] += "\n\nNeu: Zustellung am Samstag."
    missing = client.put("/api/articles/sendungsverfolgung", json=change)
    assert missing.status_code == 412 and missing.get_json()["error"]["code"] == "if_match_required"
    assert client.put("/api/articles/sendungsverfolgung", json=change,
                      headers={"If-Match": "drei"}).status_code == 412
    revision = current["revision"]
    saved = client.put("/api/articles/sendungsverfolgung", json=change, headers={"If-Match": f'"{revision}"'})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["revision"] == revision + 1 and saved.headers["ETag"] == f'"{revision + 1}"'

    other = signed_in(editorial, SECOND_EDITOR)
    late = other.put("/api/articles/sendungsverfolgung", json=dict(change, body="Überschrieben?"),
                     headers={"If-Match": str(current["revision"])})
    assert late.status_code == 409
    error = late.get_json()["error"]
    assert error["code"] == "revision_conflict" and error["current_revision"] == current["revision"] + 1
    assert "Überschrieben" not in client.get("/api/articles/sendungsverfolgung").get_json()["body"]
    assert client.put("/api/articles/gibt-es-nicht", json=change, headers={"If-Match": "1"}).status_code == 404


def test_a_draft_save_keeps_the_published_version_online_and_publishing_serves_it(editorial):
    client = signed_in(editorial)
    current = client.get("/api/articles/sendungsverfolgung").get_json()
    change = {k: current[k] for k in ("title", "summary", "tags", "category", "related", "body")}
    change["title"] = "Sendung live verfolgen"
    saved = client.put("/api/articles/sendungsverfolgung", json=dict(change, status="draft"),
                       headers={"If-Match": str(current["revision"])}).get_json()
    assert saved["status"] == "published" and saved["published_revision"] == current["revision"]
    customer = editorial.test_client()
    assert "Sendung live verfolgen" not in customer.get("/hilfe/versand/sendungsverfolgung").get_data(as_text=True)
    published = client.put("/api/articles/sendungsverfolgung", json=dict(change, status="published"),
                           headers={"If-Match": str(saved["revision"])}).get_json()
    assert published["published_revision"] == published["revision"]
    assert "Sendung live verfolgen" in customer.get("/hilfe/versand/sendungsverfolgung").get_data(as_text=True)


def test_a_published_article_is_found_by_search_right_after(editorial):
    client = signed_in(editorial)
    body = dict(NEW, title="Zollgebühren bei Lieferung in die Schweiz", summary="Was an der Grenze anfällt.",
                tags=["Zoll"], body="Bei Lieferungen in die Schweiz fallen Zollgebühren an.", status="published")
    assert client.post("/api/articles", json=body).status_code == 201
    hits = editorial.test_client().get("/api/search?q=Zollgebühren").get_json()["results"]
    assert [hit["slug"] for hit in hits][:1] == ["zollgebuehren-bei-lieferung-in-die-schweiz"]


def test_delete_archives_keeps_every_version_and_restore_brings_it_back(editorial):
    client = signed_in(editorial)
    current = client.get("/api/articles/rueckgabe").get_json()
    change = {k: current[k] for k in ("title", "summary", "tags", "category", "related", "body")}
    client.put("/api/articles/rueckgabe", json=dict(change, body="Zweite Fassung."),
               headers={"If-Match": str(current["revision"])})
    assert client.delete("/api/articles/rueckgabe").status_code == 204
    assert editorial.test_client().get("/hilfe/retouren/rueckgabe").status_code == 404
    assert "rueckgabe" not in {a["slug"] for a in client.get("/api/articles").get_json()["articles"]}
    assert "rueckgabe" in {a["slug"] for a in client.get("/api/articles?status=archived").get_json()["articles"]}
    history = client.get("/api/articles/rueckgabe/revisions").get_json()["revisions"]
    assert [v["number"] for v in history] == [2, 1] and history[0]["author"] == "Lena Text"

    restored = client.post("/api/articles/rueckgabe/revisions/1/restore")
    assert restored.status_code == 200
    article = restored.get_json()
    assert article["revision"] == 3 and article["status"] == "draft" and article["body"] == current["body"]
    history = client.get("/api/articles/rueckgabe/revisions").get_json()["revisions"]
    assert [(v["number"], v["note"]) for v in history][0] == (3, "restored:1")
    assert client.post("/api/articles/rueckgabe/revisions/9/restore").status_code == 404


def test_with_review_on_publishing_waits_for_a_second_editor(make_app, make_user):
    app = make_app(HELPCENTER_STAFF_2FA="optional", HELPCENTER_EDITORIAL_REVIEW=True)
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    client = signed_in(app)
    article = client.post("/api/articles", json=dict(NEW, status="published")).get_json()
    assert article["status"] == "draft" and article["review_revision"] == 1
    assert app.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 404


def test_every_editor_action_is_in_the_audit_trail(editorial):
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    client = signed_in(editorial)
    client.post("/api/articles", json=dict(NEW, status="published"))
    client.delete("/api/articles/groesse-umtauschen")
    client.post("/api/articles/groesse-umtauschen/revisions/1/restore")
    with editorial.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "article")
                                          .order_by(AuditEvent.id)))
    assert actions == ["article.save", "article.publish", "article.archive", "article.restore"]


def test_two_puts_with_the_same_if_match_from_threads_one_wins(editorial):
    """Real threads (PostgreSQL shows the race): two editors' PUTs from the same revision."""
    from tests.test_concurrency import race

    client = signed_in(editorial)
    current = client.get("/api/articles/sendungsverfolgung").get_json()
    change = {k: current[k] for k in ("title", "summary", "tags", "category", "related", "body")}
    clients = [signed_in(editorial), signed_in(editorial, SECOND_EDITOR)]

    def prepare(i):
        def fire():
            return clients[i].put("/api/articles/sendungsverfolgung", json=dict(change, body=f"Fassung {i}"),
                                  headers={"If-Match": str(current["revision"])}).status_code
        return fire

    assert sorted(race(2, prepare)) == [200, 409]
    assert client.get("/api/articles/sendungsverfolgung").get_json()["revision"] == current["revision"] + 1
