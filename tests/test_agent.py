"""The agent console: access, queues and SLA timers, the case page with history and trail, suggestions,
reply templates, every action with its audit trail, the JSON API and the satisfaction survey."""
import datetime as dt
import json
import re
import threading

import pyotp
from sqlalchemy import func, select

from app.agent.actions import ActionRefused, claim
from app.agent.queues import sla_timer
from app.agent.replies import fill, placeholder_values, template
from app.agent.suggestions import suggest
from app.accounts.models import User
from app.cases.models import Case, CaseEvent
from app.cases.routing import load_routing
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ProductVariant, ReturnItem, ReturnRequest
from app.withdrawal.models import Withdrawal
from tests.agent_helpers import (AGENT, NOW, OTHER_AGENT, agent_client, api_token, callback_case,  # noqa: F401
                                 clock, customer_client, email_case, open_case, post_json, shop)
from tests.conftest import csrf_token_from, login
from tests.staff_helpers import give_second_factor, sign_in_with_code

SLOT_11 = "2026-11-16T11:00:00+01:00"
SLOT_12 = "2026-11-16T12:00:00+01:00"
SLOT_1430 = "2026-11-16T14:30:00+01:00"
ROUTING = load_routing()


def case_row(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def events_of(app, number) -> list[tuple]:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        return [(e.kind, e.outcome, e.actor.name if e.actor else None, e.note) for e in case.events]


def form_post(client, number, action, **data):
    token = csrf_token_from(client, f"/agent/anfrage/{number}")
    return client.post(f"/agent/anfrage/{number}/{action}", data={"csrf_token": token, **data})


# --- access -------------------------------------------------------------------------------------------------

def test_customers_get_403_anonymous_log_in_or_401(shop):
    number = open_case(customer_client(shop), email_case())
    anonymous = shop.test_client()
    page = anonymous.get("/agent")
    assert page.status_code == 302 and page.headers["Location"].startswith("/anmelden?next=/agent")
    assert anonymous.get(f"/agent/anfrage/{number}").status_code == 302
    assert anonymous.get("/api/agent/queues").status_code == 401
    assert anonymous.get("/api/agent/cases?queue=email").get_json()["error"]["code"] == "unauthorized"
    assert anonymous.post(f"/api/agent/cases/{number}/claim", headers={"X-CSRFToken": api_token(anonymous)}).status_code == 401

    kim = customer_client(shop)
    for url in ("/agent", f"/agent/anfrage/{number}", "/agent/warteschlange/email", "/api/agent/queues",
                "/api/agent/cases?queue=email"):
        assert kim.get(url).status_code == 403, url
    assert post_json(kim, f"/api/agent/cases/{number}/claim").status_code == 403
    assert post_json(kim, f"/api/agent/cases/{number}/resolve", {"outcome": "solved"}).status_code == 403
    assert "Agenten" not in kim.get("/").get_data(as_text=True)

    agent = agent_client(shop)
    assert agent.get("/agent").status_code == 200
    assert agent.get("/api/agent/queues").status_code == 200
    assert 'href="/agent">Agenten</a>' in agent.get("/").get_data(as_text=True)
    with shop.app_context():
        assert case_row(shop, number).status == "new"  # nothing the customer tried changed it


def test_admin_may_work_cases_editor_may_not(shop, make_user):
    make_user(email="admin@example.com", role="admin", name="Admin")
    make_user(email="editor@example.com", role="editor", name="Editor")
    admin, editor = shop.test_client(), shop.test_client()
    # Admins must use a second factor (HELPCENTER_STAFF_2FA unset): without one only its set-up opens.
    login(admin, "admin@example.com")
    assert admin.get("/api/agent/queues").get_json()["error"]["code"] == "second_factor_setup_required"
    secret = give_second_factor(shop, "admin@example.com")
    admin = shop.test_client()
    assert sign_in_with_code(admin, "admin@example.com", "richtig-gutes-passwort", pyotp.TOTP(secret).now()
                             ).status_code == 302
    login(editor, "editor@example.com")
    assert admin.get("/api/agent/queues").status_code == 200
    assert editor.get("/api/agent/queues").status_code == 403 and editor.get("/agent").status_code == 403


def test_state_changes_need_csrf(shop):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    assert agent.post(f"/api/agent/cases/{number}/claim").status_code == 400
    assert agent.post(f"/agent/anfrage/{number}/uebernehmen", data={}).status_code == 400
    assert agent.get(f"/api/agent/cases/{number}/claim").status_code == 405
    assert case_row(shop, number).assigned_to_id is None


# --- queues and SLA -----------------------------------------------------------------------------------------

def test_callbacks_are_ordered_by_their_slot_and_others_by_priority_then_due(shop, clock):
    kim = customer_client(shop)
    late = open_case(kim, callback_case(SLOT_1430))
    clock.advance(minutes=1)
    early = open_case(kim, callback_case(SLOT_11))
    clock.advance(minutes=1)
    middle = open_case(kim, callback_case(SLOT_12))
    guest = shop.test_client()
    low = open_case(guest, email_case(name="Gast", email="gast@example.com"))  # unverified: low priority
    clock.advance(minutes=1)
    normal = open_case(kim, email_case())
    clock.advance(minutes=1)
    high = open_case(kim, email_case("zahlung", message="Zahlung doppelt abgebucht, bitte prüfen."))
    with shop.app_context():
        db.session.execute(Case.__table__.update().where(Case.number == high).values(priority="high"))
        db.session.commit()

    agent = agent_client(shop)
    callbacks = agent.get("/api/agent/cases?queue=rueckruf-1st-level").get_json()
    assert [c["case_number"] for c in callbacks["cases"]] == [early, middle, late]
    assert callbacks["cases"][0]["callback_slot"] == "2026-11-16T10:00:00Z"
    emails = agent.get("/api/agent/cases?queue=email").get_json()["cases"]
    assert [c["case_number"] for c in emails] == [high, normal]
    assert [c["case_number"] for c in agent.get("/api/agent/cases?queue=unverifiziert").get_json()["cases"]] == [low]
    assert agent.get("/api/agent/cases?queue=gibtsnicht").status_code == 404

    page = agent.get("/agent").get_data(as_text=True)
    callbacks_section = page.split("data-callbacks")[1].split("data-chats")[0]
    assert callbacks_section.index(early) < callbacks_section.index(middle) < callbacks_section.index(late)


def test_queue_counts_oldest_waiting_and_sla_timers(shop, clock):
    kim = customer_client(shop)
    first = open_case(kim, email_case())
    clock.advance(hours=2)
    open_case(kim, email_case())
    agent = agent_client(shop)
    queues = {q["name"]: q for q in agent.get("/api/agent/queues").get_json()["queues"]}
    assert set(queues) == {"rueckruf-1st-level", "rueckruf-spezialisten", "email", "chat", "reklamationen",
                           "unverifiziert"}
    email = queues["email"]
    assert (email["count"], email["unclaimed"], email["overdue"]) == (2, 2, 0)
    assert email["oldest_created_at"] == "2026-11-16T09:00:00Z"
    # 1440 minutes of service time: Monday 10–20, Tuesday 8–20, Wednesday 8–10 (local).
    assert email["next_due_at"] == "2026-11-18T09:00:00Z" and email["sla_minutes"] == 1440
    assert queues["chat"]["channels"] == ["chat"] and queues["reklamationen"]["channels"] == ["phone", "email", "chat"]
    sla = agent.get("/api/agent/cases?queue=email").get_json()["cases"][0]["sla"]
    assert sla == {"state": "due", "minutes": 46 * 60, "callback_start": None, "callback_end": None}

    clock.advance(hours=47)  # Wednesday 11:00: one hour past the first case's 24 service hours
    queues = {q["name"]: q for q in agent.get("/api/agent/queues").get_json()["queues"]}
    assert queues["email"]["overdue"] == 1
    cases = agent.get("/api/agent/cases?queue=email").get_json()["cases"]
    assert cases[0]["case_number"] == first and cases[0]["sla"]["state"] == "overdue"
    assert cases[0]["sla"]["minutes"] == 60
    page = agent.get("/agent/warteschlange/email").get_data(as_text=True)
    assert "SLA überschritten seit 60 Min." in page
    assert agent.get("/agent/warteschlange/gibtsnicht").status_code == 404


def test_sla_timer_states():
    due = dt.datetime(2026, 11, 16, 12, 0)
    case = Case(sla_due_at=due)
    assert sla_timer(case, NOW, ROUTING).state == "due" and sla_timer(case, NOW, ROUTING).minutes == 180
    case.first_response_at = dt.datetime(2026, 11, 16, 11, 0)
    assert sla_timer(case, NOW, ROUTING).state == "met"
    case.first_response_at = dt.datetime(2026, 11, 16, 12, 30)
    assert (sla_timer(case, NOW, ROUTING).state, sla_timer(case, NOW, ROUTING).minutes) == ("missed", 30)


# --- case page: what the customer gave, history, trail -----------------------------------------------------

def test_case_page_shows_the_customers_history_and_trail_and_nobody_elses(shop):
    kim = customer_client(shop)
    kim.get("/suche?q=paket+nicht+da")
    kim.get("/sendungsverfolgung/500001")
    earlier = open_case(kim, email_case("zahlung", message="Wurde meine Zahlung verbucht?"))
    jan = customer_client(shop, "jan.ode@example.com")
    jans = open_case(jan, email_case(message="Jans eigene Frage zu seiner Bestellung."))
    with shop.app_context():
        complaint = db.session.scalar(select(Case).where(Case.number == earlier))
        kim_id = complaint.customer_id
        order_id = complaint.customer.orders[0].id
        jacket = complaint.customer.orders[0].items[0]
        db.session.add(ReturnRequest(number="RT-2026-000001", order_id=order_id, customer_id=kim_id,
                                     status="complaint", resolution="refund", complaint_case_id=complaint.id,
                                     items=[ReturnItem(order_item_id=jacket.id, sku=jacket.sku, name=jacket.name,
                                                       category=jacket.category, quantity=1, unit_price_cents=7995,
                                                       reason="defekt", comment="Naht offen")]))
        jan_case = db.session.scalar(select(Case).where(Case.number == jans))
        db.session.add(ReturnRequest(number="RT-2026-000002", order_id=jan_case.customer.orders[0].id,
                                     customer_id=jan_case.customer_id, status="registered", resolution="refund"))
        for number_, order_ in (("WR-2026-000001", complaint.customer.orders[0]), ("WR-2026-000002",
                                                                                  jan_case.customer.orders[0])):
            db.session.add(Withdrawal(number=number_, order_number_given=order_.number, order_id=order_.id,
                                      matched=True, contact_name="x", contact_email="x@example.com",
                                      declaration_text="Hiermit widerrufe ich.", declaration_sha256="0" * 64))
        db.session.commit()
    number = open_case(kim, callback_case(SLOT_11, skus=["NL-3"]))

    html = agent_client(shop).get(f"/agent/anfrage/{number}")
    assert html.headers["Cache-Control"] == "no-store"
    page = html.get_data(as_text=True)
    assert "verifiziert</span>" in page and "Kim Berg" in page and "040 555 0101" in page
    assert "Laut Verfolgung zugestellt, aber nicht da." in page and "Socken (NL-3)" in page
    for mine in ("500001", "500002", "Zugestellt an Nachbar Meier", "00340434165000000001", "RT-2026-000001",
                 'data-withdrawal="WR-2026-000001"',
                 f'data-complaint="{earlier}"', f'data-earlier="{earlier}"'):
        assert mine in page, mine
    for theirs in ("500009", "RT-2026-000002", "WR-2026-000002", jans, "jan.ode@example.com"):
        assert theirs not in page, theirs
    complaint_page = agent_client(shop).get(f"/agent/anfrage/{earlier}").get_data(as_text=True)
    source = complaint_page.split('data-source-return="RT-2026-000001"')[1].split("</dd>")[0]
    assert "Defekt oder beschädigt" in source and "„Naht offen“" in source
    trail = page.split("data-trail")[1].split("data-customer")[0]
    assert "„paket nicht da“" in trail and "(500001)" in trail
    assert "Sendungsverfolgung: Sendungsstatus angesehen" in trail


def test_an_unverified_case_opens_no_customer_history(shop):
    guest = shop.test_client()
    number = open_case(guest, email_case(name="Kim Berg", email="kim.berg@example.com", order_number="500001",
                                         postcode="99999"))
    kim = customer_client(shop)
    open_case(kim, email_case("zahlung", message="Eine echte Frage von Kim selbst."))
    page = agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert "nicht verifiziert" in page and "Bestellung (nicht bestätigt)" in page
    assert 'data-order="500002"' not in page and "data-earlier" not in page


def test_a_case_from_someone_elses_order_number_shows_nothing_of_that_order(shop):
    guest = shop.test_client()
    number = open_case(guest, email_case("lieferung", name="Mallory", email="m@example.com", order_number="500009"))
    page = agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert "Jan Ode" not in page and "10115" not in page


# --- suggestions ----------------------------------------------------------------------------------------------

def _case_for(app, number) -> Case:
    return db.session.scalar(select(Case).where(Case.number == number))


def test_suggestions_from_simple_rules(shop):
    kim = customer_client(shop)
    lost = open_case(kim, {"topic": "lieferung-verloren", "message": "Mein Paket ist verloren gegangen.",
                           "channel": "email", "order_number": "500002", "desired_outcome": "ersatz"})
    refund = open_case(kim, {"topic": "lieferung-verloren", "message": "Paket verloren, bitte Geld zurück.",
                             "channel": "email", "order_number": "500002", "desired_outcome": "erstattung"})
    cheap = open_case(kim, {"topic": "reklamation", "message": "Die Socken haben ein Loch.", "channel": "email",
                            "order_number": "500001", "skus": ["NL-3"], "desired_outcome": "erstattung"})
    dear = open_case(kim, {"topic": "reklamation", "message": "Reißverschluss der Jacke kaputt.", "channel": "email",
                           "order_number": "500001", "skus": ["NL-1"], "desired_outcome": "ersatz"})
    missing = open_case(kim, callback_case(SLOT_11))
    with shop.test_request_context():
        today = dt.date(2026, 11, 16)
        policy = shop.extensions["helpcenter.returns_policy"]
        keys = lambda number, day=today: [s.key for s in suggest(_case_for(shop, number), policy, day,  # noqa: E731
                                                                 json.loads(_case_for(shop, number).skus or "[]"))]
        assert keys(lost) == ["reship"]
        assert keys(refund) == ["refund"]
        assert keys(cheap) == ["refund_without_return", "return_window"]
        assert keys(dear) == ["return_window"]
        assert keys(missing) == ["trace", "return_window"]
        assert keys(missing, dt.date(2026, 12, 14)) == ["trace", "return_window_over"]
        window = suggest(_case_for(shop, dear), policy, today, ["NL-1"])[0]
        assert window.deadline == dt.date(2026, 12, 13) and "noch 27 Tage" in window.text
        saving = suggest(_case_for(shop, cheap), policy, today, ["NL-3"])[0]
        assert saving.amount_cents == 795 and "7,95" in saving.text
        # Out of stock: a lost parcel is refunded, not re-shipped.
        db.session.add(ProductVariant(sku="NL-1", product_code="NL", name="Steppjacke", stock=0))
        db.session.flush()
        assert keys(lost) == ["refund"]
        db.session.rollback()
        assert suggest(Case(topic="sonstiges"), policy, today) == []
    page = agent_client(shop).get(f"/agent/anfrage/{lost}").get_data(as_text=True)
    assert 'data-suggestion="reship"' in page and "Neu versenden: Paket verloren" in page


# --- reply templates --------------------------------------------------------------------------------------------

def test_placeholders_are_filled_safely():
    values = {"name": "Kim {case_number}", "case_number": "NL-2026-000001"}
    assert fill("Hallo {name}, Anfrage {case_number}.", values) == "Hallo Kim {case_number}, Anfrage NL-2026-000001."
    for text in ("{unbekannt}", "{name.__class__}", "{0}", "{name!r}", "{name:>10}", "%(name)s", "{", "{Name}"):
        assert fill(text, values) == text  # nothing is looked up, formatted or evaluated
    assert fill("{{name}}", values) == "{Kim {case_number}}"  # braces around are just text
    assert fill("{order_number} / {tracking_url}", {}) == "{order_number} / {tracking_url}"


def test_template_placeholders_come_from_the_case(shop):
    number = open_case(customer_client(shop), callback_case(SLOT_11))
    with shop.test_request_context():
        case = _case_for(shop, number)
        values = placeholder_values(case, "Jonas Weber")
        text = fill(template("sendung").body, values)
    assert text.startswith("Hallo Kim Berg,") and "500001" in text and "Jonas Weber" in text
    assert "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434165000000001" in text
    page = agent_client(shop).get(f"/agent/anfrage/{number}?vorlage=sendung").get_data(as_text=True)
    assert "Ihre Bestellung 500001 am 13. November 2026 zugestellt." in page  # delivered: never "unterwegs"
    english = shop.test_client()
    english.get("/?lang=en")
    login(english)
    in_english = open_case(english, callback_case("2026-11-16T11:30:00+01:00"))
    page = agent_client(shop).get(f"/agent/anfrage/{in_english}?vorlage=sendung").get_data(as_text=True)
    assert "November 13, 2026" in page and "Antwort per E-Mail" in page  # agent's pages stay German
    guest = shop.test_client()
    no_order = open_case(guest, email_case(name="Gast <b>", email="gast@example.com"))
    page = agent_client(shop).get(f"/agent/anfrage/{no_order}?vorlage=sendung").get_data(as_text=True)
    assert "Ihrer Bestellung {order_number} sehen Sie hier: {tracking_url}" in page
    assert "Gast &lt;b&gt;" in page and "Gast <b>" not in page


# --- actions and their audit trail ------------------------------------------------------------------------------

def test_callback_done_resolves_records_times_and_sends_the_survey(shop, clock):
    number = open_case(customer_client(shop), callback_case(SLOT_11))
    agent = agent_client(shop)
    clock.advance(minutes=61)
    assert form_post(agent, number, "uebernehmen").status_code == 302
    clock.advance(minutes=4)
    response = form_post(agent, number, "rueckruf", outcome="reached_solved", note="Paket lag beim Nachbarn.")
    assert response.status_code == 302 and response.headers["Location"] == f"/agent/anfrage/{number}"
    case = case_row(shop, number)
    assert case.status == "resolved" and case.outcome == "solved"
    assert case.first_response_at == case.resolved_at == dt.datetime(2026, 11, 16, 10, 5)
    assert case.claimed_at == dt.datetime(2026, 11, 16, 10, 1)
    assert events_of(shop, number) == [("claim", None, "Jonas Weber", None),
                                       ("callback_done", "reached_solved", "Jonas Weber", "Paket lag beim Nachbarn."),
                                       ("resolve", "solved", "Jonas Weber", None)]
    with shop.app_context():
        survey = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"case-survey:{number}"))
        assert survey.recipient == "kim.berg@example.com" and number in survey.subject
        assert "/kontakt/umfrage/" in survey.body
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert 'data-event="callback_done"' in page and "Erreicht – gelöst" in page and "Paket lag beim Nachbarn." in page


