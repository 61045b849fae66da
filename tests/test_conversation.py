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
    clock.advance(hours=1)  # the booked slot has begun: the call can be recorded
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


# --- "Meine Anfragen" and the customer's case page ---------------------------------------------------------------

def reply_form(client, number, body, files=None, submission_id="s-0000000001"):
    token = csrf_token_from(client, f"/kontakt/anfrage/{number}")
    data = {"csrf_token": token, "body": body, "submission_id": submission_id}
    if files:
        data["attachments"] = files
    return client.post(f"/kontakt/anfrage/{number}/antwort", data=data, content_type="multipart/form-data")


def test_my_cases_lists_every_case_of_the_customer_newest_activity_first(shop, clock):
    kim = customer_client(shop)
    older = open_case(kim, email_case(message="Die erste Frage, bitte."))
    clock.advance(minutes=10)
    newer = open_case(kim, email_case(message="Die zweite Frage, bitte."))
    open_case(customer_client(shop, "jan.ode@example.com"), email_case(message="Jans eigene Frage."))
    page = kim.get("/konto/anfragen").get_data(as_text=True)
    assert page.index(f"Anfrage {newer}") < page.index(f"Anfrage {older}")
    assert "Eingegangen" in page and "Letzte Aktivität" in page and page.count('data-case="') == 2
    clock.advance(minutes=10)
    form_post(agent_client(shop), older, "antwort", subject="", body="Hier die Antwort.")
    page = kim.get("/konto/anfragen").get_data(as_text=True)
    assert page.index(f"Anfrage {older}") < page.index(f"Anfrage {newer}")
    assert "In Bearbeitung" in page
    assert 'href="/konto/anfragen"' in kim.get("/konto").get_data(as_text=True)
    assert shop.test_client().get("/konto/anfragen").status_code == 302


def test_case_page_shows_the_public_thread_and_the_customer_replies(shop, clock):
    import io

    from tests.test_uploads import PNG

    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Wo bleibt mein Paket?"))
    form_post(agent, number, "notiz", note="Nur intern: Lager fragen.")
    form_post(agent, number, "antwort", subject="", body="Hallo Kim, es kommt morgen.")
    page = kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert "Wo bleibt mein Paket?" in page and "Hallo Kim, es kommt morgen." in page
    assert "Lager fragen" not in page
    assert "Sie erhalten unsere Antwort per E-Mail bis" not in page  # answered: the promise is past
    sent = reply_form(kim, number, "Danke, Karte 4111 1111 1111 1111 bitte nicht belasten.",
                      files=[(io.BytesIO(PNG), "paket.png")])
    assert sent.status_code == 302
    again = reply_form(kim, number, "Danke, Karte 4111 1111 1111 1111 bitte nicht belasten.",
                       files=[(io.BytesIO(PNG), "paket.png")])  # the same submission a second time
    assert again.status_code == 302
    page = kim.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Danke! Ihre Nachricht ist bei uns." in page
    assert page.count("bitte nicht belasten") == 1 and "411111******1111" in page and "4111 1111 1111 1111" not in page
    assert "paket.png" in page
    other = reply_form(kim, number, "<script>", files=[(io.BytesIO(b"<script>"), "x.jpg")], submission_id="s-2")
    # A file that is no photo is refused at the field, and nothing is added to the thread.
    assert other.status_code == 422 and other.get_data(as_text=True).count('data-from="customer"') == 2
    empty = reply_form(kim, number, "   ", submission_id="s-3")
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert customer_client(shop, "jan.ode@example.com").get(f"/kontakt/anfrage/{number}").status_code == 404
    assert reply_form(customer_client(shop, "jan.ode@example.com"), number, "Hallo").status_code in (400, 404)


