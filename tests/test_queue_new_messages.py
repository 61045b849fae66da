"""A customer's new message shows in the agent's lists (issue #12): the queue list and the agent's own list mark the
case "Neue Nachricht" until an agent answers, and a reply to a resolved case brings it back into its queue."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from app.cases.models import Case
from app.extensions import db
from tests.agent_helpers import (OTHER_AGENT, agent_client, clock, customer_client, email_case,  # noqa: F401
                                 open_case, post_json, shop)
from tests.conftest import csrf_token_from

MARK = "Neue Nachricht"


def form_post(client, number, action, **data):
    token = csrf_token_from(client, f"/agent/anfrage/{number}")
    return client.post(f"/agent/anfrage/{number}/{action}", data={"csrf_token": token, **data})


def row(html: str, number: str) -> str | None:
    """The list row of one case, or None when the list does not show it."""
    found = re.search(rf'<tr data-case="{number}">(.*?)</tr>', html, re.S)
    return found.group(1) if found else None


def section(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</section>", 1)[0]


def queue_of(app, number) -> str:
    with app.app_context():
        return db.session.scalar(select(Case.queue).where(Case.number == number))


def open_count(console: str, slug: str) -> int:
    """The console's count of open e-mail cases in one queue."""
    table = console.split('id="channel-email"', 1)[1].split("</table>", 1)[0]
    return int(re.search(rf'<tr data-queue="{slug}">.*?<td data-count>(\d+)</td>', table, re.S).group(1))


def customer_writes(client, number, body):
    answer = post_json(client, f"/api/cases/{number}/messages", {"body": body})
    assert answer.status_code == 201, answer.get_json()


def test_a_customer_reply_marks_the_case_in_the_queue_and_the_answer_clears_it(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Erste Frage."))
    queue = f"/agent/warteschlange/{queue_of(shop, number)}"
    assert MARK not in row(agent.get(queue).get_data(as_text=True), number)  # a new case is new, not "new message"
    form_post(agent, number, "antwort", subject="", body="Erste Antwort.")
    assert MARK not in row(agent.get(queue).get_data(as_text=True), number)
    clock.advance(minutes=5)
    customer_writes(kim, number, "Noch eine Frage dazu.")
    assert MARK in row(agent.get(queue).get_data(as_text=True), number)
    # A note for colleagues is no answer to the customer.
    form_post(agent, number, "notiz", note="Lager gefragt.")
    assert MARK in row(agent.get(queue).get_data(as_text=True), number)
    assert "1 neue Kundennachricht" in agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)  # as on the case
    assert flagged(agent, shop, number) is True
    form_post(agent, number, "antwort", subject="", body="Zweite Antwort.")
    assert MARK not in row(agent.get(queue).get_data(as_text=True), number)
    assert flagged(agent, shop, number) is False


def flagged(agent, app, number) -> bool:
    """The JSON console's flag for the case, in the queue's list and on the one case's answer alike."""
    listed = agent.get(f"/api/agent/cases?queue={queue_of(app, number)}").get_json()["cases"]
    in_list = next(c["new_customer_message"] for c in listed if c["case_number"] == number)
    claimed = post_json(agent, f"/api/agent/cases/{number}/claim").get_json()
    assert claimed["new_customer_message"] == in_list
    return in_list


def test_a_reply_to_a_resolved_case_brings_it_back_marked_and_with_its_agent(shop, clock):
    kim, agent, colleague = customer_client(shop), agent_client(shop), agent_client(shop, OTHER_AGENT)
    number = open_case(kim, email_case(message="Frage zur Lieferung."))
    queue_slug = queue_of(shop, number)
    queue = f"/agent/warteschlange/{queue_slug}"
    form_post(agent, number, "antwort", subject="", body="Sie kommt morgen.")
    form_post(agent, number, "erledigen", outcome="information")
    assert row(agent.get(queue).get_data(as_text=True), number) is None
    console = agent.get("/agent").get_data(as_text=True)
    assert row(section(console, "data-mine>"), number) is None
    counts = open_count(console, queue_slug)

    clock.advance(days=2)
    customer_writes(kim, number, "Sie ist doch nicht gekommen.")
    listed = row(agent.get(queue).get_data(as_text=True), number)
    assert listed is not None and MARK in listed and "Jonas Weber" in listed  # still the agent's case
    console = agent.get("/agent").get_data(as_text=True)
    assert MARK in row(section(console, "data-mine>"), number)  # the agent's own list
    assert open_count(console, queue_slug) == counts + 1
    # A colleague sees it marked in the queue but not in their own list.
    other = colleague.get("/agent").get_data(as_text=True)
    assert row(section(other, "data-mine>"), number) is None
    assert MARK in row(colleague.get(queue).get_data(as_text=True), number)

    form_post(agent, number, "antwort", subject="", body="Wir schicken sie neu.")
    assert MARK not in row(agent.get(queue).get_data(as_text=True), number)
    assert MARK not in row(section(agent.get("/agent").get_data(as_text=True), "data-mine>"), number)


def test_the_list_asks_once_however_many_cases_it_shows(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    numbers = [open_case(kim, email_case(message=f"Meine Frage Nummer {i}.")) for i in range(6)]
    for number in numbers:
        form_post(agent, number, "antwort", subject="", body="Antwort.")
        customer_writes(kim, number, "Und noch etwas.")
    queue = f"/agent/warteschlange/{queue_of(shop, numbers[0])}"
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "case_message" in statement:
            statements.append(statement)

    with shop.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        html = agent.get(queue).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert all(MARK in row(html, number) for number in numbers)
    assert len(statements) == 1, statements


def _catalog_has(message: str) -> bool:
    from pathlib import Path

    from babel.messages.pofile import read_po

    with (Path(__file__).resolve().parent.parent / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        return any(m.id == message and m.string for m in read_po(f, locale="en"))


@pytest.mark.skipif(not _catalog_has(MARK), reason="the English catalog has no translation of the marker yet")
def test_the_marker_is_english_for_english_agents(shop, clock):
    kim, agent = customer_client(shop), agent_client(shop)
    number = open_case(kim, email_case(message="Eine kurze Frage."))
    form_post(agent, number, "antwort", subject="", body="Antwort.")
    customer_writes(kim, number, "Noch etwas.")
    html = agent.get(f"/agent/warteschlange/{queue_of(shop, number)}?lang=en").get_data(as_text=True)
    assert "New message" in row(html, number)