def test_callback_not_reached_keeps_the_case_open_and_the_sla_running(shop, clock):
    number = open_case(customer_client(shop), callback_case(SLOT_11))
    agent = agent_client(shop)
    clock.advance(hours=1)  # the slot has begun
    form_post(agent, number, "rueckruf", outcome="not_reached")
    case = case_row(shop, number)
    assert case.status == "open" and case.first_response_at is None and case.assigned_to_id is not None
    form_post(agent, number, "rueckruf", outcome="vielleicht")
    assert [e[0] for e in events_of(shop, number)] == ["callback_done"]
    email = open_case(customer_client(shop), email_case())
    page = agent.get(form_post(agent, email, "rueckruf", outcome="reached_solved").headers["Location"])
    assert "Diese Anfrage ist kein Rückruf." in page.get_data(as_text=True)


def test_reply_by_email_goes_through_the_outbox_and_is_the_first_response(shop, clock):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    clock.advance(minutes=30)
    form_post(agent, number, "antwort", subject="", body="Hallo Kim,\nhier die Antwort. Karte 4111 1111 1111 1111")
    case = case_row(shop, number)
    assert case.status == "open" and case.first_response_at == dt.datetime(2026, 11, 16, 9, 30)
    assert case.assigned_to_id is not None
    with shop.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("case-reply:%")))
        assert mail.recipient == "kim.berg@example.com" and mail.subject == f"Ihre Anfrage {number} bei Nordlicht"
        assert "hier die Antwort" in mail.body and "4111 1111 1111 1111" not in mail.body
    [(kind, _, actor, note)] = events_of(shop, number)
    assert (kind, actor) == ("reply", "Jonas Weber") and "411111******1111" in note
    clock.advance(minutes=30)
    form_post(agent, number, "antwort", subject="Nachtrag", body="Noch etwas.")
    assert case_row(shop, number).first_response_at == dt.datetime(2026, 11, 16, 9, 30)
    refused = form_post(agent, number, "antwort", subject="Böse\r\nBcc: x@y.z", body="Hallo")
    # Shown again with the message at the field and what was typed (app/agent/schemas.py ReplyInput).
    assert refused.status_code == 422 and "Der Betreff muss eine Zeile sein." in refused.get_data(as_text=True)
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key.like("case-reply:%"))) == 2


