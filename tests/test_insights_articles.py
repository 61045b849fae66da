"""The articles report: views, votes with masked comments, contacts after reading by topic, deflection — per
article and overall, against the week before."""
from __future__ import annotations

import datetime as dt
import re

from app.cases.models import ContactDeflection
from app.extensions import db
from app.insights.models import ArticleViewDay, ArticleVote
from tests.insights_helpers import insights, moment, signed_in  # noqa: F401 - insights is a fixture
from tests.test_privacy import make_case

RANGE = "from=2026-11-02&to=2026-11-08"
MON, TUE, SUN = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 8)
BEFORE = dt.date(2026, 10, 28)


def _vote(slug, helpful, at, comment=None):
    db.session.add(ArticleVote(slug=slug, lang="de", helpful=helpful, comment=comment, created_at=at, updated_at=at))


def _articles_week(app):
    with app.app_context():
        db.session.add_all([
            ArticleViewDay(slug="sendungsverfolgung", day=MON, views=5),
            ArticleViewDay(slug="sendungsverfolgung", day=SUN, views=3),
            ArticleViewDay(slug="sendungsverfolgung", day=BEFORE, views=4),
            ArticleViewDay(slug="sendungsverfolgung", day=SUN + dt.timedelta(days=1), views=10),
            ArticleViewDay(slug="rueckgabe", day=TUE, views=2),
        ])
        _vote("sendungsverfolgung", True, moment(MON, 10))
        _vote("sendungsverfolgung", True, moment(TUE, 10))
        _vote("sendungsverfolgung", False, moment(TUE, 11), "Meine Mail ist anna@example.com, Paket 100234 fehlt")
        _vote("rueckgabe", False, moment(SUN, 20), "Zu kurz erklärt")
        _vote("sendungsverfolgung", True, moment(BEFORE, 10))
        make_case(article_slug="sendungsverfolgung", topic="lieferung-verspaetet", created_at=moment(MON, 11))
        make_case(article_slug="sendungsverfolgung", topic="lieferung-verspaetet", created_at=moment(TUE, 11))
        make_case(article_slug="rueckgabe", topic="sonstiges", created_at=moment(TUE, 12))
        make_case(topic="sonstiges", created_at=moment(TUE, 12))  # not from an article
        for visit, converted in (("a", True), ("b", False), ("c", False)):
            db.session.add(ContactDeflection(visit=visit, slug="sendungsverfolgung", opened_at=moment(TUE, 9),
                                             converted=converted))
        db.session.add(ContactDeflection(visit="d", slug="rueckgabe", opened_at=moment(SUN, 9), converted=False))
        db.session.commit()


def test_the_articles_report_per_article_and_overall(insights):
    _articles_week(insights)
    f = signed_in(insights, "editor").get(f"/api/insights/articles?{RANGE}").get_json()["figures"]
    assert f["views"] == {"current": 10, "previous": 4, "change_percent": 150.0}
    assert f["helpful"]["current"] == 2 and f["not_helpful"]["current"] == 2
    assert f["helpful_share"] == {"current": 50.0, "previous": 100.0, "change_points": -50.0}
    assert f["contacts"] == {"current": 3, "previous": 0, "change_percent": None}
    assert (f["suggested"]["current"], f["deflected"]["current"], f["deflection_rate"]["current"]) == (4, 3, 75.0)
    rows = [(a["slug"], a["title"], a["views"]["current"], a["views"]["previous"], a["helpful"], a["not_helpful"],
             a["comments"], a["contacts"], a["suggested"], a["deflected"]) for a in f["articles"]]
    assert rows == [("sendungsverfolgung", "Die Sendungsverfolgung", 8, 4, 2, 1, 1, 2, 3, 2),
                    ("rueckgabe", "Rückgabe innerhalb von 30 Tagen", 2, 0, 0, 1, 1, 1, 1, 1)]
    assert [a["helpful_share"] for a in f["articles"]] == [66.7, 0.0]
    assert [(t["topic"], t["contacts"]) for t in f["contacts_by_topic"]] == [("lieferung-verspaetet", 2),
                                                                           ("sonstiges", 1)]
    assert [(c["slug"], c["helpful"], c["comment"], c["day"]) for c in f["comments"]] == [
        ("rueckgabe", False, "Zu kurz erklärt", "2026-11-08"),
        ("sendungsverfolgung", False, "Meine Mail ist [E-Mail], Paket [Nummer] fehlt", "2026-11-03")]
    assert f["views_per_day"][0] == ["2026-11-02", 5] and f["views_per_day"][6] == ["2026-11-08", 3]


def test_the_page_shows_the_articles_with_their_comments_masked(insights):
    _articles_week(insights)
    html = signed_in(insights, "editor").get(f"/redaktion/einblicke?{RANGE}").get_data(as_text=True)
    row = re.search(r'<tr data-article="sendungsverfolgung">(.*?)</tr>', html, re.S).group(1)
    assert "<th scope=\"row\">Die Sendungsverfolgung</th>" in row
    assert re.search(r"<td data-yes>2</td><td data-no>1</td><td data-contacts>2</td><td data-deflected>3 / 2</td>",
                     row)
    assert "Meine Mail ist [E-Mail], Paket [Nummer] fehlt" in html
    assert "anna@example.com" not in html and "100234" not in html


def test_the_articles_csv(insights):
    _articles_week(insights)
    text = signed_in(insights, "admin").get(f"/redaktion/einblicke/articles/artikel.csv?{RANGE}").get_data(
        as_text=True)
    assert text.split("\r\n")[:3] == [
        "\ufeffArtikel;Slug;Aufrufe;Vorzeitraum;Hilfreich: ja;Hilfreich: nein;Kommentare;Danach Kontakt;"
        "Als Vorschlag geöffnet;Ohne Anfrage geblieben",
        "Die Sendungsverfolgung;sendungsverfolgung;8;4;2;1;1;2;3;2",
        "Rückgabe innerhalb von 30 Tagen;rueckgabe;2;0;0;1;1;1;1;1"]