def test_reply_to_a_resolved_case_reopens_it_within_14_days_and_starts_a_linked_case_after(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Frage zur Lieferung."))
    form_post(agent, number, "erledigen", outcome="information")
    page = kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert "Anfrage erledigt" in page and "öffnen wir sie wieder" in page
    assert "Sie erhalten unsere Antwort" not in page
    clock.advance(days=13)
    reply_form(kim, number, "Doch noch eine Frage.")
    assert shop_case(shop, number).status == "open"
    assert "Anfrage wieder geöffnet" in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    form_post(agent, number, "erledigen", outcome="information")
    clock.advance(days=15)
    sent = reply_form(kim, number, "Und noch etwas, viel später.", submission_id="s-later")
    new_number = sent.headers["Location"].rsplit("/", 1)[1]
    assert new_number != number and shop_case(shop, number).status == "resolved"
    page = kim.get(sent.headers["Location"]).get_data(as_text=True)
    assert "war schon länger erledigt" in page and f"Anfrage {number}" in page
    assert "Und noch etwas, viel später." in page
    assert f"Anfrage {new_number}" in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert shop_case(shop, new_number).status == "new"


def test_a_done_callback_is_not_promised_any_more(shop, clock):
    from tests.test_agent import SLOT_11

    kim = customer_client(shop)
    number = open_case(kim, callback_case(SLOT_11))
    assert "Wir rufen Sie am" in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    clock.advance(minutes=65)  # within the slot: still promised until the call is recorded
    assert "Wir rufen Sie am" in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    form_post(agent_client(shop), number, "rueckruf", outcome="not_reached")
    page = kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert "Wir rufen Sie am" not in page and "Wir haben Sie leider nicht erreicht." in page


def shop_case(app, number):
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


# --- the API --------------------------------------------------------------------------------------------------

def post_message(client, number, body, key=None):
    from tests.conftest import api_token

    headers = {"X-CSRFToken": api_token(client)}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/cases/{number}/messages", json=body, headers=headers)


def test_api_case_has_status_and_messages_and_the_customer_can_reply_once_per_key(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Frage per API."))
    form_post(agent, number, "notiz", note="intern")
    form_post(agent, number, "antwort", subject="", body="Antwort per E-Mail.")
    detail = kim.get(f"/api/cases/{number}").get_json()
    assert detail["status"] == "open" and detail["case_number"] == number
    assert [(m["from"], m["body"]) for m in detail["messages"]] == [("customer", "Frage per API."),
                                                                     ("agent", "Antwort per E-Mail.")]
    assert set(detail["messages"][0]) == {"id", "from", "body", "created_at", "attachments"}
    first = post_message(kim, number, {"body": "Danke, Karte 4111111111111111"}, key="reply-key-1")
    twin = post_message(kim, number, {"body": "Danke, Karte 4111111111111111"}, key="reply-key-1")
    assert first.status_code == 201 and twin.status_code == 200
    assert first.get_json()["id"] == twin.get_json()["id"] and first.get_json()["from"] == "customer"
    assert first.get_json()["body"] == "Danke, Karte 411111******1111"
    assert post_message(kim, number, {"body": "Anders"}, key="reply-key-1").status_code == 422
    assert len(kim.get(f"/api/cases/{number}").get_json()["messages"]) == 3
    jan = customer_client(shop, "jan.ode@example.com")
    assert post_message(jan, number, {"body": "Ich auch"}).status_code == 404
    assert jan.get(f"/api/cases/{number}").status_code == 404
    assert post_message(kim, number, {"body": ""}).status_code == 422


def test_api_reply_with_attachments_and_409_while_the_chat_runs(shop, clock):
    import io

    from tests.conftest import api_token
    from tests.test_uploads import PNG

    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Foto folgt."))
    sent = kim.post(f"/api/cases/{number}/messages", headers={"X-CSRFToken": api_token(kim)},
                    data={"body": "Hier das Foto.", "attachments": [(io.BytesIO(PNG), "riss.png")]},
                    content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_json()
    assert [a["filename"] for a in sent.get_json()["attachments"]] == ["riss.png"]
    fake = kim.post(f"/api/cases/{number}/messages", headers={"X-CSRFToken": api_token(kim)},
                    data={"body": "Noch eins.", "attachments": [(io.BytesIO(b"<script>"), "x.png")]},
                    content_type="multipart/form-data")
    assert fake.status_code == 422 and "attachments" in fake.get_json()["error"]["fields"]
    post_json(agent, "/api/agent/presence", {"status": "online"})
    chat = open_case(kim, email_case(channel="chat", message="Chat bitte"))
    refused = post_message(kim, chat, {"body": "Hallo"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "chat_running"


def test_openapi_describes_the_conversation(shop):
    spec = shop.test_client().get("/api/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/cases/{number}/messages"]
    detail = spec["components"]["schemas"]["CaseDetail"]["properties"]
    assert {"status", "messages"} <= set(detail)


# --- the agent side ------------------------------------------------------------------------------------------

def test_agent_sees_the_thread_with_new_customer_messages_marked_and_the_case_back_in_its_queue(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Erste Frage."))
    form_post(agent, number, "antwort", subject="", body="Erste Antwort.")
    form_post(agent, number, "erledigen", outcome="information")
    queue = shop_case(shop, number).queue
    assert number not in agent.get(f"/api/agent/cases?queue={queue}").get_data(as_text=True)
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert "Erste Antwort." in page and "data-new" not in page
    clock.advance(days=2)
    assert reply_form(kim, number, "Es hat doch nicht geklappt.").status_code == 302
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    thread = page.split('data-thread>')[1].split("</section>")[0]
    assert "1 neue Kundennachricht" in thread
    new = thread.split("data-new")[1]
    assert "Es hat doch nicht geklappt." in new.split("</li>")[0] and "Neu" in new.split("</li>")[0]
    assert "Anfrage wieder geöffnet" in thread
    listed = agent.get(f"/api/agent/cases?queue={queue}").get_json()["cases"]
    assert [(c["case_number"], c["status"]) for c in listed] == [(number, "open")]
    form_post(agent, number, "antwort", subject="", body="Zweite Antwort.")
    assert "data-new" not in agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)


def test_agent_api_reply_is_personal_mail_with_the_case_number_and_in_the_customers_thread(shop, clock):
    import json

    from app.outbox.models import OutboxMessage
    from app.outbox.transports import Envelope, build_email

    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Frage an die API."))
    answered = post_json(agent, f"/api/agent/cases/{number}/reply", {"subject": "Ihr Paket", "body": "Es ist da."})
    assert answered.status_code == 201, answered.get_json()
    assert answered.get_json()["from"] == "agent" and answered.get_json()["body"] == "Es ist da."
    with shop.app_context():
        mails = {m.dedupe_key.split(":")[0]: m for m in db.session.scalars(select(OutboxMessage))}
        reply, ack = mails["case-reply"], mails["case-ack"]
        assert reply.subject == f"Ihr Paket [Anfrage {number}]"
        envelope = lambda m: Envelope(id=m.id, kind=m.kind, recipient=m.recipient, subject=m.subject,  # noqa: E731
                                      body=m.body, headers=json.loads(m.headers) if m.headers else {},
                                      created_at=m.created_at, attempts=0)
        assert build_email(envelope(reply), "service@example.com", clock())["Auto-Submitted"] is None
        assert build_email(envelope(ack), "service@example.com", clock())["Auto-Submitted"] == "auto-generated"
    thread = kim.get(f"/api/cases/{number}").get_json()["messages"]
    assert [(m["from"], m["body"]) for m in thread][-1] == ("agent", "Es ist da.")
    assert post_json(kim, f"/api/agent/cases/{number}/reply", {"body": "Hallo Kim"}).status_code == 403
    assert post_json(agent, "/api/agent/cases/NL-0000-000000/reply", {"body": "Hallo Kim"}).status_code == 404
    post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "information"})
    assert post_json(agent, f"/api/agent/cases/{number}/reply", {"body": "Nachtrag"}).status_code == 409