def test_internal_note_stays_internal(shop):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    form_post(agent, number, "notiz", note="Kundin wirkt verärgert, bitte freundlich.")
    case = case_row(shop, number)
    assert case.status == "new" and case.first_response_at is None and case.assigned_to_id is None
    assert events_of(shop, number) == [("note", None, "Jonas Weber", "Kundin wirkt verärgert, bitte freundlich.")]
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # the acknowledgement only
    assert "Kundin wirkt verärgert" not in customer_client(shop).get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    form_post(agent, number, "notiz", note="")
    assert len(events_of(shop, number)) == 1


def test_resolve_and_reopen(shop, clock):
    kim = customer_client(shop)
    number = open_case(kim, email_case())
    agent = agent_client(shop)
    clock.advance(hours=1)
    form_post(agent, number, "erledigen", outcome="information", note="Per Telefon geklärt.")
    case = case_row(shop, number)
    assert (case.status, case.outcome, case.resolved_at) == ("resolved", "information", dt.datetime(2026, 11, 16, 10, 0))
    assert "Erledigt" in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert kim.get(f"/api/cases/{number}").get_json()["status"] == "resolved"
    page = agent.get(form_post(agent, number, "erledigen", outcome="solved").headers["Location"]).get_data(as_text=True)
    assert "Die Anfrage ist schon erledigt." in page
    form_post(agent, number, "wieder-oeffnen", note="Kundin meldet sich erneut.")
    case = case_row(shop, number)
    assert (case.status, case.outcome, case.resolved_at) == ("open", None, None)
    form_post(agent, number, "erledigen", outcome="")
    assert case_row(shop, number).status == "open"
    clock.advance(hours=1)
    form_post(agent, number, "erledigen", outcome="refund")
    assert case_row(shop, number).resolved_at == dt.datetime(2026, 11, 16, 11, 0)
    assert [(e[0], e[1]) for e in events_of(shop, number)] == [
        ("resolve", "information"), ("reopen", None), ("resolve", "refund")]
    with shop.app_context():
        surveys = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.dedupe_key == f"case-survey:{number}"))
        assert surveys == 1  # one survey per case, however often it is resolved


