"""Card numbers typed into any free text never reach the database, the outbox, the agent's pages or the logs.

Each entry point gets the same card in several everyday spellings; afterwards no Luhn-valid card
number can be read from the row, the queued messages, the page an agent sees or the captured log.
"""
from __future__ import annotations

import io
import logging
import re

import pytest
from PIL import Image
from sqlalchemy import insert, select, text, update

from app.cases.models import Case, CaseAttachment, CaseEvent, CaseMessage
from app.extensions import db
from app.insights.models import ArticleVote, SearchLog
from app.outbox.models import OutboxMessage
from app.privacy.redaction import luhn_valid
from app.returns.models import ReturnItem
from tests.agent_helpers import (NOW, agent_client, clock, customer_client, email_case,  # noqa: F401
                                 open_case, post_json, shop)
from tests.conftest import csrf_token_from, login

CARDS = ("4111111111111111", "5555555555554444", "378282246310005")
# One line each (chat, search, subjects); the multi-line ones only where a text may have several lines.
ONE_LINE = ["4111 1111 1111 1111", "5555.5555.5555.4444", "3782\u00a0822463\u00a010005", "4111-1111 1111.1111",
            "5555  5555  5555  4444", "Bestellung 500001 Karte 4111111111111111 12/27", "3782\u202f822463\u202f10005",
            "４１１１ １１１１ １１１１ １１１１"]
MULTI_LINE = ONE_LINE + ["4111\n1111\n1111\n1111", "5555\r\n5555\r\n5555\r\n4444", "4111 1111 1111 1111\nexp 12/2027"]


def one_line_text() -> str:
    return "Meine Karte: " + " / ".join(ONE_LINE) + " – bitte löschen."


def multi_line_text() -> str:
    return "Hallo,\n" + "\nund ".join(MULTI_LINE) + "\nGrüße"


def card_digits_in(value) -> list[str]:
    """Luhn-valid 13-19 digit runs of our cards that can still be read in value (separators ignored)."""
    stream = "".join(c if c == "*" else str(int(c)) for c in str(value) if c.isdecimal() or c == "*")
    return [card for card in CARDS if card in stream]


def assert_clean(*values) -> None:
    for value in values:
        assert card_digits_in(value) == [], value


def assert_masked(value) -> None:
    assert "411111******1111" in str(value) or "555555******4444" in str(value) or "378282*****0005" in str(value)


def outbox(app) -> list[str]:
    with app.app_context():
        return [f"{m.subject}\n{m.body}\n{m.payload}" for m in db.session.scalars(select(OutboxMessage))]


def case_of(app, number) -> Case:
    with app.app_context():
        return db.session.scalar(select(Case).where(Case.number == number))


def agent_page(app, number) -> str:
    return agent_client(app).get(f"/agent/anfrage/{number}").get_data(as_text=True)


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


# --- customers ------------------------------------------------------------------------------------------------

