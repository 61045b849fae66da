"""Every help page as a customer and a search engine see it."""
import re

import pytest

from app.extensions import db
from app.insights.models import ArticleVote
from tests.conftest import csrf_token_from


def text(response) -> str:
    return response.get_data(as_text=True)


def test_home_shows_search_flows_categories_and_most_read(client):
    page = text(client.get("/"))
    assert '<html lang="de">' in page
    assert 'role="search"' in page and 'name="q"' in page
    for label, href in [("Wo ist meine Bestellung?", "/sendungsverfolgung"), ("Artikel zurücksenden", "/retouren"),
                        ("Kontakt", "/kontakt")]:
        assert label in page and f'href="{href}"' in page
    assert "Alle Themen" in page and 'href="/hilfe/versand"' in page
    assert "Meistgelesen" in page
    # The search box comes before the guided flows and the categories.
    assert page.index('role="search"') < page.index("Wo ist meine Bestellung?") < page.index("Alle Themen")


def test_most_read_follows_the_counted_views(app, client):
    token = csrf_token_from(client)
    for _ in range(3):
        client.post("/api/articles/paypal/view", json={}, headers={"X-CSRFToken": token})
    client.post("/api/articles/rueckgabe/view", json={}, headers={"X-CSRFToken": token})
    page = text(client.get("/"))
    popular = page[page.index("Meistgelesen"):]
    assert popular.index("Bezahlen mit PayPal") < popular.index("Rückgabe innerhalb von 30 Tagen")


def test_footer_has_legal_links_and_configured_contact(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_SHOP_PHONE="0800 111 222", HELPCENTER_SHOP_EMAIL="hilfe@shop.example",
                   HELPCENTER_SHOP_NAME="Testladen", HELPCENTER_PRIVACY_URL="https://shop.example/datenschutz")
    page = text(app.test_client().get("/"))
    assert "0800 111 222" in page and 'href="tel:0800111222"' in page
    assert 'href="mailto:hilfe@shop.example"' in page
    assert 'href="/impressum"' in page and 'href="https://shop.example/datenschutz"' in page
    assert "Testladen" in page


def test_legal_pages(client):
    impressum = client.get("/impressum")
    assert impressum.status_code == 200 and "Musterstraße 1" in text(impressum)
    assert client.get("/datenschutz").status_code == 404  # neither configured nor written in this tree


def test_category_page_lists_its_articles_in_order(client):
    page = text(client.get("/hilfe/retouren"))
    titles = re.findall(r'<a href="/hilfe/retouren/[a-z-]+">([^<]+)</a>', page)
    assert titles == ["Etikett für Ihre Rücksendung drucken", "Rückgabe innerhalb von 30 Tagen",
                      "Rücksendung anmelden", "Was passiert nach dem Versand an uns?"]
    assert '<meta name="description" content="Zurücksenden und Umtausch.">' in page
    assert client.get("/hilfe/gibt-es-nicht").status_code == 404


def test_article_page(client):
    response = client.get("/hilfe/versand/sendungsverfolgung")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Die Sendungsverfolgung</h1>" in page
    assert '<meta name="description" content="Mit der Sendungsverfolgung sehen Sie jederzeit, wo Ihre Bestellung gerade ist.">' in page
    assert '<link rel="canonical" href="http://127.0.0.1:5000/hilfe/versand/sendungsverfolgung">' in page
    # breadcrumb, table of contents, related articles
    assert 'aria-label="Brotkrumen"' in page and '<a href="/hilfe/versand">Versand</a>' in page
    assert '<a href="#wo-finde-ich-die-sendungsverfolgung">Wo finde ich die Sendungsverfolgung?</a>' in page
    assert '<a href="/hilfe/versand/sendung-beschaedigt">Beschädigte Sendung</a>' in page
    assert "Aktualisiert am 1. Oktober 2026" in page
    assert "War dieser Artikel hilfreich?" in page
    assert "Problem nicht gelöst?" in page and 'href="/kontakt?article=sendungsverfolgung"' in page


def test_article_urls(client):
    assert client.get("/hilfe/versand/gibt-es-nicht").status_code == 404
    assert client.get("/hilfe/konto/entwurf").status_code == 404  # drafts are not served
    moved = client.get("/hilfe/zahlung/sendungsverfolgung")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/hilfe/versand/sendungsverfolgung")
    assert client.get("/hilfe").status_code == 301