# --- JSON API -------------------------------------------------------------------------------------------------

def test_api_claim_and_resolve(shop, clock):
    number = open_case(customer_client(shop), email_case())
    agent, other = agent_client(shop), agent_client(shop, OTHER_AGENT)
    claimed = post_json(agent, f"/api/agent/cases/{number}/claim")
    assert claimed.status_code == 200
    body = claimed.get_json()
    assert body["assigned_to"] == "Jonas Weber" and body["status"] == "open" and body["case_number"] == number
    assert post_json(agent, f"/api/agent/cases/{number}/claim").status_code == 200  # again: still theirs
    taken = post_json(other, f"/api/agent/cases/{number}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "claimed"
    assert post_json(agent, "/api/agent/cases/NL-2026-999999/claim").status_code == 404
    for bad in ({}, {"outcome": "weg"}, {"outcome": 5}):
        response = post_json(agent, f"/api/agent/cases/{number}/resolve", bad)
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_outcome"
    assert post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved", "note": 7}).status_code == 422
    assert agent.post(f"/api/agent/cases/{number}/resolve", data="kaputt", content_type="application/json",
                      headers={"X-CSRFToken": api_token(agent)}).status_code == 422
    clock.advance(minutes=10)
    done = post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved", "note": "Erledigt."})
    assert done.status_code == 200 and done.get_json()["status"] == "resolved"
    assert done.get_json()["resolved_at"] == "2026-11-16T09:10:00Z" and done.get_json()["outcome"] == "solved"
    again = post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "resolved"
    assert post_json(other, f"/api/agent/cases/{number}/claim").status_code == 409
    assert [e[0] for e in events_of(shop, number)] == ["claim", "resolve"]


def test_two_agents_claiming_at_once_one_wins(shop):
    number = open_case(customer_client(shop), email_case())
    with shop.app_context():
        agents = [db.session.scalar(select(User.id).where(User.email == e)) for e in (AGENT[0], OTHER_AGENT[0])]
    results, errors, barrier = [], [], threading.Barrier(2)

    def worker(agent_id):
        with shop.test_request_context():
            try:
                # Wait before the first query: on SQLite that query already takes the write lock.
                barrier.wait()
                case = db.session.scalar(select(Case).where(Case.number == number))
                claim(case, db.session.get(User, agent_id), NOW)
                db.session.commit()
                results.append(agent_id)
            except ActionRefused:
                db.session.rollback()
                results.append(None)
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(repr(exc))
                db.session.rollback()

    threads = [threading.Thread(target=worker, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and case_row(shop, number).assigned_to_id == winners[0]
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "claim")) == 1


# --- survey ---------------------------------------------------------------------------------------------------

def survey_link(app, number) -> str:
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.dedupe_key == f"case-survey:{number}"))
    return re.search(r"http://[^/\s]+(/kontakt/umfrage/\S+)", body).group(1)


