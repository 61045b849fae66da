"""The service report (cases by topic, channel, queue, day; times in service hours; target; callbacks; chat
waits; CSAT and NPS) and the survey's optional recommendation question."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.cases.models import Case, CaseMessage
from app.extensions import db
from tests.conftest import csrf_token_from
from tests.insights_helpers import insights, moment, signed_in  # noqa: F401 - insights is a fixture
from tests.test_privacy import make_case

RANGE = "from=2026-11-02&to=2026-11-08"
MON, TUE, WED, FRI, SAT = (dt.date(2026, 11, d) for d in (2, 3, 4, 6, 7))
NEXT_MON, BEFORE = dt.date(2026, 11, 9), dt.date(2026, 10, 28)


def _message(case, at, channel, event=None, outcome=None):
    db.session.add(CaseMessage(case_id=case.id, author="agent", channel=channel, body="", event=event,
                               outcome=outcome, created_at=at))


def _service_week(app):
    with app.app_context():
        one = make_case(queue="email", created_at=moment(MON, 10), first_response_at=moment(MON, 12),
                        sla_due_at=moment(MON, 14), resolved_at=moment(MON, 16), survey_score=5, survey_nps=10,
                        survey_comment="Super, danke! Rückfragen an kim@example.com",
                        survey_answered_at=moment(TUE, 8))
        # Friday 19:00 → Monday 09:00: one hour on Friday, seven on Saturday, one on Monday.
        make_case(queue="email", created_at=moment(FRI, 19), first_response_at=moment(NEXT_MON, 9),
                  sla_due_at=moment(SAT, 10))
        chat = make_case(channel="chat", queue="chat", topic="lieferung-verspaetet", created_at=moment(TUE, 10),
                         first_response_at=moment(TUE, 10, 4), sla_due_at=moment(TUE, 10, 30),
                         resolved_at=moment(TUE, 10, 30), survey_score=4, survey_nps=8,
                         survey_answered_at=moment(WED, 8))
        _message(chat, moment(TUE, 10, 4), "chat")
        reached = make_case(channel="phone", queue="rueckruf-1st-level", created_at=moment(WED, 9),
                            sla_due_at=moment(WED, 12))
        _message(reached, moment(WED, 11), "phone", "callback_done", "reached_solved")
        missed = make_case(channel="phone", queue="rueckruf-1st-level", created_at=moment(WED, 9, 30),
                           first_response_at=moment(WED, 10), sla_due_at=moment(WED, 10, 30),
                           resolved_at=moment(WED, 12), survey_score=2, survey_nps=3, survey_comment="Zu langsam",
                           survey_answered_at=moment(FRI, 9))
        _message(missed, moment(WED, 10), "phone", "callback_done", "not_reached")
        _message(missed, moment(WED, 11), "phone", "callback_done", "not_reached")
        make_case(queue="email", created_at=moment(BEFORE, 10), first_response_at=moment(BEFORE, 11),
                  sla_due_at=moment(BEFORE, 12), survey_score=5, survey_answered_at=moment(BEFORE, 12))
        db.session.commit()
        return one.number


def test_the_service_report_in_service_hours(insights):
    number = _service_week(insights)
    body = signed_in(insights, "lead").get(f"/api/insights/service?{RANGE}").get_data(as_text=True)
    assert number not in body and "kim@example.com" not in body  # aggregates only, comments masked
    import json

    f = json.loads(body)["figures"]
    assert f["cases"] == {"current": 5, "previous": 1, "change_percent": 400.0}
    assert [(c["key"], c["count"]) for c in f["by_channel"]] == [("email", 2), ("phone", 2), ("chat", 1)]
    assert [(c["key"], c["label"], c["count"]) for c in f["by_topic"]] == [
        ("sonstiges", "Etwas anderes", 4), ("lieferung-verspaetet", "Lieferung verspätet", 1)]
    assert [(c["label"], c["count"]) for c in f["by_queue"]] == [
        ("E-Mail", 2), ("Rückruf 1st Level", 2), ("Chat", 1)]
    assert [d for d in f["per_day"] if d[1]] == [["2026-11-02", 1], ["2026-11-03", 1], ["2026-11-04", 2],
                                                 ["2026-11-06", 1]]
    assert f["first_response_hours"] == {"count": 4, "median": 1.2, "p90": 9.0}  # 0.07, 0.5, 2, 9 hours
    assert f["first_response_median"] == {"current": 1.2, "previous": 1.0, "change_percent": 20.0}
    assert f["resolution_hours"] == {"count": 3, "median": 2.5, "p90": 6.0}
    assert (f["target_met"]["current"], f["target_due"]) == (60.0, 5)
    assert (f["callbacks"], f["callbacks_reached"], f["callbacks_not_reached"]) == (2, 1, 1)
    assert f["callbacks_reached_share"]["current"] == 50.0
    assert f["chat_wait_minutes"] == {"count": 1, "median": 4.0, "p90": 4.0}
    assert f["csat"] == {"current": 66.7, "previous": 100.0, "change_points": -33.3}
    assert (f["csat_answers"], f["csat_average"]) == (3, 3.67)
    assert f["csat_scores"] == [[5, 1], [4, 1], [3, 0], [2, 1], [1, 0]]
    assert (f["nps"]["current"], f["nps_answers"]) == (0.0, 3)  # one promoter, one passive, one detractor
    assert [(c["score"], c["comment"]) for c in f["comments"]] == [
        (2, "Zu langsam"), (5, "Super, danke! Rückfragen an [E-Mail]")]


def test_the_lead_page_shows_the_service_figures(insights):
    _service_week(insights)
    html = signed_in(insights, "lead").get(f"/agent/kennzahlen?{RANGE}").get_data(as_text=True)
    assert re.search(r'data-figure="target_met">.*?data-value>60.0 %</span>', html, re.S)
    assert re.search(r'<tr data-time="first"><th scope="row">Erste Antwort</th><td>4</td><td>1.2 h</td>'
                     r'<td>9.0 h</td></tr>', html)
    assert '<tr data-key="chat"><th scope="row">Chat</th>' in html
    assert "Rückfragen an [E-Mail]" in html


def test_the_service_csv(insights):
    _service_week(insights)
    text = signed_in(insights, "admin").get(f"/agent/kennzahlen/service/zeiten.csv?{RANGE}").get_data(as_text=True)
    assert text.split("\r\n")[:4] == ["\ufeffKennzahl;Anzahl;Median;90. Perzentil",
                                      "Erste Antwort (Servicestunden);4;1.2;9.0",
                                      "Erledigung (Servicestunden);3;2.5;6.0",
                                      "Wartezeit im Chat (Minuten);1;4.0;4.0"]


def _survey_case(app):
    from app.agent.survey import survey_token

    with app.app_context():
        case = make_case(resolved_at=moment(MON, 12))
        db.session.commit()
        return case.number, survey_token(case)


def test_the_survey_asks_for_a_recommendation_when_switched_on(make_app, fixture_index):
    from tests.conftest import FIXTURE_CONTENT

    app = make_app(FIXTURE_CONTENT, fixture_index, HELPCENTER_SURVEY_NPS=True)
    number, token = _survey_case(app)
    client = app.test_client()
    html = client.get(f"/kontakt/umfrage/{token}").get_data(as_text=True)
    assert "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (optional)" in html
    assert 'value="10"' in html and 'value="0"' in html
    bad = client.post(f"/kontakt/umfrage/{token}", data={"score": "4", "recommend": "11",
                                                         "csrf_token": csrf_token_from(client, f"/kontakt/umfrage/{token}")})
    assert "Bitte wählen Sie einen Wert von 0 bis 10." in bad.get_data(as_text=True)
    done = client.post(f"/kontakt/umfrage/{token}", data={"score": "4", "recommend": "9",
                                                          "csrf_token": csrf_token_from(client, f"/kontakt/umfrage/{token}")})
    assert done.status_code == 200
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert (case.survey_score, case.survey_nps) == (4, 9)


def test_without_the_setting_the_survey_asks_one_question_and_keeps_no_recommendation(insights):
    number, token = _survey_case(insights)
    client = insights.test_client()
    assert "weiterempfehlen" not in client.get(f"/kontakt/umfrage/{token}").get_data(as_text=True)
    client.post(f"/kontakt/umfrage/{token}", data={"score": "5", "recommend": "10",
                                                   "csrf_token": csrf_token_from(client, f"/kontakt/umfrage/{token}")})
    with insights.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert (case.survey_score, case.survey_nps) == (5, None)


def test_service_time_skips_nights_weekends_and_public_holidays(insights):
    from app.cases.availability import service_time_between
    from app.insights.dates import BERLIN

    routing = insights.extensions["helpcenter.routing"]
    start = dt.datetime(2026, 12, 24, 19, 0, tzinfo=BERLIN)  # Thursday evening, then two public holidays
    end = dt.datetime(2026, 12, 28, 9, 0, tzinfo=BERLIN)
    assert service_time_between(routing, start, end, "HH") == dt.timedelta(hours=2)
    assert service_time_between(routing, end, start, "HH") == dt.timedelta(0)
    # Saturday has shorter hours (09–16): Friday 19:00 to Monday 09:00 is 1 + 7 + 1 hours.
    friday, monday = dt.datetime(2026, 11, 6, 19, tzinfo=BERLIN), dt.datetime(2026, 11, 9, 9, tzinfo=BERLIN)
    assert service_time_between(routing, friday, monday, "HH") == dt.timedelta(hours=9)
