"""A callback is an appointment: its SLA runs from the booked slot (end plus the routing file's grace), the console
shows the slot ("Rückruf Fr 10:00–10:30") and 'Rückruf erledigt' is possible only from the slot's start."""
import datetime as dt

import pytest
from sqlalchemy import select, update

from app.cases.models import Case
from app.cases.routing import DEFAULT_FILE, RoutingConfigError, load_routing, parse_routing
from app.extensions import db
from tests.agent_helpers import (AGENT, NOW, agent_client, callback_case, clock,  # noqa: F401
                                 customer_client, open_case, post_json, shop)
from tests.conftest import csrf_token_from

# Booked on Monday 16 November 10:00 for Friday 20 November 10:00–10:30 (Hamburg).
FRIDAY_10 = "2026-11-20T10:00:00+01:00"


def console_row(client, number) -> str:
    page = client.get("/agent").get_data(as_text=True)
    callbacks = page.split("data-callbacks")[1].split("data-chats")[0]
    return callbacks.split(f'data-case="{number}"')[1].split("</tr>")[0]


def api_case(client, number, queue="rueckruf-1st-level") -> dict:
    cases = client.get(f"/api/agent/cases?queue={queue}").get_json()["cases"]
    return next(c for c in cases if c["case_number"] == number)


def test_a_callback_for_friday_is_not_overdue_on_thursday_and_shows_its_slot(shop, clock):
    number = open_case(customer_client(shop), callback_case(FRIDAY_10))
    agent = agent_client(shop)

    clock.advance(days=3, hours=8)  # Thursday 18:00: long past the queue's 240 minutes from the booking
    console = agent.get("/agent").get_data(as_text=True)
    assert "Frist: Ende des Termins + 15 Min." in console.split('data-queue="rueckruf-1st-level"')[1]
    row = console_row(agent, number)
    assert "Rückruf Fr 10:00–10:30" in row
    assert "überschritten" not in row and "überfällig" not in row and "SLA: noch" not in row
    found = api_case(agent, number)
    assert found["sla"]["state"] == "scheduled"
    assert found["sla"]["callback_start"] == "2026-11-20T09:00:00Z"
    assert found["sla"]["callback_end"] == "2026-11-20T09:30:00Z"
    assert found["sla_due_at"] == "2026-11-20T09:45:00Z"  # slot end plus 15 minutes' grace
    queues = {q["name"]: q for q in agent.get("/api/agent/queues").get_json()["queues"]}
    assert queues["rueckruf-1st-level"]["overdue"] == 0
    assert queues["rueckruf-1st-level"]["next_due_at"] == "2026-11-20T09:45:00Z"

    clock.advance(hours=16, minutes=10)  # Friday 10:10, inside the slot
    assert "Rückruf Fr 10:00–10:30 · jetzt anrufen" in console_row(agent, number)
    assert api_case(agent, number)["sla"] == {"state": "due", "minutes": 35, "callback_start": "2026-11-20T09:00:00Z",
                                               "callback_end": "2026-11-20T09:30:00Z"}

    clock.advance(minutes=36)  # Friday 10:46: one minute past slot end plus grace
    assert "Rückruf Fr 10:00–10:30 · überfällig seit 1 Min." in console_row(agent, number)
    queues = {q["name"]: q for q in agent.get("/api/agent/queues").get_json()["queues"]}
    assert queues["rueckruf-1st-level"]["overdue"] == 1


def test_cases_booked_before_the_rule_count_from_their_slot(shop, clock):
    number = open_case(customer_client(shop), callback_case(FRIDAY_10))
    with shop.app_context():  # as stored before: 240 minutes from the booking
        db.session.execute(update(Case).where(Case.number == number)
                           .values(sla_due_at=dt.datetime(2026, 11, 16, 13, 0)))
        db.session.commit()
    clock.advance(days=3)
    agent = agent_client(shop)
    assert api_case(agent, number)["sla"]["state"] == "scheduled"
    assert api_case(agent, number)["sla_due_at"] == "2026-11-20T09:45:00Z"
    assert "Rückruf Fr 10:00–10:30" in console_row(agent, number)


def test_new_callbacks_store_the_due_time_of_their_slot(shop):
    number = open_case(customer_client(shop), callback_case(FRIDAY_10))
    with shop.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case.sla_due_at == dt.datetime(2026, 11, 20, 9, 45)


def test_callback_done_is_refused_before_the_slot_starts(shop, clock):
    number = open_case(customer_client(shop), callback_case(FRIDAY_10))
    agent = agent_client(shop)
    clock.advance(days=4, minutes=-1)  # Friday 09:59
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    form = page.split(f"/anfrage/{number}/rueckruf")[1].split("</form>")[0]
    assert "Der Rückruf ist für Freitag, 20. November um 10:00 Uhr vereinbart." in form
    assert "disabled" in form.split('type="submit"')[1].split(">")[0]

    token = csrf_token_from(agent, f"/agent/anfrage/{number}")
    refused = agent.post(f"/agent/anfrage/{number}/rueckruf", data={"csrf_token": token, "outcome": "reached_solved"})
    assert refused.status_code == 302
    shown = agent.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Sie können ihn erst ab Beginn des Termins als erledigt eintragen." in shown
    answer = post_json(agent, f"/api/agent/cases/{number}/callback", {"outcome": "not_reached"})
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "too_early"
    assert "Freitag, 20. November um 10:00 Uhr" in answer.get_json()["error"]["message"]
    with shop.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case.status == "new" and case.first_response_at is None and not case.events

    clock.advance(minutes=1)  # Friday 10:00: the slot has begun
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    form = page.split(f"/anfrage/{number}/rueckruf")[1].split("</form>")[0]
    assert "vereinbart" not in form and "disabled" not in form
    done = post_json(agent, f"/api/agent/cases/{number}/callback", {"outcome": "reached_solved", "note": "Geklärt."})
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "resolved" and body["sla"]["state"] == "met"
    assert post_json(agent, f"/api/agent/cases/{number}/callback", {"outcome": "vielleicht"}).status_code == 422


def test_grace_comes_from_the_routing_file_and_is_checked():
    default = load_routing()
    assert default.grace_minutes == 15
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    custom = parse_routing(text.replace("grace_minutes = 15", "grace_minutes = 0"))
    start = dt.datetime(2026, 11, 20, 9, 0)
    assert custom.callback_due(start) == dt.datetime(2026, 11, 20, 9, 30)
    assert default.callback_due(start) == dt.datetime(2026, 11, 20, 9, 45)
    for bad in ("-5", "'15'", "1.5"):
        with pytest.raises(RoutingConfigError, match="grace_minutes"):
            parse_routing(text.replace("grace_minutes = 15", f"grace_minutes = {bad}"))
