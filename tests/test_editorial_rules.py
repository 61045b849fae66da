"""Rules around the editors' workspace: the first save takes the content directory into the database, `content
check` and the editor refuse the same dead links, pictures only from our own path, `make run` imports content."""
from __future__ import annotations

from pathlib import Path

from app.articles.rendering import render_markdown
from app.articles.store import article_row, content_version
from app.extensions import db
from tests.conftest import csrf_token_from, login

ROOT = Path(__file__).resolve().parent.parent


def test_the_first_save_imports_the_content_directory_in_the_same_transaction(make_app, make_user):
    app = make_app(HELPCENTER_STAFF_2FA="optional")
    make_user(email="lena.text@example.com", role="editor", name="Lena Text")
    with app.app_context():
        assert content_version() is None
    client = app.test_client()
    login(client, "lena.text@example.com")
    token = csrf_token_from(client, "/redaktion/artikel/neu")
    response = client.post("/redaktion/artikel/neu", data={
        "csrf_token": token, "title": "Neu", "summary": "Kurz.", "category": "versand", "body": "Text.",
        "action": "save"})
    assert response.status_code == 303
    with app.app_context():
        assert content_version() is not None
        assert article_row("sendungsverfolgung").state == "published" and article_row("entwurf").state == "draft"
        assert article_row("neu").revision == 1
        db.session.rollback()
    # The shipped articles are still served, now from the database.
    assert app.test_client().get("/hilfe/versand/sendungsverfolgung").status_code == 200


def test_content_check_reports_links_to_articles_that_do_not_exist(make_app, content_copy):
    article = content_copy / "versand" / "sendungsverfolgung.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nMehr unter [Zoll](/hilfe/versand/zoll).\n",
                       encoding="utf-8")
    result = make_app(content_copy).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "sendungsverfolgung.md: link(s) to nothing: /hilfe/versand/zoll" in result.output


def test_content_check_reports_contact_links_to_topics_the_form_does_not_know(make_app, content_copy):
    article = content_copy / "versand" / "sendungsverfolgung.md"
    article.write_text(article.read_text(encoding="utf-8")
                       + "\n[Schreiben Sie uns](/kontakt?topic=konto) oder [hier](/kontakt?topic=lieferung&order=1)."
                       + " Gruppe: [Zahlung](/kontakt?topic=zahlung).\n", encoding="utf-8")
    result = make_app(content_copy).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    # The form would open with no topic chosen; a known topic or a group's slug is fine.
    assert "sendungsverfolgung.md: link(s) to nothing: /kontakt?topic=konto" in result.output
    assert "topic=lieferung" not in result.output and "topic=zahlung)" not in result.output


def test_every_shipped_contact_link_names_a_topic_the_form_knows():
    from app.articles.links import broken_links
    from app.articles.loader import load_content

    tree = load_content(ROOT / "content")
    bad = {a.slug: broken_links(a.body_html, {}, {}) for a in tree.published}
    assert {slug: [link for link in links if link.startswith("/kontakt")] for slug, links in bad.items()
            if any(link.startswith("/kontakt") for link in links)} == {}


def test_pictures_only_from_our_own_image_path():
    own = "/hilfe-bilder/" + "ab" * 32 + ".png"
    html = render_markdown(f"![a]({own}) ![b](https://tracker.example/p.gif) ![c](/hilfe-bilder/x.png?u=1) "
                           f'<img src="{own}" onerror="alert(1)"> ![d](//evil.example{own})').html
    assert html.count(f'src="{own}"') == 2
    assert "tracker" not in html and "?u=1" not in html and "onerror" not in html and "evil" not in html


def test_make_run_imports_the_shipped_content_on_a_new_installation():
    run = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    steps = [line.strip() for line in run.splitlines() if line.startswith("\t$(FLASK)")]
    assert steps[:3] == ["$(FLASK) db upgrade", "$(FLASK) content import --if-empty", "$(FLASK) demo load"]
