"""English versions of German articles (`translation: <german-slug>`): the rules content check and the editor apply,
the pairs the library serves, and what an English or a German visitor sees on the pages, in search and in the
sitemap."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.articles.links import links_in_language
from app.articles.loader import link_translations, load_content
from app.articles.store import export_tree, import_tree, load_database_tree
from app.extensions import db
from tests.conftest import SHIPPED_CONTENT, api_token, login
from tests.editor_helpers import EDITOR


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def article(title, summary, body, **meta) -> str:
    lines = [f"title: {title}", f"summary: {summary}"] + [f"{key}: {value}" for key, value in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


@pytest.fixture
def bilingual(tmp_path) -> Path:
    """A small shop: one category with a translated pair and a German-only article, one German-only category."""
    root = tmp_path / "content"
    write(root, "bestellung/_index.md", "---\ntitle: Bestellung\ndescription: Bestellen und stornieren.\norder: 1\n"
          "title_en: Ordering\ndescription_en: Placing and cancelling orders.\n---\n")
    write(root, "bestellung/bestellung-stornieren.md", article(
        "Bestellung stornieren", "So stornieren Sie vor dem Versand.",
        "Vor dem Versand stornieren Sie in Mein Konto. Siehe auch [Gastbestellung](/hilfe/bestellung/als-gast).",
        tags="[stornieren, Storno]", order=1, related="[als-gast]"))
    write(root, "bestellung/cancel-an-order.md", article(
        "Cancelling an order", "How to cancel before dispatch.",
        "Cancel in your account before dispatch. Ordered as a guest? See [guest orders](/hilfe/bestellung/als-gast)"
        " and [returns](/hilfe/retouren/rueckgabe#frist).",
        tags="[cancel, changed my mind]", lang="en", translation="bestellung-stornieren", order=1,
        related="[bestellung-stornieren, als-gast, rueckgabe]"))
    write(root, "bestellung/als-gast.md", article(
        "Als Gast bestellen", "Ohne Kundenkonto bestellen.", "Bestellen Sie ohne Konto.", order=2))
    write(root, "retouren/_index.md", "---\ntitle: Rücksendung\norder: 2\ntitle_en: Returns\n---\n")
    write(root, "retouren/rueckgabe.md", article(
        "Rückgabe innerhalb von 30 Tagen", "30 Tage Rückgaberecht.", "## Frist\n\n30 Tage ab Erhalt.", order=1))
    write(root, "retouren/return-period.md", article(
        "Returning within 30 days", "You have 30 days to return.", "## Deadline\n\n30 days from delivery.",
        lang="en", translation="rueckgabe", order=1, status="draft"))
    return root


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the rules ---------------------------------------------------------------------------------------------------

def test_a_pair_is_linked_both_ways_and_drafts_count_for_the_check(bilingual):
    tree = load_content(bilingual)
    assert tree.problems == []
    pairs = link_translations(tree.articles)
    assert pairs.english_of == {"bestellung-stornieren": "cancel-an-order", "rueckgabe": "return-period"}
    assert pairs.german_of == {"cancel-an-order": "bestellung-stornieren", "return-period": "rueckgabe"}


def test_every_broken_link_is_a_problem_and_the_articles_are_still_served(bilingual):
    write(bilingual, "bestellung/itself.md", article("Itself", "S.", "B.", lang="en", translation="itself"))
    write(bilingual, "bestellung/nowhere.md", article("Nowhere", "S.", "B.", lang="en", translation="gibt-es-nicht"))
    write(bilingual, "bestellung/of-english.md", article("Of English", "S.", "B.", lang="en",
                                                         translation="cancel-an-order"))
    write(bilingual, "bestellung/elsewhere.md", article("Elsewhere", "S.", "B.", lang="en", translation="rueckgabe"))
    write(bilingual, "bestellung/second-cancel.md", article("Second", "S.", "B.", lang="en",
                                                            translation="bestellung-stornieren"))
    write(bilingual, "bestellung/deutsch-mit-vorlage.md", article("Deutsch", "S.", "B.", translation="als-gast"))
    write(bilingual, "bestellung/kaputt.md", article("Kaputt", "S.", "B.", lang="en", translation="[a, b]"))
    tree = load_content(bilingual)
    reasons = {p.path: p.reason for p in tree.problems}
    assert reasons == {
        "bestellung/itself.md": "'translation' names the article itself; it must name the German original",
        "bestellung/nowhere.md": "'translation' names an unknown article: gibt-es-nicht",
        "bestellung/of-english.md": "'translation' must name a German article, cancel-an-order is 'en'",
        "bestellung/elsewhere.md": "'translation' rueckgabe lives in category retouren; both belong in one folder",
        "bestellung/second-cancel.md": "bestellung-stornieren already has an English version: cancel-an-order",
        "bestellung/deutsch-mit-vorlage.md": "only an English article names its German original in 'translation'",
        "bestellung/kaputt.md": "'translation' must be the slug of the German original, e.g. bestellung-stornieren",
    }
    # A wrong link is reported, not a reason to take the article offline (a wrong type is, as with other fields).
    served = {"itself", "nowhere", "of-english", "elsewhere", "second-cancel", "deutsch-mit-vorlage"}
    assert served <= set(tree.articles)
    # The first English article by slug keeps the pair; the second is reported.
    assert link_translations(tree.articles).english_of["bestellung-stornieren"] == "cancel-an-order"


def test_content_check_reports_translation_problems(make_app, bilingual):
    write(bilingual, "bestellung/second-cancel.md", article("Second", "S.", "B.", lang="en",
                                                            translation="bestellung-stornieren"))
    result = make_app(bilingual).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "bestellung-stornieren already has an English version: cancel-an-order" in result.output


def test_shipped_content_check_is_clean(make_app, shipped_index):
    result = make_app(SHIPPED_CONTENT, shipped_index).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_the_database_keeps_translations_byte_for_byte_and_checks_them_the_same(make_app, bilingual, tmp_path):
    app = make_app(bilingual)
    with app.app_context():
        import_tree(bilingual, "de")
        db.session.commit()
        tree = load_database_tree("de")
        assert tree.problems == []
        assert tree.articles["cancel-an-order"].translation == "bestellung-stornieren"
        export_tree(tmp_path / "out")
    for name in ("bestellung/cancel-an-order.md", "retouren/return-period.md"):
        assert (tmp_path / "out" / name).read_bytes() == (bilingual / name).read_bytes()

    write(bilingual, "bestellung/second-cancel.md", article("Second", "S.", "B.", lang="en",
                                                            translation="bestellung-stornieren"))
    with app.app_context():
        import_tree(bilingual, "de")
        db.session.commit()
        problems = [str(p) for p in load_database_tree("de").problems]
    assert problems == [("bestellung/second-cancel.md: bestellung-stornieren already has an English version: "
                         "cancel-an-order")]


# --- the library -------------------------------------------------------------------------------------------------

def test_library_pairs_published_articles_both_ways(make_app, bilingual):
    library = make_app(bilingual).extensions["helpcenter.library"]
    german, english = library.article("bestellung-stornieren"), library.article("cancel-an-order")
    assert library.translation_of(german, "en") == english and library.translation_of(english, "de") == german
    assert library.translation_of(german, "de") == german
    # The English draft of rueckgabe is not served: the German article stands alone for English visitors.
    assert library.translation_of(library.article("rueckgabe"), "en") is None
    # English visitors get every article once, in English where there is one; German visitors never the English.
    assert [a.slug for a in library.articles_in("bestellung", "en")] == ["cancel-an-order", "als-gast"]
    assert [a.slug for a in library.articles_in("bestellung", "de")] == ["bestellung-stornieren", "als-gast"]
    assert [a.slug for a in library.articles_in("retouren", "en")] == ["rueckgabe"]
    # Related: never the article's own original, the rest in English where translated.
    assert [a.slug for a in library.related(english)] == ["als-gast", "rueckgabe"]


def test_links_in_an_english_body_lead_to_english_versions():
    class Target:
        category, slug = "bestellung", "cancel-an-order"

    html = '<a href="/hilfe/bestellung/bestellung-stornieren#vor">x</a> <a href="/hilfe/bestellung/als-gast">y</a>'
    swapped = links_in_language(html, lambda slug: Target() if slug == "bestellung-stornieren" else None)
    assert swapped == '<a href="/hilfe/bestellung/cancel-an-order#vor">x</a> <a href="/hilfe/bestellung/als-gast">y</a>'


# --- the pages ---------------------------------------------------------------------------------------------------

@pytest.fixture
def site(make_app, bilingual):
    return make_app(bilingual)


def test_english_home_and_category_show_english_titles_and_mark_german_only_articles(site):
    client = site.test_client()
    home = text(client.get("/?lang=en"))
    assert ">Ordering</a>" in home and ">Returns</a>" in home
    assert ">Cancelling an order</a>" in home and "Bestellung stornieren" not in home
    assert re.search(r'<a href="/hilfe/bestellung/als-gast" lang="de" hreflang="de">Als Gast bestellen</a> '
                     r'<span class="language-marker">\(in German\)</span>', home)
    category = text(client.get("/hilfe/bestellung"))
    assert "<h1>Ordering</h1>" in category and "Placing and cancelling orders." in category
    titles = re.findall(r'<a href="/hilfe/bestellung/[a-z-]+"[^>]*>([^<]+)</a>( <span class="language-marker">)?',
                        category)
    assert titles == [("Cancelling an order", ""), ("Als Gast bestellen", ' <span class="language-marker">')]
    # The search box asks the English index as you type.
    assert 'data-lang="en"' in category


def test_german_visitors_see_german_articles_only(site):
    page = text(site.test_client().get("/hilfe/bestellung"))
    assert "Bestellung stornieren" in page and "Cancelling an order" not in page
    assert "language-marker" not in page and 'data-lang="de"' in page


def test_an_english_visitor_on_a_german_only_article_is_told_so_in_english(site):
    client = site.test_client()
    client.get("/?lang=en")
    page = text(client.get("/hilfe/bestellung/als-gast"))
    assert '<html lang="en">' in page
    assert "This article is only available in German." in page
    assert '<article class="article" lang="de" data-article="als-gast">' in page
    assert "Bestellen Sie ohne Konto." in page
    # The switcher leads to the same article in German (there is no other), never to a 404.
    assert '<a href="/hilfe/bestellung/als-gast?lang=de" hreflang="de" lang="de">Deutsch</a>' in page
    assert 'rel="alternate"' not in page


def test_an_english_visitor_on_a_translated_german_article_gets_a_link_to_the_english_one(site):
    client = site.test_client()
    client.get("/?lang=en")
    response = client.get("/hilfe/bestellung/bestellung-stornieren")
    assert response.status_code == 200  # no redirect: one text per address, whatever the session
    page = text(response)
    assert "This article is also available in English." in page
    assert re.search(r'<a href="/hilfe/bestellung/cancel-an-order" hreflang="en" lang="en">Read this in English</a>',
                     page)


def test_a_german_visitor_on_an_english_article_gets_the_german_original_and_the_switch_leads_there(site):
    client = site.test_client()
    page = text(client.get("/hilfe/bestellung/cancel-an-order"))
    assert "Diesen Artikel gibt es auch auf Deutsch." in page
    assert '<a href="/hilfe/bestellung/bestellung-stornieren" hreflang="de" lang="de">Auf Deutsch lesen</a>' in page
    assert '<a href="/hilfe/bestellung/cancel-an-order?lang=en" hreflang="en" lang="en">English</a>' in page

    client.get("/?lang=en")
    english = text(client.get("/hilfe/bestellung/cancel-an-order"))
    assert "also available" not in english and "only available" not in english
    # The switcher goes to the German original, not to the same English text.
    assert ('<a href="/hilfe/bestellung/bestellung-stornieren?lang=de" hreflang="de" lang="de">Deutsch</a>'
            in english)
    german = text(client.get("/hilfe/bestellung/bestellung-stornieren?lang=de"))
    assert '<html lang="de">' in german and "<h1>Bestellung stornieren</h1>" in german


def test_an_english_article_links_and_relates_to_english_versions(site):
    client = site.test_client()
    client.get("/?lang=en")
    page = text(client.get("/hilfe/bestellung/cancel-an-order"))
    related = page[page.index('id="related-title"'):page.index("</section>", page.index('id="related-title"'))]
    assert "Cancelling an order" not in related and "Bestellung stornieren" not in related
    assert '<a href="/hilfe/bestellung/als-gast" lang="de" hreflang="de">Als Gast bestellen</a>' in related
    assert '(in German)' in related
    assert 'href="/hilfe/retouren/rueckgabe#frist"' in page  # the English draft is not linked


def test_hreflang_alternates_in_the_head_and_the_sitemap(site):
    client = site.test_client()
    for slug in ("bestellung-stornieren", "cancel-an-order"):
        page = text(client.get(f"/hilfe/bestellung/{slug}"))
        assert ('<link rel="alternate" hreflang="de" href="http://127.0.0.1:5000/hilfe/bestellung/'
                'bestellung-stornieren">') in page
        assert ('<link rel="alternate" hreflang="en" href="http://127.0.0.1:5000/hilfe/bestellung/cancel-an-order">'
                in page)
        assert ('<link rel="alternate" hreflang="x-default" href="http://127.0.0.1:5000/hilfe/bestellung/'
                'bestellung-stornieren">') in page
    sitemap = text(client.get("/sitemap.xml"))
    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in sitemap
    entry = re.search(r"<url><loc>http://127.0.0.1:5000/hilfe/bestellung/cancel-an-order</loc>.*?</url>",
                      sitemap).group(0)
    assert ('<xhtml:link rel="alternate" hreflang="de" href="http://127.0.0.1:5000/hilfe/bestellung/'
            'bestellung-stornieren"/>') in entry
    untranslated = re.search(r"<url><loc>http://127.0.0.1:5000/hilfe/bestellung/als-gast</loc>.*?</url>",
                             sitemap).group(0)
    assert "xhtml:link" not in untranslated
    assert "return-period" not in sitemap  # a draft


def test_english_search_finds_the_english_article_by_its_english_words(site):
    client = site.test_client()
    english = client.get("/api/search?q=changed+my+mind&lang=en").get_json()
    assert [hit["slug"] for hit in english["results"]] == ["cancel-an-order"]
    assert client.get("/api/search?q=changed+my+mind&lang=de").get_json()["total"] == 0
    client.get("/?lang=en")
    page = text(client.get("/suche?q=cancel"))
    assert re.search(r'href="/hilfe/bestellung/cancel-an-order\?sid=\d+&amp;pos=1">Cancelling an order</a>', page)


# --- the editor --------------------------------------------------------------------------------------------------

def _editor_client(app, make_user):
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    client = app.test_client()
    assert login(client, *EDITOR).status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = api_token(client)
    return client


def test_the_editor_links_an_english_article_to_its_german_original_by_the_same_rules(make_app, make_user, bilingual):
    app = make_app(bilingual, HELPCENTER_STAFF_2FA="optional")
    client = _editor_client(app, make_user)
    new = {"title": "Ordering as a guest", "summary": "Order without an account.", "tags": ["guest"],
           "category": "bestellung", "lang": "en", "body": "Order without an account.", "status": "published",
           "slug": "order-as-guest"}

    def refused(**changes):
        response = client.post("/api/articles", json=dict(new, **changes))
        assert response.status_code == 422, response.get_json()
        return response.get_json()["error"]["fields"]["translation"]

    assert refused(translation="rueckgabe").startswith("Die Originalfassung steht in einer anderen Kategorie")
    assert refused(translation="bestellung-stornieren") == "Diesen Artikel übersetzt schon „Cancelling an order“."
    assert refused(translation="cancel-an-order") == "Bitte wählen Sie einen deutschen Artikel."
    assert refused(translation="gibt-es-nicht") == "Diesen Artikel gibt es nicht."
    assert refused(translation="order-as-guest") == "Ein Artikel kann nicht seine eigene Originalfassung sein."
    assert refused(translation="als-gast", lang="de") == ("Nur ein englischer Artikel kann eine deutsche "
                                                          "Originalfassung haben.")

    created = client.post("/api/articles", json=dict(new, translation="als-gast"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["translation"] == "als-gast"
    with app.app_context():
        from app.articles import store
        source = store.revision_source(store.article_row("order-as-guest"))
    assert "\nlang: en\ntranslation: als-gast\n" in source

    visitor = app.test_client()
    visitor.get("/?lang=en")
    assert "language-marker" not in text(visitor.get("/hilfe/bestellung"))
    page = text(visitor.get("/hilfe/bestellung/als-gast"))
    assert '<a href="/hilfe/bestellung/order-as-guest" hreflang="en" lang="en">Read this in English</a>' in page

    form = text(client.get("/redaktion/artikel/order-as-guest"))
    assert '<option value="als-gast" selected>Als Gast bestellen (bestellung)</option>' in form


# --- the shipped articles ----------------------------------------------------------------------------------------

MY_CATEGORIES = ("bestellung", "datenschutz", "erstattung", "gutscheine", "kontakt", "kundenkonto")


def test_every_german_article_of_these_categories_has_its_english_version():
    tree = load_content(SHIPPED_CONTENT)
    pairs = link_translations(tree.articles)
    for article in tree.published:
        if article.category in MY_CATEGORIES and article.lang == "de":
            english = tree.articles.get(pairs.english_of.get(article.slug, ""))
            assert english is not None and english.published, f"{article.slug} has no English version"
            assert (english.order, english.updated) == (article.order, article.updated), english.slug
            assert english.tags and english.summary


def test_shipped_english_articles_lead_english_visitors_to_english_pages(make_app, shipped_index):
    app = make_app(SHIPPED_CONTENT, shipped_index)
    library = app.extensions["helpcenter.library"]
    for article in library.published("en"):
        for related in library.related(article):
            assert library.translation_of(related, "en") in (None, related), (article.slug, related.slug)
        for slug in re.findall(r'href="/hilfe/[^/"]+/([^"#?/]+)', library.body_html(article)):
            linked = library.article(slug)
            assert linked is not None and library.translation_of(linked, "en") in (None, linked), (article.slug, slug)


def test_flow_pages_name_help_articles_in_the_visitors_language(site):
    from flask import session

    from app.i18n import help_article_url

    for lang, expected in (("en", "/hilfe/bestellung/cancel-an-order"),
                           ("de", "/hilfe/bestellung/bestellung-stornieren")):
        with site.test_request_context("/"):
            session["lang"] = lang
            assert help_article_url("bestellung-stornieren") == expected
    with site.test_request_context("/"):
        session["lang"] = "en"
        assert help_article_url("als-gast") == "/hilfe/bestellung/als-gast"  # German-only: the German one


def test_an_english_visitor_gets_did_you_mean_and_the_feedback_box_in_english(site):
    from app.insights.models import ArticleVote
    from tests.conftest import csrf_token_from

    client = site.test_client()
    client.get("/?lang=en")
    page = text(client.get("/suche?q=cancle"))
    assert re.search(r'Did you mean <a href="/suche\?q=cancel">cancel</a>\?', page)

    url = "/hilfe/bestellung/cancel-an-order"
    assert "Was this article helpful?" in text(client.get(url))
    token = csrf_token_from(client, url)
    response = client.post(url + "/feedback", data={"helpful": "ja", "csrf_token": token}, follow_redirects=True)
    assert "Thank you for your feedback!" in text(response)
    with site.app_context():
        vote = db.session.scalars(db.select(ArticleVote).where(ArticleVote.slug == "cancel-an-order")).one()
        assert (vote.lang, vote.helpful) == ("en", True)


def test_most_read_german_articles_are_offered_in_english_to_english_visitors(site):
    from tests.conftest import csrf_token_from

    client = site.test_client()
    token = csrf_token_from(client)
    for _ in range(3):
        client.post("/api/articles/bestellung-stornieren/view", json={}, headers={"X-CSRFToken": token})
    client.get("/?lang=en")
    page = text(client.get("/"))
    popular = page[page.index('id="popular-title"'):]
    assert popular.index("Cancelling an order") < popular.index("</ol>")
    assert "Bestellung stornieren" not in popular and "Als Gast bestellen" not in popular
    german = text(client.get("/?lang=de"))
    assert "Bestellung stornieren" in german[german.index('id="popular-title"'):]


def test_a_german_visitor_sees_english_only_articles_marked_instead_of_a_404(client):
    page = text(client.get("/hilfe/help"))
    assert '<html lang="de">' in page
    assert re.search(r'<a href="/hilfe/help/track-your-order" lang="en" hreflang="en">Track your order</a> '
                     r'<span class="language-marker">\(auf Englisch\)</span>', page)
    article = text(client.get("/hilfe/help/track-your-order"))
    assert "Diesen Artikel gibt es nur auf Englisch." in article
    assert '<article class="article" lang="en" data-article="track-your-order">' in article
