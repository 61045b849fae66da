"""The link in every mail about a case opens it in any browser (issue #12): a guest who reads the acknowledgement
a day later on another device sees the thread and can answer; a wrong link is the usual 404."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.agent_helpers import agent_client, clock, customer_client, email_case, open_case, shop  # noqa: F401
from tests.conftest import csrf_token_from, without_csrf_token

LINK = re.compile(r"https?://\S+/kontakt/anfrage/\S+")


def guest_case(app, message="Wo bleibt mein Paket?", email="gast@example.com") -> str:
    """A case sent by a guest from a browser that is then closed."""
    return open_case(app.test_client(), email_case(message=message, name="Gerd Gast", email=email))


def mails(app, kind: str) -> list[OutboxMessage]:
    with app.app_context():
        found = [m for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                 if m.dedupe_key.startswith(f"{kind}:")]
        for m in found:
            db.session.expunge(m)
        return found


def mailed_link(mail: OutboxMessage) -> str:
    """The case link in a mail, as the path and query a browser asks for."""
    links = LINK.findall(mail.body)
    assert len(links) == 1, mail.body
    parts = urlsplit(links[0])
    return f"{parts.path}?{parts.query}"


def agent_reply(agent, number, body):
    token = csrf_token_from(agent, f"/agent/anfrage/{number}")
    return agent.post(f"/agent/anfrage/{number}/antwort", data={"csrf_token": token, "subject": "", "body": body})


def test_guest_opens_the_acknowledgement_link_in_another_browser_reads_the_answer_and_replies(shop, clock):
    number = guest_case(shop)
    ack = mails(shop, "case-ack")[0]
    link = mailed_link(ack)
    assert link.startswith(f"/kontakt/anfrage/{number}?zugang=")
    assert f"Den Stand Ihrer Anfrage sehen Sie hier: http://127.0.0.1:5000{link}" in ack.body
    agent_reply(agent_client(shop), number, "Hallo Gerd, es kommt morgen.")

    phone = shop.test_client()  # a day later, another device: no session from the form
    clock.advance(days=1)
    assert phone.get(f"/kontakt/anfrage/{number}").status_code == 404
    opened = phone.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/kontakt/anfrage/{number}"  # the token is gone from the address
    assert opened.headers["Cache-Control"] == "no-store"
    page = phone.get(opened.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Wo bleibt mein Paket?" in html and "Hallo Gerd, es kommt morgen." in html
    assert "zugang" not in html and 'name="body"' in html  # the reply box

    token = csrf_token_from(phone, f"/kontakt/anfrage/{number}")
    sent = phone.post(f"/kontakt/anfrage/{number}/antwort",
                      data={"csrf_token": token, "body": "Danke, dann warte ich.", "submission_id": "s-guest-01"})
    assert sent.status_code == 302
    html = phone.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Danke! Ihre Nachricht ist bei uns." in html and "Danke, dann warte ich." in html


def test_the_agents_reply_mail_ends_with_the_case_link(shop, clock):
    number = guest_case(shop)
    agent_reply(agent_client(shop), number, "Hallo Gerd, es kommt morgen.")
    reply = mails(shop, "case-reply")[0]
    assert reply.body.startswith("Hallo Gerd, es kommt morgen.\n\n-- \n")
    assert "Antworten Sie einfach auf diese E-Mail oder im Web: http://127.0.0.1:5000/kontakt/anfrage/" in reply.body
    link = mailed_link(reply)
    assert link == mailed_link(mails(shop, "case-ack")[0])
    phone = shop.test_client()
    assert phone.get(link).status_code == 303
    # The customer's thread keeps the agent's words alone.
    html = phone.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert "Hallo Gerd, es kommt morgen." in html and "Antworten Sie einfach auf diese E-Mail" not in html


def test_a_wrong_or_other_cases_token_is_the_usual_404(shop, clock):
    first = guest_case(shop, "Erste Frage.")
    second = guest_case(shop, "Zweite Frage.", email="zweiter@example.com")
    first_link = mailed_link(mails(shop, "case-ack")[0])
    token = first_link.split("zugang=")[1]
    stranger = shop.test_client()
    unknown = without_csrf_token(stranger.get("/kontakt/anfrage/NL-2026-999999").get_data(as_text=True))

    def same_page(answer, number):  # the page names the address asked for (language switch); the rest is equal
        return (without_csrf_token(answer.get_data(as_text=True)).replace(number, "N")
                == unknown.replace("NL-2026-999999", "N"))
    for number, query in ((second, f"zugang={token}"),  # case A's token on case B
                          (first, f"zugang={token[:-1]}x"), (first, "zugang="), (first, "zugang=" + "ä" * 16),
                          (first, f"zugang=x&zugang={token}"), ("NL-2026-999999", f"zugang={token}")):
        answer = stranger.get(f"/kontakt/anfrage/{number}?{query}")
        assert answer.status_code == 404, query
        assert same_page(answer, number), query  # no hint whether the number exists
    assert stranger.get(f"/kontakt/anfrage/{second}").status_code == 404
    # Case A's link opens case A only, not B as well.
    assert stranger.get(first_link).status_code == 303
    assert stranger.get(f"/kontakt/anfrage/{first}").status_code == 200
    assert stranger.get(f"/kontakt/anfrage/{second}").status_code == 404


def test_guessing_links_is_rate_limited_but_reading_the_page_is_not(shop, clock):
    number = guest_case(shop)
    link = mailed_link(mails(shop, "case-ack")[0])
    reader = shop.test_client()
    reader.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert reader.get(link).status_code == 303  # a link that opens is not counted
    guesser = shop.test_client()
    answers = [guesser.get(f"/kontakt/anfrage/{number}?zugang=aaaaaaaaaaaaaa{i:02d}").status_code for i in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429
    assert guesser.get(link).status_code == 429  # from this address even the right link waits
    for _ in range(35):
        assert reader.get(f"/kontakt/anfrage/{number}").status_code == 200
    assert reader.get(link).status_code == 303


def test_an_account_case_link_opens_that_case_only_not_the_accounts_others(shop, clock):
    kim = customer_client(shop)
    first = open_case(kim, email_case(message="Kims erste Frage."))
    second = open_case(kim, email_case(message="Kims zweite Frage."))
    links = {m.dedupe_key.split(":")[1]: mailed_link(m) for m in mails(shop, "case-ack")}
    other_browser = shop.test_client()
    assert other_browser.get(links[first]).status_code == 303
    assert "Kims erste Frage." in other_browser.get(f"/kontakt/anfrage/{first}").get_data(as_text=True)
    assert other_browser.get(f"/kontakt/anfrage/{second}").status_code == 404
    assert other_browser.get(f"/api/cases/{second}").status_code == 404
    assert other_browser.get("/konto/anfragen").status_code == 302  # not signed in by the link
