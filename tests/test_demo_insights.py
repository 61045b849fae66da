"""`flask demo load` fills the insights: five weeks of searches, votes, cases with surveys and returns,
deterministic and relative to today; a reload on the same day adds nothing, a later day adds its days."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

import app.demo.loader as loader
from app.cases.models import Case
from app.extensions import db
from app.insights.models import ArticleVote, SearchLog
from app.returns.models import ReturnRequest
from tests.conftest import login

DAY = dt.date(2026, 11, 16)


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (SearchLog, ArticleVote, Case, ReturnRequest))


def test_the_demo_makes_every_insights_view_meaningful(app, monkeypatch):
    monkeypatch.setattr(loader, "shop_today", lambda: DAY)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "login lead     lead@example.com / demo-lead" in result.output
    client = app.test_client()
    assert login(client, "lead@example.com", "demo-lead").status_code == 302
    window = "from=2026-10-20&to=2026-11-16"
    searches = client.get(f"/api/insights/searches?{window}").get_json()["figures"]
    assert searches["searches"]["current"] > 300 and searches["followed_by_contact"]["current"] > 5
    assert 0 < searches["click_through"]["current"] < 100 and searches["average_position"]["current"] < 2
    gaps = [gap["query"] for gap in client.get(f"/api/insights/content-gaps?{window}").get_json()["figures"]["gaps"]]
    assert {"Gutschein einlösen", "Ratenzahlung", "Lieferung Schweiz"} <= set(gaps[:8])
    articles = client.get(f"/api/insights/articles?{window}").get_json()["figures"]
    assert articles["views"]["current"] > 100 and articles["comments"] and articles["suggested"]["current"] > 0
    service = client.get(f"/api/insights/service?{window}").get_json()["figures"]
    assert service["cases"]["current"] > 50 and service["csat_answers"] > 10 and service["nps_answers"] > 10
    assert service["chat_wait_minutes"]["count"] > 0 and service["callbacks"] > 0
    assert service["first_response_hours"]["median"] is not None
    returns = client.get(f"/api/insights/returns?{window}").get_json()["figures"]
    assert returns["returned"]["current"] > 5 and returns["reasons"] and returns["exchanges"]
    page = client.get(f"/agent/kennzahlen?{window}").get_data(as_text=True)
    assert page.count('<rect class="chart-bar"') == 3 * 28


def test_a_reload_on_the_same_day_adds_nothing_and_a_later_day_adds_that_day(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setattr(loader, "shop_today", lambda: DAY)
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = _counts(app)
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert _counts(app) == first
    monkeypatch.setattr(loader, "shop_today", lambda: DAY + dt.timedelta(days=1))
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        days = {moment.date() for moment in db.session.scalars(select(SearchLog.created_at))}
        latest = db.session.scalar(select(func.max(SearchLog.created_at)))
    assert latest.date() == DAY + dt.timedelta(days=1)
    assert len(days) in (36, 37)  # 35 days plus the new one (UTC dates of Berlin evenings may add one)
    assert _counts(app)[0] > first[0]
