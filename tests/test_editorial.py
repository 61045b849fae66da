"""The editors' start page /redaktion: articles per category and language with views and votes, and the
searches of the last 30 days that found nothing."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app.extensions import db
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog, utcnow
from tests.conftest import login

EDITOR = ("lena.text@example.com", "richtig-gutes-passwort")


@pytest.fixture
def editorial(make_app, make_user):
    # Admins use the page too; their second factor is not the subject here.
    app = make_app(HELPCENTER_STAFF_2FA="optional")
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    return app


def _editor(app):
    client = app.test_client()
    login(client, *EDITOR)
    return client


def _row(html: str, slug: str) -> str:
    return re.search(rf'<tr data-article="{slug}">(.*?)</tr>', html, re.S).group(1)


def test_anonymous_visitors_sign_in_customers_and_agents_are_refused(editorial, make_user):
    assert editorial.test_client().get("/redaktion").headers["Location"].startswith("/anmelden?next=/redaktion")
    assert editorial.test_client().get("/redaktion", headers={"Accept": "application/json"}).status_code == 401
    make_user()
    make_user(email="agent@example.com", role="agent")
    for email in ("kim.berg@example.com", "agent@example.com"):
        client = editorial.test_client()
        login(client, email)
        assert client.get("/redaktion").status_code == 403, email
    make_user(email="admin@example.com", role="admin")
    admin = editorial.test_client()
    login(admin, "admin@example.com")
    assert admin.get("/redaktion").status_code == 200


def test_an_editor_sees_each_category_per_language_with_views_and_votes(editorial):
    now = utcnow()
    with editorial.app_context():
        db.session.add_all([
            ArticleViewDay(slug="sendungsverfolgung", day=now.date(), views=7),
            ArticleViewDay(slug="sendungsverfolgung", day=(now - dt.timedelta(days=3)).date(), views=5),
            ArticleViewDay(slug="sendungsverfolgung", day=(now - dt.timedelta(days=40)).date(), views=100),
            ArticleVote(slug="sendungsverfolgung", lang="de", helpful=True),
            ArticleVote(slug="sendungsverfolgung", lang="de", helpful=True),
            ArticleVote(slug="sendungsverfolgung", lang="de", helpful=False),
            ArticleVote(slug="sendungsverfolgung", lang="de", helpful=False, created_at=now - dt.timedelta(days=60),
                        updated_at=now - dt.timedelta(days=60)),
        ])
        db.session.commit()
    page = _editor(editorial).get("/redaktion")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<h1>Redaktion</h1>" in html
    assert 'id="cat-versand-de">Versand <span class="meta">(DE)</span>' in html
    assert 'id="cat-help-en">Help in English <span class="meta">(EN)</span>' in html
    row = _row(html, "sendungsverfolgung")
    assert 'href="/hilfe/versand/sendungsverfolgung?lang=de">Die Sendungsverfolgung</a>' in row
    assert re.search(r"<td data-views>12</td><td data-yes>2</td><td data-no>1</td>", row)  # the last 30 days
    assert re.search(r"<td data-views>0</td><td data-yes>0</td><td data-no>0</td>", _row(html, "track-your-order"))
    assert 'data-article="entwurf"' not in html  # drafts are not published


def test_searches_without_results_are_counted_with_their_last_time_and_a_link(editorial):
    now = utcnow()
    with editorial.app_context():
        db.session.add_all([
            SearchLog(query="Gutschein einlösen", lang="de", result_count=0, created_at=now - dt.timedelta(days=2)),
            SearchLog(query="gutschein einlösen", lang="de", result_count=0, created_at=now - dt.timedelta(hours=1)),
            SearchLog(query="Gutschein einlösen", lang="de", result_count=0, created_at=now - dt.timedelta(days=31)),
            SearchLog(query="Ratenkauf", lang="de", result_count=0, created_at=now - dt.timedelta(days=5)),
            SearchLog(query="Sendung", lang="de", result_count=4, created_at=now),
            SearchLog(query="gift card", lang="en", result_count=0, created_at=now),
        ])
        db.session.commit()
    html = _editor(editorial).get("/redaktion").get_data(as_text=True)
    table = re.search(r"<table class=\"queue-table\" data-missed-searches>(.*?)</table>", html, re.S).group(1)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*<td>(\w+)</td>\s*<td>(\d+)</td>", table)
    # One row for both spellings, most asked first; the search 31 days ago is not counted.
    assert (rows[0][0].lower(), rows[0][1], rows[0][2]) == ("gutschein einlösen", "DE", "2")
    assert {row[0].lower() for row in rows} == {"gutschein einlösen", "ratenkauf", "gift card"} and len(rows) == 3
    assert "Sendung<" not in table  # found something
    assert 'href="/suche?q=gift+card&amp;lang=en"' in table


def test_without_any_searches_the_page_says_so(editorial):
    html = _editor(editorial).get("/redaktion").get_data(as_text=True)
    assert "blieb keine Suche ohne Treffer" in html


def test_editors_find_their_page_in_the_navigation(editorial):
    html = _editor(editorial).get("/").get_data(as_text=True)
    assert 'href="/redaktion">Redaktion</a>' in html and 'href="/agent">Agenten</a>' not in html
