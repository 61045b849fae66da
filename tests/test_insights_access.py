"""Who sees the insights (pages, CSV, JSON API), the new team-lead role, and the date range rules."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.insights_helpers import insights, signed_in, today  # noqa: F401 - insights is a fixture

EDITOR_REPORTS = ("searches", "content-gaps", "articles")
LEAD_REPORTS = ("service", "returns")


def test_anonymous_visitors_sign_in_for_the_pages_and_get_401_from_the_api(insights):
    client = insights.test_client()
    for path in ("/redaktion/einblicke", "/agent/kennzahlen", "/agent/kennzahlen/service/tage.csv"):
        assert client.get(path).headers["Location"].startswith("/anmelden?next="), path
    answer = client.get("/api/insights/searches")
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/insights/no-such-report").status_code == 401


@pytest.mark.parametrize("role, editorial, lead", [
    ("customer", 403, 403), ("agent", 403, 403), ("editor", 200, 403), ("lead", 403, 200), ("admin", 200, 200)])
def test_each_role_sees_its_page(insights, role, editorial, lead):
    client = signed_in(insights, role)
    assert client.get("/redaktion/einblicke").status_code == editorial
    assert client.get("/agent/kennzahlen").status_code == lead


@pytest.mark.parametrize("role, allowed", [
    ("customer", ()), ("agent", ()), ("editor", EDITOR_REPORTS), ("lead", EDITOR_REPORTS + LEAD_REPORTS),
    ("admin", EDITOR_REPORTS + LEAD_REPORTS)])
def test_the_api_answers_each_role_only_its_reports(insights, role, allowed):
    client = signed_in(insights, role)
    for report in EDITOR_REPORTS + LEAD_REPORTS:
        answer = client.get(f"/api/insights/{report}")
        assert answer.status_code == (200 if report in allowed else 403), (role, report)
        if report not in allowed:
            assert answer.get_json()["error"]["code"] == "forbidden"
    unknown = client.get("/api/insights/nonsense")
    assert unknown.status_code == (404 if allowed else 403)


def test_the_lead_page_shows_all_five_reports_the_editors_page_three(insights):
    lead = signed_in(insights, "lead").get("/agent/kennzahlen").get_data(as_text=True)
    editor = signed_in(insights, "editor").get("/redaktion/einblicke").get_data(as_text=True)
    for name in EDITOR_REPORTS + LEAD_REPORTS:
        assert f'data-report="{name}"' in lead
        assert (f'data-report="{name}"' in editor) == (name in EDITOR_REPORTS)
    assert "<h1>Kennzahlen</h1>" in lead and "<h1>Einblicke</h1>" in editor


def test_an_editor_cannot_download_the_service_csv(insights):
    editor = signed_in(insights, "editor")
    assert editor.get("/agent/kennzahlen/service/tage.csv").status_code == 403
    assert editor.get("/redaktion/einblicke/service/tage.csv").status_code == 404
    assert editor.get("/redaktion/einblicke/searches/nope.csv").status_code == 404


def test_the_default_range_is_the_last_28_berlin_days(insights):
    answer = signed_in(insights, "editor").get("/api/insights/searches").get_json()
    last = today()
    assert answer["to"] == last.isoformat()
    assert answer["from"] == (last - dt.timedelta(days=27)).isoformat()
    assert answer["previous_to"] == (last - dt.timedelta(days=28)).isoformat()
    assert answer["previous_from"] == (last - dt.timedelta(days=55)).isoformat()


@pytest.mark.parametrize("query, field", [
    ("from=2026-13-01", "from"), ("from=01.12.2026", "from"), ("to=2026-02-30", "to"), ("from=1900-01-01", "from"),
    ("from=2026-12-02&to=2026-12-01", "to"), ("from=2025-01-01&to=2026-01-02", "to"),
])
def test_odd_ranges_are_one_422_in_the_api(insights, query, field):
    answer = signed_in(insights, "editor").get(f"/api/insights/searches?{query}")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_request" and field in error["fields"]


def test_a_control_character_is_refused_before_any_report_is_computed(insights):
    answer = signed_in(insights, "editor").get("/api/insights/searches?from=%00")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_characters"


def test_a_whole_year_and_a_single_day_are_fine(insights):
    client = signed_in(insights, "lead")
    year = client.get("/api/insights/service?from=2025-01-01&to=2026-01-01").get_json()  # 366 days
    assert (year["from"], year["to"]) == ("2025-01-01", "2026-01-01")
    assert len(year["figures"]["per_day"]) == 366
    day = client.get("/api/insights/service?from=2026-03-29&to=2026-03-29").get_json()  # the clocks go forward
    assert day["previous_from"] == day["previous_to"] == "2026-03-28"


def test_a_page_with_an_odd_range_shows_the_default_range_and_says_why(insights):
    page = signed_in(insights, "editor").get("/redaktion/einblicke?from=gestern&to=2026-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "data-range-notice>Bitte ein Datum im Format JJJJ-MM-TT angeben. Gezeigt werden die letzten 28 Tage." in html
    assert f'name="to" value="{today().isoformat()}"' in html


def test_the_team_lead_works_cases_like_an_agent(insights):
    lead = signed_in(insights, "lead")
    assert lead.get("/agent").status_code == 200
    home = lead.get("/", follow_redirects=False).get_data(as_text=True)
    assert 'href="/agent">Agenten</a>' in home
    from tests.conftest import login

    fresh = insights.test_client()
    assert login(fresh, "tara.lead@example.com").headers["Location"] == "/agent"


def test_admins_can_make_someone_team_lead_and_the_cli_knows_the_role(insights):
    result = insights.test_cli_runner().invoke(args=["users", "create", "neu@example.com", "--role", "lead"])
    assert result.exit_code == 0, result.output
    assert "Created lead account for neu@example.com" in result.output
    admin = signed_in(insights, "admin").get("/admin").get_data(as_text=True)
    assert '<option value="lead">Teamleitung</option>' in admin
    assert "Teamleitung" in admin


def test_the_console_and_the_editors_page_link_to_the_insights(insights):
    lead = signed_in(insights, "lead").get("/agent").get_data(as_text=True)
    assert '<a href="/agent/kennzahlen" data-insights-link>Kennzahlen</a>' in lead
    agent = signed_in(insights, "agent").get("/agent").get_data(as_text=True)
    assert "data-insights-link" not in agent
    editor = signed_in(insights, "editor").get("/redaktion").get_data(as_text=True)
    assert '<a class="button" href="/redaktion/einblicke" data-insights-link>Einblicke</a>' in editor