def test_contact_form_message_and_attachment_name(shop, log):
    client = shop.test_client()
    login(client)
    token = csrf_token_from(client, "/kontakt")
    photo = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(photo, "JPEG")
    response = client.post("/kontakt", data={
        "csrf_token": token, "topic": "sonstiges", "message": multi_line_text(), "channel": "email",
        "attachments": (io.BytesIO(photo.getvalue()), "Karte 4111 1111 1111 1111.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with shop.app_context():
        case = db.session.scalar(select(Case))
        attachment = db.session.scalar(select(CaseAttachment))
        assert_clean(case.message, attachment.filename)
        assert_masked(case.message)
        assert_masked(attachment.filename)
        number = case.number
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert_clean(*outbox(shop), agent_page(shop, number), confirmation, log.text)


def test_api_case_message(shop, log):
    number = open_case(customer_client(shop), email_case(message=multi_line_text()))
    case = case_of(shop, number)
    assert_clean(case.message, *outbox(shop), agent_page(shop, number), log.text)
    assert_masked(case.message)


def test_return_comment(shop, log, monkeypatch):
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    client = customer_client(shop)
    response = post_json(client, "/api/returns", {
        "order_number": "500001", "resolution": "refund", "carrier": "dhl",
        "items": [{"sku": "NL-1", "quantity": 1, "reason": "zu-gross", "comment": multi_line_text()}]})
    assert response.status_code == 201, response.get_json()
    with shop.app_context():
        comment = db.session.scalar(select(ReturnItem.comment))
    assert_clean(comment, response.get_data(as_text=True), *outbox(shop), log.text,
                 client.get(f"/retouren/{response.get_json()['return_number']}").get_data(as_text=True))
    assert_masked(comment)


def test_chat_lines_of_customer_and_agent(shop, log):
    kim, agent = customer_client(shop), agent_client(shop)
    post_json(agent, "/api/agent/presence", {"status": "online"})
    number = open_case(kim, email_case(channel="chat", message="Chat bitte"))
    assert post_json(agent, f"/api/agent/cases/{number}/claim").status_code == 200
    said = post_json(kim, f"/kontakt/anfrage/{number}/chat", {"body": one_line_text()})
    answered = post_json(agent, f"/api/agent/cases/{number}/chat", {"body": "Bitte nie senden: " + one_line_text()})
    assert (said.status_code, answered.status_code) == (201, 201), (said.get_json(), answered.get_json())
    with shop.app_context():
        bodies = db.session.scalars(select(CaseMessage.body).where(CaseMessage.channel == "chat")).all()
    assert len(bodies) == 2
    assert_clean(*bodies, said.get_data(as_text=True), answered.get_data(as_text=True), *outbox(shop), log.text,
                 agent_page(shop, number), kim.get(f"/kontakt/anfrage/{number}/chat").get_data(as_text=True))
    for body in bodies:
        assert_masked(body)


def test_survey_comment(shop, log):
    number = open_case(customer_client(shop), email_case())
    post_json(agent_client(shop), f"/api/agent/cases/{number}/resolve", {"outcome": "solved"})
    with shop.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.dedupe_key == f"case-survey:{number}"))
    link = re.search(r"http://[^/\s]+(/kontakt/umfrage/\S+)", body).group(1)
    anyone = shop.test_client()
    token = csrf_token_from(anyone, link)
    done = anyone.post(link, data={"csrf_token": token, "score": "2", "comment": multi_line_text()})
    assert done.status_code == 200
    comment = case_of(shop, number).survey_comment
    assert_clean(comment, *outbox(shop), agent_page(shop, number), log.text)
    assert_masked(comment)


def test_article_feedback_comment(app, client, log):
    url = "/hilfe/zahlung/paypal"
    token = csrf_token_from(client, url)
    client.post(url + "/feedback", data={"helpful": "nein", "csrf_token": token})
    client.post(url + "/feedback", data={"comment": multi_line_text(), "csrf_token": token})
    with app.app_context():
        comment = db.session.scalar(select(ArticleVote.comment))
    assert_clean(comment, log.text)
    assert_masked(comment)


@pytest.mark.parametrize("path", ["/suche", "/api/search"])
def test_search_query_page_and_api(app, client, log, path):
    for spelling in ONE_LINE:
        assert client.get(path, query_string={"q": f"Karte {spelling}"}).status_code == 200
    with app.app_context():
        queries = db.session.scalars(select(SearchLog.query)).all()
    assert len(queries) == len(ONE_LINE)
    assert_clean(*queries, log.text)


# --- agents ---------------------------------------------------------------------------------------------------

def _form_post(client, number, action, **data):
    token = csrf_token_from(client, f"/agent/anfrage/{number}")
    return client.post(f"/agent/anfrage/{number}/{action}", data={"csrf_token": token, **data})


@pytest.mark.parametrize("action,fields", [
    ("notiz", {"note": multi_line_text()}),
    ("antwort", {"subject": "Ihre Karte " + ONE_LINE[0], "body": multi_line_text()}),
    ("erledigen", {"outcome": "information", "note": multi_line_text()}),
])
def test_agent_notes_and_replies(shop, log, action, fields):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    _form_post(agent, number, "uebernehmen")
    assert _form_post(agent, number, action, **fields).status_code == 302
    with shop.app_context():
        notes = [n for n in db.session.scalars(select(CaseEvent.note)) if n]
    assert notes
    assert_clean(*notes, *outbox(shop), agent_page(shop, number), log.text)
    assert_masked(notes[-1])


# --- no code path around it --------------------------------------------------------------------------------------

def test_core_inserts_updates_and_old_rows_are_masked_too(shop):
    number = open_case(customer_client(shop), email_case())
    with shop.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.number == number))
        db.session.execute(insert(CaseEvent).values(case_id=case_id, kind="note", note=multi_line_text()))
        db.session.execute(update(Case).where(Case.id == case_id).values(survey_comment=one_line_text()))
        db.session.commit()
        raw = db.session.execute(text("SELECT note FROM case_event")).scalars().all()
        raw += db.session.execute(text("SELECT survey_comment FROM support_case")).scalars().all()
        assert_clean(*raw)
        # A row written before masking existed (raw SQL) is never shown unmasked.
        db.session.execute(text("UPDATE support_case SET message = :m"), {"m": one_line_text()})
        db.session.commit()
        case = db.session.get(Case, case_id)
        db.session.refresh(case)
        assert_clean(case.message)
        # The object in memory holds what the row holds, before any flush.
        fresh = CaseEvent(case_id=case_id, kind="note", note=one_line_text())
        assert_clean(fresh.note)
        db.session.rollback()
    assert_clean(agent_page(shop, number))


def test_log_records_lose_card_numbers_in_message_arguments_and_tracebacks(app, caplog):
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("app.anything")
    logger.info("Anfrage: %s", one_line_text())
    logging.getLogger().warning("GET /suche?q=4111+1111+1111+1111&x=1 HTTP/1.1")
    logging.getLogger("werkzeug").warning("GET /suche?q=4111%201111%201111%201111 HTTP/1.1")
    try:
        raise ValueError("kaputt bei 5555 5555 5555 4444")
    except ValueError:
        logger.exception("Fehler mit %r", {"message": "Karte 3782 822463 10005"})
    assert len(caplog.records) == 4
    assert_clean(caplog.text, *(r.getMessage() for r in caplog.records))
    assert "kaputt bei 555555******4444" in caplog.text and "Traceback" in caplog.text
    assert all(luhn_valid(card) for card in CARDS)
