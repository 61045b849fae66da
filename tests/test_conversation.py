"""One conversation per case (DESIGN.md "One timeline per case"): the case_message stream, its backfill from
where history was stored before, and every writer (form, agent reply, note, callback, resolve, chat) in it."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.cases.conversation import thread_for_agent, thread_for_customer
from app.cases.models import Case, CaseMessage
from app.extensions import db
from tests.agent_helpers import (agent_client, callback_case, clock, customer_client, email_case,  # noqa: F401
                                 open_case, post_json, shop)
from tests.conftest import FIXTURE_CONTENT, _base_config, csrf_token_from


def form_post(client, number, action, **data):
    token = csrf_token_from(client, f"/agent/anfrage/{number}")
    return client.post(f"/agent/anfrage/{number}/{action}", data={"csrf_token": token, **data})


def stream(app, number, public_only=False):
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        thread = thread_for_customer(case) if public_only else thread_for_agent(case)
        return [(m.author, m.channel, m.visibility, m.event, m.outcome, m.body) for m in thread]


def test_every_writer_adds_to_the_one_stream_and_the_customer_sees_only_the_public_part(shop, clock):
    number = open_case(customer_client(shop), email_case(message="Wo ist mein Paket? Karte 4111 1111 1111 1111"))
    agent = agent_client(shop)
    clock.advance(minutes=5)
    form_post(agent, number, "notiz", note="Kundin wirkt verärgert.")
    clock.advance(minutes=5)
    form_post(agent, number, "antwort", subject="", body="Hallo Kim, es ist unterwegs.")
    clock.advance(minutes=5)
    form_post(agent, number, "erledigen", outcome="information", note="Sendung geprüft")
    clock.advance(minutes=5)
    form_post(agent, number, "wieder-oeffnen", note="")
    assert stream(shop, number) == [
        ("customer", "form", "public", "opened", None, "Wo ist mein Paket? Karte 411111******1111"),
        ("agent", "web", "internal", None, None, "Kundin wirkt verärgert."),
        ("agent", "email", "public", None, None, "Hallo Kim, es ist unterwegs."),
        ("system", "web", "public", "resolved", "information", ""),
        ("agent", "web", "internal", None, None, "Sendung geprüft"),
        ("system", "web", "public", "reopened", None, ""),
    ]
    assert [m[-1] for m in stream(shop, number, public_only=True)] == [
        "Wo ist mein Paket? Karte 411111******1111", "Hallo Kim, es ist unterwegs.", "", ""]


def test_callback_outcome_is_public_and_the_agents_words_about_it_internal(shop, clock):
    from tests.test_agent import SLOT_11

    number = open_case(customer_client(shop), callback_case(SLOT_11))
    form_post(agent_client(shop), number, "rueckruf", outcome="not_reached", note="Mailbox")
    assert stream(shop, number)[1:] == [("agent", "phone", "public", "callback_done", "not_reached", ""),
                                        ("agent", "web", "internal", None, None, "Mailbox")]


def test_chat_lines_are_messages_of_the_case(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    post_json(agent, "/api/agent/presence", {"status": "online"})
    number = open_case(kim, email_case(channel="chat", message="Chat bitte"))
    assert post_json(kim, f"/kontakt/anfrage/{number}/chat", {"body": "Hallo?"}).status_code == 201
    assert post_json(agent, f"/api/agent/cases/{number}/chat", {"body": "Guten Tag!"}).status_code == 201
    assert [(m[0], m[1], m[-1]) for m in stream(shop, number)] == [
        ("customer", "form", "Chat bitte"), ("customer", "chat", "Hallo?"), ("agent", "chat", "Guten Tag!")]
    state = kim.get(f"/kontakt/anfrage/{number}/chat").get_json()
    assert [(m["sender"], m["body"]) for m in state["messages"]] == [("customer", "Hallo?"), ("agent", "Guten Tag!")]


def test_migration_backfills_existing_cases_replies_notes_callbacks_and_chats(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app(_base_config(url, FIXTURE_CONTENT, tmp_path / "index"))
    with app.app_context():
        upgrade(revision="0010")
        db.engine.dispose()
        t = "2026-11-16 09:{:02d}:00"
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO support_case (id, number, topic, message, channel, status, queue, priority, sla_due_at, "
                "verified, contact_name, contact_email, lang, created_at) VALUES (7, 'A-2026-000007', 'sonstiges', "
                "'Wo bleibt es?', 'chat', 'resolved', 'service', 'normal', :t, 0, 'Kim', 'kim@example.com', 'de', :t)"),
                {"t": t.format(0)})
            conn.execute(sa.text(
                "INSERT INTO case_attachment (case_id, filename, content_type, size, sha256, storage_name, created_at) "
                "VALUES (7, 'foto.png', 'image/png', 3, 'x', 'abc.png', :t)"), {"t": t.format(0)})
            for i, (kind, outcome, note) in enumerate([("claim", None, None), ("note", None, "intern"),
                                                       ("reply", None, "Antwort"),
                                                       ("callback_done", "reached_followup", "lief gut"),
                                                       ("resolve", "solved", None)], start=1):
                conn.execute(sa.text("INSERT INTO case_event (case_id, kind, outcome, note, created_at) "
                                     "VALUES (7, :k, :o, :n, :t)"), {"k": kind, "o": outcome, "n": note,
                                                                    "t": t.format(i * 2)})
            conn.execute(sa.text("INSERT INTO chat_message (case_id, sender, body, created_at) VALUES "
                                 "(7, 'customer', 'Hallo', :a), (7, 'agent', 'Hallo Kim', :b)"),
                         {"a": t.format(1), "b": t.format(3)})
        upgrade()
        db.engine.dispose()  # as tests/conftest.py does after migrating
        case = db.session.get(Case, 7)
        assert [(m.author, m.channel, m.visibility, m.event, m.outcome, m.body) for m in thread_for_agent(case)] == [
            ("customer", "form", "public", "opened", None, "Wo bleibt es?"),
            ("customer", "chat", "public", None, None, "Hallo"),
            ("agent", "chat", "public", None, None, "Hallo Kim"),
            ("agent", "web", "internal", None, None, "intern"),
            ("agent", "email", "public", None, None, "Antwort"),
            ("agent", "phone", "public", "callback_done", "reached_followup", ""),
            ("agent", "web", "internal", None, None, "lief gut"),
            ("system", "web", "public", "resolved", "solved", ""),
        ]
        assert [a.message.event for a in case.attachments] == ["opened"]
        assert db.session.scalar(select(sa.func.count()).select_from(CaseMessage)) == 8
        db.session.rollback()
        assert "chat_message" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
