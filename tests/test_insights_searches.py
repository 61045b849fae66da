"""The searches and content-gaps reports: exact figures from inserted searches and cases, the trend against the
previous range, the visit and clicked position recorded where searches and clicks happen, masked text, CSV."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.insights.models import SearchLog
from tests.agent_helpers import email_case, open_case
from tests.insights_helpers import insights, moment, signed_in  # noqa: F401 - insights is a fixture
from tests.test_privacy import make_case

# Monday to Sunday; the previous range is the week before.
RANGE = "from=2026-11-02&to=2026-11-08"
MON, TUE, SUN = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 8)
BEFORE = dt.date(2026, 10, 28)


def _search(query, results, at, clicked=None, position=None, visit=None, lang="de"):
    db.session.add(SearchLog(query=query, lang=lang, result_count=results, clicked_slug=clicked,
                             clicked_position=position, visit=visit, created_at=at))


def _week_of_searches(app):
    with app.app_context():
        _search("Rechnung", 2, moment(MON, 9), clicked="rechnung", position=2)
        _search("rechnung", 2, moment(MON, 10), clicked="rechnung", position=1)
        _search("Rechnung ", 2, moment(TUE, 10))
        _search("Gutschein", 0, moment(TUE, 11), visit="v1")
        _search("Gutschein", 0, moment(SUN, 23, 30))
        _search("Paket weg", 3, moment(SUN, 8))
        _search("Retoure", 1, moment(TUE, 9), clicked="retoure", position=1, visit="v2")
        make_case(visit="v1", created_at=moment(TUE, 11, 30))  # 30 minutes after the search: counted
        make_case(visit="v2", created_at=moment(TUE, 12, 1))  # three hours after: another matter
        # Outside: the Monday after (00:30 Berlin is still Sunday in UTC), and the week before.
        _search("Gutschein", 0, moment(SUN + dt.timedelta(days=1), 0, 30))
        _search("Rechnung", 2, moment(BEFORE, 10))
        for hour in range(9, 13):
            _search("Gutschein", 0, moment(BEFORE, hour))
        _search("Versand", 1, moment(MON - dt.timedelta(days=1), 23, 30), clicked="versand", position=3)
        db.session.commit()


def test_the_searches_report_counts_the_range_and_compares_with_the_week_before(insights):
    _week_of_searches(insights)
    answer = signed_in(insights, "editor").get(f"/api/insights/searches?{RANGE}").get_json()
    assert (answer["from"], answer["to"], answer["previous_from"], answer["previous_to"]) == (
        "2026-11-02", "2026-11-08", "2026-10-26", "2026-11-01")
    f = answer["figures"]
    assert f["searches"] == {"current": 7, "previous": 6, "change_percent": 16.7}
    assert f["without_result"] == {"current": 2, "previous": 4, "change_percent": -50.0}
    assert f["click_through"] == {"current": 60.0, "previous": 50.0, "change_points": 10.0}
    assert f["average_position"] == {"current": 1.3, "previous": 3.0, "change_percent": -56.7}
    assert f["followed_by_contact"] == {"current": 1, "previous": 0, "change_percent": None}
    assert f["per_day"][0] == ["2026-11-02", 2] and f["per_day"][1] == ["2026-11-03", 3]
    assert f["per_day"][6] == ["2026-11-08", 2] and len(f["per_day"]) == 7
    assert [(r["query"], r["searches"], r["trend"]["previous"]) for r in f["top"]] == [
        ("Rechnung", 3, 1), ("Gutschein", 2, 4), ("Paket weg", 1, 0), ("Retoure", 1, 0)]
    assert [r["click_through"] for r in f["top"]] == [66.7, None, 0.0, 100.0]
    assert [r["query"] for r in f["no_result"]] == ["Gutschein"]
    assert [r["query"] for r in f["no_click"]] == ["Paket weg"]  # at "Rechnung" somebody opened something
    assert [(r["query"], r["followed_by_contact"]) for r in f["contacted"]] == [("Gutschein", 1)]


def test_content_gaps_merge_no_result_nothing_opened_and_contacted_most_unhelped_first(insights):
    _week_of_searches(insights)
    answer = signed_in(insights, "editor").get(f"/api/insights/content-gaps?{RANGE}").get_json()
    gaps = [(g["query"], g["unhelped"], g["searches"], g["without_result"], g["without_click"],
             g["followed_by_contact"], g["trend"]["previous"]) for g in answer["figures"]["gaps"]]
    assert gaps == [("Gutschein", 2, 2, 2, 0, 1, 4), ("Rechnung", 1, 3, 0, 1, 0, 1), ("Paket weg", 1, 1, 0, 1, 0, 0)]


def test_the_page_links_each_gap_to_a_new_article_with_the_query(insights):
    _week_of_searches(insights)
    html = signed_in(insights, "editor").get(f"/redaktion/einblicke?{RANGE}").get_data(as_text=True)
    row = re.search(r'<tr data-gap="Paket weg">(.*?)</tr>', html, re.S).group(1)
    assert 'href="/redaktion/artikel/neu?titel=Paket+weg">Artikel schreiben' in row
    assert re.search(r"<td data-no-click>1</td><td data-contact>0</td>", row)
    assert 'data-figure="searches"><span class="meta">Suchen</span>' in html
    # A share changes by points, a count by percent.
    assert re.search(r'data-figure="click_through">.*?<span class="figure-value" data-value>60.0 %</span>\s*'
                     r'<span class="trend-up">▲ \+10.0 Pkt. ', html, re.S)
    assert re.search(r'data-figure="searches">.*?data-value>7</span>\s*<span class="trend-up">▲ \+16.7 % ', html, re.S)
    assert "<svg class=\"chart\"" in html and " style=" not in html and "<script>" not in html
    # The chart's data for screen readers: one row per day.
    table = re.search(r'<table class="visually-hidden" data-table="searches-days">(.*?)</table>', html, re.S).group(1)
    assert table.count("<tr>") == 8  # header + 7 days


def test_search_page_click_and_contact_in_one_visit_are_recorded(insights, monkeypatch):
    client = insights.test_client()
    html = client.get("/suche?q=Sendungsverfolgung").get_data(as_text=True)
    link = re.search(r'href="(/hilfe/[^"]+\?sid=(\d+)&amp;pos=1)"', html)
    assert link, "the first result links with its search and position"
    article = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'data-search-id="{link.group(2)}" data-search-position="1"' in article
    slug = re.search(r'data-article="([^"]+)"', article).group(1)
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post(f"/api/articles/{slug}/view", json={"search_id": int(link.group(2)), "position": 1},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 204
    number = open_case(client, email_case(name="Kim Berg", email="kim.berg@example.com"))
    with insights.app_context():
        logged = db.session.get(SearchLog, int(link.group(2)))
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert (logged.clicked_slug, logged.clicked_position) == (slug, 1)
        assert logged.visit and case.visit == logged.visit


def test_typeahead_clicks_keep_their_position(insights):
    client = insights.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post("/api/articles/sendungsverfolgung/view", json={"query": "paket", "position": 3},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 204
    with insights.app_context():
        logged = db.session.scalar(select(SearchLog))
        assert (logged.source, logged.clicked_position, logged.query) == ("typeahead", 3, "paket")


def test_no_email_or_order_number_reaches_the_insights(insights):
    client = insights.test_client()
    client.get("/suche?q=anna.schmidt@example.com Bestellung 100234 Retoure")
    with insights.app_context():
        assert db.session.scalar(select(SearchLog.query)) == "[E-Mail] Bestellung [Nummer] Retoure"
    editor = signed_in(insights, "editor")
    for body in (editor.get("/api/insights/content-gaps").get_data(as_text=True),
                 editor.get("/api/insights/searches").get_data(as_text=True),
                 editor.get("/redaktion/einblicke").get_data(as_text=True)):
        assert "anna" not in body and "100234" not in body
        assert "[E-Mail] Bestellung [Nummer] Retoure" in body


def test_the_csv_of_a_table_is_for_german_excel_and_neutralises_formulas(insights):
    with insights.app_context():
        _search("=1+1", 0, moment(TUE, 10))
        _search("Gutschein", 0, moment(TUE, 11))
        _search("Gutschein", 0, moment(TUE, 12))
        db.session.commit()
    response = signed_in(insights, "editor").get(f"/redaktion/einblicke/content-gaps/luecken.csv?{RANGE}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="content-gaps-luecken-2026-11-02-2026-11-08.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffSuchbegriff;Sprache;Suchen;Vorzeitraum;Nicht geholfen;Ohne Treffer;"
                           "Nichts geöffnet;Danach Kontakt\r\n")
    assert text.split("\r\n")[1:] == ["Gutschein;de;2;0;2;2;0;0", "'=1+1;de;1;0;1;1;0;0", ""]