def test_survey_link_works_once_and_the_answer_is_stored(shop):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved"})
    link = survey_link(shop, number)
    anyone = shop.test_client()  # the link is enough: no sign-in needed
    form = anyone.get(link)
    assert form.status_code == 200 and "Wie zufrieden waren Sie?" in form.get_data(as_text=True)
    token = csrf_token_from(anyone, link)
    assert anyone.post(link, data={"csrf_token": token, "score": "9"}).status_code == 422
    assert anyone.post(link, data={"score": "4"}).status_code == 400  # CSRF
    done = anyone.post(link, data={"csrf_token": token, "score": "4", "comment": "Schnell und freundlich."})
    assert done.status_code == 200 and "Danke für Ihre Antwort" in done.get_data(as_text=True)
    case = case_row(shop, number)
    assert (case.survey_score, case.survey_comment) == (4, "Schnell und freundlich.")
    again = anyone.post(link, data={"csrf_token": token, "score": "1", "comment": "Doch nicht."})
    assert again.status_code == 410 and "schon beantwortet" in again.get_data(as_text=True)
    assert anyone.get(link).status_code == 410
    assert case_row(shop, number).survey_score == 4
    assert events_of(shop, number)[-1][:2] == ("survey", "4")
    assert "4 von 5" in agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert anyone.get(link[:-3] + "abc").status_code == 404
    assert anyone.get("/kontakt/umfrage/NL-2026-000001").status_code == 404
