"""The editor pages under /redaktion (issue #13): list with state and readers, write and save, conflicts that
keep what was typed, the preview's sanitizer, pictures re-encoded and served, the review rule, history and diff."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from app.extensions import db
from app.insights.models import ArticleViewDay, ArticleVote, utcnow
from tests.conftest import csrf_token_from, login
from tests.editor_helpers import EDITOR, SECOND_EDITOR, editorial  # noqa: F401

FORM = {"title": "Größe umtauschen", "summary": "So tauschen Sie eine Größe.", "tags": "Umtausch, Größe",
        "category": "retouren", "lang": "de", "order": "", "body": "## Schritte\n\nMelden Sie den Umtausch an."}


def signed_in(app, who=EDITOR):
    client = app.test_client()
    assert login(client, *who).status_code == 302
    return client


def post_form(client, url, data, page=None, **kwargs):
    token = csrf_token_from(client, page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def editor_revision(client, slug) -> str:
    return re.search(r'name="base_revision" value="(\d+)"', text(client.get(f"/redaktion/artikel/{slug}"))).group(1)


def test_the_list_shows_state_last_change_readers_and_open_feedback(editorial):
    client = signed_in(editorial)
    with editorial.app_context():
        db.session.add(ArticleViewDay(slug="sendungsverfolgung", day=utcnow().date(), views=7))
        db.session.add_all([ArticleVote(slug="sendungsverfolgung", lang="de", helpful=False, comment="Wo ist DHL?"),
                            ArticleVote(slug="sendungsverfolgung", lang="de", helpful=True)])
        db.session.commit()
    html = text(client.get("/redaktion/artikel"))
    row = re.search(r'<tr data-article="sendungsverfolgung">(.*?)</tr>', html, re.S).group(1)
    assert "Veröffentlicht" in row and "<td data-views>7</td>" in row and "1 / 1" in row
    assert "<td data-comments>1</td>" in row
    assert 'data-article="entwurf"' in html and "Entwurf" in html
    filtered = text(client.get("/redaktion/artikel?status=draft"))
    assert 'data-article="entwurf"' in filtered and 'data-article="sendungsverfolgung"' not in filtered
    searched = text(client.get("/redaktion/artikel?q=paypal"))
    assert re.findall(r'<tr data-article="([^"]+)"', searched) == ["paypal"]
    assert client.get("/redaktion/artikel?status=unsinn&lang=xx").status_code == 200
    assert client.get("/redaktion/artikel?q=%00").status_code == 400


def test_a_new_article_prefilled_from_a_search_saved_as_draft_then_published(editorial):
    client = signed_in(editorial)
    page = text(client.get("/redaktion/artikel/neu?titel=Zoll+Schweiz"))
    assert 'id="title" name="title" value="Zoll Schweiz"' in page
    saved = post_form(client, "/redaktion/artikel/neu", dict(FORM, action="save"), page="/redaktion/artikel/neu")
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/redaktion/artikel/groesse-umtauschen")
    shown = text(client.get(saved.headers["Location"]))
    assert "Als Entwurf gespeichert (Version 1)." in shown and "Lena Text" in shown
    assert editorial.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 404
    published = post_form(client, "/redaktion/artikel/groesse-umtauschen/veroeffentlichen", {},
                          page="/redaktion/artikel/groesse-umtauschen")
    assert published.status_code == 303
    public = text(editorial.test_client().get("/hilfe/retouren/groesse-umtauschen"))
    assert "Größe umtauschen" in public and "Melden Sie den Umtausch an." in public


def test_refused_values_come_back_with_messages_and_everything_typed(editorial):
    client = signed_in(editorial)
    body = "Siehe [alt](/hilfe/versand/verschwunden)."
    response = post_form(client, "/redaktion/artikel/neu", dict(FORM, category="", body=body, action="save"),
                         page="/redaktion/artikel/neu")
    assert response.status_code == 422
    html = text(response)
    assert "Bitte ausfüllen." in html
    assert body.replace("[", "[") in html and 'value="So tauschen Sie eine Größe."' in html
    response = post_form(client, "/redaktion/artikel/neu", dict(FORM, body=body, action="save"),
                         page="/redaktion/artikel/neu")
    assert "Diese Links führen ins Leere: /hilfe/versand/verschwunden" in text(response)


def test_a_conflicting_save_shows_the_difference_and_keeps_what_was_typed(editorial):
    first, second = signed_in(editorial), signed_in(editorial, SECOND_EDITOR)
    base = editor_revision(first, "rueckgabe")
    form_second = csrf_token_from(second, "/redaktion/artikel/rueckgabe")
    saved = post_form(first, "/redaktion/artikel/rueckgabe",
                      dict(FORM, title="Rückgabe", body="Fassung von Lena.", base_revision=base, action="save"))
    assert saved.status_code == 303
    late = second.post("/redaktion/artikel/rueckgabe", data=dict(
        FORM, title="Rückgabe", body="Fassung von Ole,\nmit zwei Zeilen.", base_revision=base, action="save",
        csrf_token=form_second))
    assert late.status_code == 409
    html = text(late)
    assert "Nicht gespeichert" in html and "Lena Text hat Version" in html
    # Nothing typed is lost: the textarea holds Ole's text, and the diff shows both.
    assert ">Fassung von Ole,\nmit zwei Zeilen.</textarea>" in html
    assert re.search(r'class="diff-removed">.*?Fassung von Lena\.', html, re.S)
    assert re.search(r'class="diff-added">.*?Fassung von Ole,', html, re.S)
    # The form now names the stored version: saving again is a deliberate choice, and it works.
    current = re.search(r'name="base_revision" value="(\d+)"', html).group(1)
    assert int(current) == int(base) + 1
    again = second.post("/redaktion/artikel/rueckgabe", data=dict(
        FORM, title="Rückgabe", body="Fassung von Ole.", base_revision=current, action="save",
        csrf_token=form_second))
    assert again.status_code == 303


def test_the_preview_renders_like_the_public_page_and_strips_script(editorial):
    client = signed_in(editorial)
    token = csrf_token_from(client, "/redaktion/artikel/neu")
    body = ('## Abschnitt\n\n!!! note "Gut zu wissen"\n    Kasten.\n\n<script>alert(1)</script>\n\n'
            '[klick](javascript:alert(2)) <img src="https://tracker.example/x.gif" onerror="alert(3)">')
    answer = client.post("/redaktion/vorschau", data={"body": body, "csrf_token": token}).get_json()["html"]
    assert 'id="abschnitt"' in answer and 'class="admonition note"' in answer and "Kasten." in answer
    assert "<script" not in answer and "javascript:" not in answer and "onerror" not in answer
    assert "tracker.example" not in answer and "Auf dieser Seite" in answer
    # Without JavaScript: the "Vorschau" button shows the same on the editor page, nothing saved.
    page = post_form(client, "/redaktion/artikel/neu", dict(FORM, body=body, action="preview"),
                     page="/redaktion/artikel/neu")
    html = text(page)
    assert page.status_code == 200 and 'class="admonition note"' in html
    assert "<script>alert" not in html and "javascript:alert" not in html.split('<section class="editor-preview"')[1]
    assert client.get("/api/articles/groesse-umtauschen").status_code == 404


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {2: (53.0, 33.0, 0.0)}  # GPS latitude
    exif[0x010F] = "Kamera GmbH"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_pictures_are_re_encoded_without_metadata_and_served_from_the_help_center(editorial):
    client = signed_in(editorial)
    token = csrf_token_from(client, "/redaktion/artikel/neu")
    original = _jpeg_with_gps()
    assert b"Kamera GmbH" in original
    answer = client.post("/redaktion/bilder", data={"csrf_token": token, "bild": (io.BytesIO(original), "foto.jpg")},
                         content_type="multipart/form-data")
    assert answer.status_code == 201
    url = answer.get_json()["url"]
    assert re.fullmatch(r"/hilfe-bilder/[0-9a-f]{64}\.jpg", url) and answer.get_json()["markdown"] == f"![foto]({url})"
    served = editorial.test_client().get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"Kamera GmbH" not in served.data and "immutable" in served.headers["Cache-Control"]
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (40, 30) and not image.getexif()
    refused = client.post("/redaktion/bilder", data={"csrf_token": token,
                                                     "bild": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")},
                          content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "kein Foto" in refused.get_json()["error"]["fields"]["bild"]
    # The published article shows it; a picture from elsewhere is dropped by the sanitizer.
    body = f"![Etikett]({url})\n\n![fremd](https://x.example/a.png)"
    post_form(client, "/redaktion/artikel/neu", dict(FORM, body=body, action="publish"), page="/redaktion/artikel/neu")
    public = text(editorial.test_client().get("/hilfe/retouren/groesse-umtauschen"))
    assert f'<img alt="Etikett" src="{url}">' in public and "x.example" not in public
    assert editorial.test_client().get("/hilfe-bilder/" + "0" * 64 + ".png").status_code == 404
    assert editorial.test_client().get("/hilfe-bilder/..%2Fetc.png").status_code == 404


def test_the_plain_file_input_works_without_javascript(editorial):
    client = signed_in(editorial)
    response = post_form(client, "/redaktion/artikel/neu", dict(FORM, action="preview", bild_alt="Paketschein",
                                                                bild=(io.BytesIO(_jpeg_with_gps()), "schein.jpg")),
                         page="/redaktion/artikel/neu", content_type="multipart/form-data")
    html = text(response)
    assert re.search(r"!\[Paketschein\]\(/hilfe-bilder/[0-9a-f]{64}\.jpg\)\s*</textarea>", html)
    assert re.search(r'<img alt="Paketschein" src="/hilfe-bilder/[0-9a-f]{64}\.jpg">', html)


def test_with_review_on_a_second_editor_approves_and_the_author_cannot(make_app, make_user):
    app = make_app(HELPCENTER_STAFF_2FA="optional", HELPCENTER_EDITORIAL_REVIEW=True)
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    make_user(email=SECOND_EDITOR[0], password=SECOND_EDITOR[1], role="editor", name="Ole Wort")
    author, reviewer = signed_in(app), signed_in(app, SECOND_EDITOR)
    saved = post_form(author, "/redaktion/artikel/neu", dict(FORM, action="publish"), page="/redaktion/artikel/neu")
    page = text(author.get(saved.headers["Location"]))
    assert "wartet auf die Freigabe" in page and "Freigeben und veröffentlichen" not in page
    assert app.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 404
    own = post_form(author, "/redaktion/artikel/groesse-umtauschen/freigeben", {},
                    page="/redaktion/artikel/groesse-umtauschen")
    assert own.status_code == 403 and "andere Person" in text(own)
    assert app.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 404
    assert "Freigeben und veröffentlichen" in text(reviewer.get("/redaktion/artikel/groesse-umtauschen"))
    approved = post_form(reviewer, "/redaktion/artikel/groesse-umtauschen/freigeben", {},
                         page="/redaktion/artikel/groesse-umtauschen")
    assert approved.status_code == 303
    assert app.test_client().get("/hilfe/retouren/groesse-umtauschen").status_code == 200


def test_history_shows_every_version_a_diff_and_restores_as_a_new_version(editorial):
    client = signed_in(editorial)
    base = editor_revision(client, "paypal")
    post_form(client, "/redaktion/artikel/paypal", dict(FORM, category="zahlung", title="PayPal",
                                                        body="Zahlen mit <PayPal> & Co.", base_revision=base,
                                                        action="save"))
    html = text(client.get("/redaktion/artikel/paypal/versionen"))
    assert re.findall(r'<tr data-version="(\d+)">', html) == ["2", "1"]
    assert "Lena Text" in html and "aus content/ übernommen" in html
    # The diff escapes what editors wrote.
    assert "Zahlen mit &lt;PayPal&gt; &amp; Co." in html and "<PayPal>" not in html
    chosen = text(client.get("/redaktion/artikel/paypal/versionen?von=2&bis=1"))
    assert re.search(r'class="diff-added">.*?PayPal', chosen, re.S)
    restored = post_form(client, "/redaktion/artikel/paypal/versionen/1/wiederherstellen", {},
                         page="/redaktion/artikel/paypal/versionen")
    assert restored.status_code == 303
    html = text(client.get("/redaktion/artikel/paypal/versionen"))
    assert re.findall(r'<tr data-version="(\d+)">', html) == ["3", "2", "1"]
    assert "wiederhergestellt aus Version 1" in html
    assert client.get("/redaktion/artikel/paypal/versionen?von=7&bis=1").status_code == 404


def test_the_customer_view_shows_any_version_as_the_public_page_does(editorial):
    client = signed_in(editorial)
    html = text(client.get("/redaktion/artikel/entwurf/ansicht"))
    assert "Vorschau: So sehen Kunden Version 1" in html and "War dieser Artikel hilfreich?" in html
    assert client.get("/redaktion/artikel/entwurf/ansicht?version=5").status_code == 404


def test_only_editors_and_admins_reach_the_editor(editorial, make_user):
    assert editorial.test_client().get("/redaktion/artikel/neu").status_code == 302
    make_user(email="agent@example.com", role="agent")
    agent = editorial.test_client()
    login(agent, "agent@example.com")
    assert agent.get("/redaktion/artikel").status_code == 403
    assert agent.get("/redaktion/artikel/sendungsverfolgung").status_code == 403


def test_the_start_page_links_a_search_without_results_to_write_the_article(editorial):
    from app.insights.models import SearchLog

    with editorial.app_context():
        db.session.add(SearchLog(query="Zoll Schweiz", lang="de", result_count=0))
        db.session.commit()
    html = text(signed_in(editorial).get("/redaktion"))
    assert 'href="/redaktion/artikel/neu?titel=Zoll+Schweiz"' in html


@pytest.mark.parametrize("odd", [
    {"order": "drei"}, {"order": "-1"}, {"related": "../etc/passwd"}, {"base_revision": "-1"}, {"action": "löschen"},
    {"lang": "fr"}, {"title": "x" * 300}, {"tags": ",,,"}, {"body": "---\ntitle: [\n---"}, {"slug": "ÄÖÜ"},
    {"category": "../versand"}, {"title": "🙂"},
])
def test_odd_form_values_get_a_message_never_a_500(editorial, odd):
    client = signed_in(editorial)
    response = post_form(client, "/redaktion/artikel/neu", {**FORM, "action": "save", **odd},
                         page="/redaktion/artikel/neu")
    assert response.status_code in (303, 422), text(response)[:500]
    for path in ("/redaktion/artikel/%C3%A4", "/redaktion/artikel/x" * 3, "/redaktion/artikel/paypal/versionen?von=a",
                 "/redaktion/artikel/paypal/ansicht?version=999999999999999999999",
                 "/redaktion/artikel/paypal/versionen?von=1&bis=99999999999999999999"):
        assert client.get(path).status_code in (200, 404), path
