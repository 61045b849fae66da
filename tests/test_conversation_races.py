"""Parallel replies to one case, from real threads (PostgreSQL shows the races SQLite hides): one message per
Idempotency-Key, and a case resolved long ago gets one follow-up case, not one per reply."""
import datetime as dt

from sqlalchemy import select

from app.cases.models import Case, CaseMessage
from app.extensions import db
from tests.test_concurrency import NOW, THREADS, count, race, shop, signed_in, users  # noqa: F401


def _case(app, **values) -> str:
    with app.app_context():
        from app.accounts.models import User

        kim = db.session.scalar(select(User).where(User.email == "kim.berg@example.com"))
        case = Case(number="NL-2026-000900", topic="sonstiges", message="Alte Frage", channel="email",
                    queue="email", priority="normal", sla_due_at=dt.datetime(2026, 10, 1), contact_name="Kim",
                    contact_email="kim.berg@example.com", user_id=kim.id, customer_id=kim.customer_id,
                    created_at=dt.datetime(2026, 10, 1), **values)
        db.session.add(case)
        db.session.commit()
        return case.number


def _reply(app, number, body, key=None):
    def prepare(i):
        client, headers = signed_in(app)
        if key:
            headers = {**headers, "Idempotency-Key": key}

        def fire():
            response = client.post(f"/api/cases/{number}/messages", json={"body": f"{body} {'' if key else i}"},
                                   headers=headers)
            return response.status_code, response.get_json()
        return fire
    return prepare


def test_parallel_retries_of_one_reply_store_one_message(shop, users):
    number = _case(shop, status="open")
    results = race(THREADS, _reply(shop, number, "Dieselbe Nachricht", key="one-reply-key"))
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201]
    assert len({body["id"] for _, body in results}) == 1
    assert count(shop, CaseMessage, CaseMessage.author == "customer", CaseMessage.channel == "web") == 1


def test_parallel_replies_to_a_long_resolved_case_open_one_follow_up(shop, users):
    number = _case(shop, status="resolved", resolved_at=(NOW - dt.timedelta(days=30)).replace(tzinfo=None))
    results = race(THREADS, _reply(shop, number, "Noch eine Frage"))
    assert sorted(status for status, _ in results) == [201] * THREADS
    assert count(shop, Case) == 2
    assert count(shop, CaseMessage, CaseMessage.event == "follow_up") == 1