def test_vote_with_comment_is_stored_once_per_visit(app, client):
    url = "/hilfe/zahlung/paypal"
    token = csrf_token_from(client, url)
    response = client.post(url + "/feedback", data={"helpful": "nein", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(url + "#feedback")
    page = text(client.get(url))
    assert "Vielen Dank für Ihr Feedback!" in page and "Was hat gefehlt?" in page
    # Clicking again (double submit or change of mind) keeps one vote.
    client.post(url + "/feedback", data={"helpful": "ja", "csrf_token": token})
    client.post(url + "/feedback", data={"comment": "Karte 4111111111111111 – Apple Pay fehlt", "csrf_token": token})
    page = text(client.get(url))
    assert "Vielen Dank für Ihren Hinweis!" in page
    assert 'name="comment"' not in page
    with app.app_context():
        votes = db.session.scalars(db.select(ArticleVote)).all()
        assert [(v.slug, v.helpful, v.comment) for v in votes] == [("paypal", True, "Karte 411111******1111 – Apple Pay fehlt")]


def test_vote_needs_csrf_and_a_valid_choice(app, client):
    url = "/hilfe/zahlung/paypal"
    assert client.post(url + "/feedback", data={"helpful": "ja"}).status_code == 400
    token = csrf_token_from(client, url)
    response = client.post(url + "/feedback", data={"helpful": "vielleicht", "csrf_token": token}, follow_redirects=True)
    assert "Bitte wählen Sie Ja oder Nein." in text(response)
    comment_first = client.post(url + "/feedback", data={"comment": "Hallo", "csrf_token": token}, follow_redirects=True)
    assert "Bitte bewerten Sie den Artikel zuerst" in text(comment_first)
    assert client.post("/hilfe/zahlung/gibt-es-nicht/feedback", data={"helpful": "ja", "csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.scalars(db.select(ArticleVote)).all() == []


def test_search_page_shows_highlighted_results_and_did_you_mean(client):
    page = text(client.get("/suche?q=Rechnug"))
    assert 'Meinten Sie <a href="/suche?q=Rechnung">Rechnung</a>?' in page
    assert '<a href="/hilfe/zahlung/rechnung?sid=' in page
    assert "<mark" in page
    assert '<meta name="robots" content="noindex">' in page


def test_search_page_without_results_offers_flows_and_contact(client):
    page = text(client.get("/suche?q=Drachenfutter"))
    assert "haben wir leider nichts gefunden" in page
    assert 'href="/sendungsverfolgung"' in page and 'href="/retouren"' in page
    assert 'href="/kontakt?frage=Drachenfutter"' in page and "Kontakt aufnehmen" in page


@pytest.mark.parametrize("q", ["", "   ", "x" * 201])
def test_search_page_bad_input_gets_a_message(client, q):
    response = client.get("/suche", query_string={"q": q})
    assert response.status_code == 400
    assert 'class="form-error"' in text(response)


def test_search_page_escapes_the_query(client):
    page = text(client.get("/suche", query_string={"q": '<script>alert(1)</script>'}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_english_is_selectable(client):
    page = text(client.get("/?lang=en"))
    assert '<html lang="en">' in page
    assert "How can we help you?" in page and "Where is my order?" in page
    assert "Help in English" in page  # category titles in English where the editor gave one
    # The choice sticks for the visit.
    assert '<html lang="en">' in text(client.get("/hilfe/help"))
    assert "Track your order" in text(client.get("/hilfe/help"))
    assert '<html lang="de">' in text(client.get("/?lang=de"))


def test_sitemap_and_robots(client):
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    body = text(sitemap)
    assert "<loc>http://127.0.0.1:5000/hilfe/versand/sendungsverfolgung</loc><lastmod>2026-10-01</lastmod>" in body
    assert "<loc>http://127.0.0.1:5000/hilfe/help/track-your-order</loc>" in body
    assert "entwurf" not in body
    robots = text(client.get("/robots.txt"))
    assert "Sitemap: http://127.0.0.1:5000/sitemap.xml" in robots and "Disallow: /api/" in robots


def test_theme_css_uses_configured_colours_and_rejects_injection(make_app, fixture_index):
    good = make_app(index_dir=fixture_index, HELPCENTER_PRIMARY_COLOR="#112233")
    assert "--brand:#112233" in text(good.test_client().get("/theme.css"))
    evil = make_app(index_dir=fixture_index, HELPCENTER_PRIMARY_COLOR="red;}body{display:none")
    assert "display:none" not in text(evil.test_client().get("/theme.css"))


def test_unknown_page_is_a_friendly_404_with_search(client):
    response = client.get("/gibt/es/nicht")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht (mehr)." in text(response) and 'role="search"' in text(response)
    assert client.get("/api/gibt-es-nicht").get_json()["error"]["code"] == "not_found"
