"""E-mail replies thread into their case (issue #12): signed Reply-To addresses and threading headers on every mail
about a case, `flask mail inbound` for a Postfix pipe, quote trimming, attachments as on the form, card numbers masked,
unknown senders as new unverified cases, and no mail loops with auto-replies, bounces and lists."""
from __future__ import annotations

import datetime as dt
import io
import json
from email.message import EmailMessage
from email.parser import BytesParser
from email import policy

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.cases.models import Case, CaseAttachment, CaseMessage
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.transports import Envelope, build_email
from tests.agent_helpers import (NOW, agent_client, clock, customer_client, email_case, open_case,  # noqa: F401
                                 post_json, shop)

CARD = "4111 1111 1111 1111"


def outbox_mails(app, to=None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.recipient == to)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def sent_as(app, row: OutboxMessage):
    """The MIME message the outbox worker would send for the row."""
    with app.app_context():
        envelope = Envelope(row.id, row.kind, row.recipient, row.subject, row.body,
                            json.loads(row.headers) if row.headers else {}, row.created_at, row.attempts)
        raw = build_email(envelope, app.config["HELPCENTER_MAIL_FROM"], dt.datetime(2026, 11, 16, 9)).as_bytes()
    return BytesParser(policy=policy.default).parsebytes(raw)


def reply_to(original, body: str, sender="kim.berg@example.com", html: str | None = None,
             message_id="<reply-1@mail.example.com>", files=(), to=None, **headers) -> bytes:
    """A customer's answer as mail programs write it: To the Reply-To address, Re: subject, quoted history."""
    mail = EmailMessage()
    mail["From"] = f"Kim Berg <{sender}>"
    mail["To"] = to or original["Reply-To"].addresses[0].addr_spec
    mail["Subject"] = f"Re: {original['Subject']}"
    mail["Message-ID"] = message_id
    mail["In-Reply-To"] = str(original["Message-ID"])
    mail["References"] = str(original["Message-ID"])
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    mail.set_content(f"{body}\n\nAm Mo., 16. Nov. 2026 um 10:05 Uhr schrieb Nordlicht Kundenservice "
                     f"<service@nordlicht.example>:\n\n{quoted}\n")
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for name, data, ctype in files:
        maintype, subtype = ctype.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def new_mail(body: str, sender="neu@example.org", to="service@nordlicht.example", subject="Frage",
             message_id="<new-1@example.org>", **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Nina Neu <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def receive(app, raw: bytes, at=None, **kwargs):
    from app.inbound.service import receive_mail

    with app.app_context():
        return receive_mail(raw, now=at or NOW + dt.timedelta(hours=1), **kwargs)


def thread(app, number) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        return [(m.author, m.channel, m.visibility, m.body) for m in case.messages]


def case_row(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def agent_answer(app, number, body="Hallo Kim, wir haben das Paket neu verschickt."):
    response = post_json(agent_client(app), f"/api/agent/cases/{number}/reply", {"body": body})
    assert response.status_code == 201, response.get_json()
    return sent_as(app, outbox_mails(app)[-1])


def png(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "PNG")
    return buffer.getvalue()


# --- outgoing: every mail about a case can be answered into it ----------------------------------------------

def test_every_mail_about_a_case_has_its_number_a_signed_reply_address_and_one_thread(shop, clock):
    number = open_case(customer_client(shop), email_case())
    ack = sent_as(shop, outbox_mails(shop)[-1])
    assert number in ack["Subject"]
    reply_address = ack["Reply-To"].addresses[0].addr_spec
    assert reply_address.startswith(f"service+{number.lower()}.") and reply_address.endswith("@nordlicht.example")
    assert ack["Auto-Submitted"] == "auto-generated"

    answer = agent_answer(shop, number)
    assert number in answer["Subject"]
    assert answer["Reply-To"].addresses[0].addr_spec == reply_address
    assert answer["Auto-Submitted"] is None  # a person's letter
    assert answer["In-Reply-To"] == ack["Message-ID"]
    assert answer["References"].split() == [ack["Message-ID"]]
    with shop.app_context():
        stored = db.session.scalar(select(CaseMessage.email_message_id).where(CaseMessage.author == "agent"))
    assert stored == answer["Message-ID"] != ack["Message-ID"]

    # The customer answers by mail; the agent's next mail answers that one and keeps the whole chain.
    receive(shop, reply_to(answer, "Danke, ist angekommen?"))
    second = agent_answer(shop, number, "Ja, morgen.")
    assert second["In-Reply-To"] == "<reply-1@mail.example.com>"
    assert second["References"].split() == [ack["Message-ID"], answer["Message-ID"], "<reply-1@mail.example.com>"]


def test_the_reply_address_cannot_be_made_up_for_another_case(shop, clock):
    from app.cases.mail_thread import case_number_in_address, reply_address

    with shop.app_context():
        genuine = reply_address("NL-2026-000001")
        assert case_number_in_address(genuine) == "NL-2026-000001"
        assert case_number_in_address(genuine.upper()) == "NL-2026-000001"  # servers that upper-case
        assert case_number_in_address(genuine.replace("000001", "000002")) is None
        assert case_number_in_address("service+nl-2026-000001.aaaaaaaaaaaaaaaa@nordlicht.example") is None
        for odd in ("", "kein@", "@@", "service@nordlicht.example", "x+y@z", "+" * 300):
            assert case_number_in_address(odd) is None


# --- a reply lands in its case ------------------------------------------------------------------------------

def test_a_mailed_reply_lands_in_its_case_trimmed_and_masked_and_the_agent_sees_it_as_new(shop, clock):
    kim = customer_client(shop)
    number = open_case(kim, email_case())
    answer = agent_answer(shop, number)
    outcome = receive(shop, reply_to(answer, f"Es ist nicht angekommen. Meine Karte: {CARD}\n\nViele Grüße\nKim"))
    assert (outcome.kind, outcome.case_number) == ("threaded", number)
    author, channel, visibility, body = thread(shop, number)[-1]
    assert (author, channel, visibility) == ("customer", "email", "public")
    assert body == "Es ist nicht angekommen. Meine Karte: 411111******1111\n\nViele Grüße\nKim"
    assert "wir haben das Paket neu verschickt" not in body  # the quoted history is not stored again
    # The customer sees it in the thread, by API and on the page; the agent sees it marked as new.
    messages = kim.get(f"/api/cases/{number}").get_json()["messages"]
    assert messages[-1]["from"] == "customer" and messages[-1]["body"].startswith("Es ist nicht angekommen.")
    page = agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert "1 neue Kundennachricht" in page and "Es ist nicht angekommen." in page
    assert CARD not in page


def test_html_only_replies_lose_their_quoted_part(shop, clock):
    number = open_case(customer_client(shop), email_case())
    answer = agent_answer(shop, number)
    html = ('<div dir="ltr">Hallo,<br>passt <b>so</b>.<div>Gruß Kim</div></div><br>'
            '<div class="gmail_quote"><div class="gmail_attr">Am Mo. schrieb Nordlicht:</div>'
            '<blockquote>Hallo Kim, wir haben das Paket neu verschickt.</blockquote></div>')
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "kim.berg@example.com", answer["Reply-To"], "Re: x"
    mail["Message-ID"] = "<html-1@example.com>"
    mail.set_content(html, subtype="html")
    assert receive(shop, mail.as_bytes()).kind == "threaded"
    assert thread(shop, number)[-1][-1] == "Hallo,\npasst so.\nGruß Kim"


def test_a_reply_to_a_resolved_case_reopens_it_within_14_days_and_later_starts_a_linked_case(shop, clock):
    number = open_case(customer_client(shop), email_case())
    answer = agent_answer(shop, number)
    agent = agent_client(shop)
    assert post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "information"}).status_code == 200
    outcome = receive(shop, reply_to(answer, "Doch noch eine Frage."), at=NOW + dt.timedelta(days=3))
    assert outcome.kind == "threaded" and case_row(shop, number).status == "open"

    assert post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "information"}).status_code == 200
    later = receive(shop, reply_to(answer, "Und noch eine, Wochen später.", message_id="<late@mail.example.com>"),
                    at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30))
    assert later.kind == "new_case" and later.case_number != number
    follow = case_row(shop, later.case_number)
    assert (follow.contact_email, follow.channel, follow.status) == ("kim.berg@example.com", "email", "new")
    assert thread(shop, later.case_number)[-1][-1] == "Und noch eine, Wochen später."


def test_the_same_mail_delivered_twice_is_stored_once(shop, clock):
    number = open_case(customer_client(shop), email_case())
    raw = reply_to(agent_answer(shop, number), "Nur einmal bitte.")
    assert receive(shop, raw).kind == "threaded"
    assert receive(shop, raw).kind == "duplicate"
    assert [m[-1] for m in thread(shop, number)].count("Nur einmal bitte.") == 1


def test_attachments_are_checked_as_on_the_form_and_refusals_noted_for_the_agent(shop, clock):
    number = open_case(customer_client(shop), email_case())
    answer = agent_answer(shop, number)
    files = [("foto.png", png(), "image/png"), ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream"),
             ("b.png", png("blue"), "image/png"), ("c.png", png("green"), "image/png"),
             ("d.png", png("white"), "image/png")]
    assert receive(shop, reply_to(answer, "Fotos anbei.", files=files)).kind == "threaded"
    with shop.app_context():
        names = list(db.session.scalars(select(CaseAttachment.filename).order_by(CaseAttachment.id)))
        first_id = db.session.scalar(select(CaseAttachment.id).order_by(CaseAttachment.id))
        note = db.session.scalar(select(CaseMessage.body).where(CaseMessage.visibility == "internal",
                                                                CaseMessage.event == "mail_note"))
    assert names == ["foto.png", "b.png", "c.png"]
    assert "virus.exe" in note and "d.png" in note
    assert "virus" not in customer_client(shop).get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    agent = agent_client(shop)
    assert "virus.exe" in agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    # The mail's file is kept like the form's, bytes in the database: any node hands it to the agent.
    download = agent.get(f"/agent/anfrage/{number}/anhang/{first_id}")
    assert download.status_code == 200 and download.data.startswith(b"\x89PNG") and download.mimetype == "image/png"
    download.close()


# --- everything else: a new unverified case, or nothing -------------------------------------------------------

def test_mail_without_a_valid_token_opens_a_new_unverified_case_and_is_acknowledged(shop, clock):
    outcome = receive(shop, new_mail(f"Hallo, wo bleibt Bestellung 500001? Karte {CARD}", sender="Anna@Example.org"))
    assert outcome.kind == "new_case"
    case = case_row(shop, outcome.case_number)
    assert (case.channel, case.verified, case.topic, case.contact_email, case.contact_name, case.customer_id) == (
        "email", False, "sonstiges", "anna@example.org", "Nina Neu", None)
    assert CARD not in case.message and "411111******1111" in case.message
    assert thread(shop, case.number)[0][:2] == ("customer", "email")
    ack = sent_as(shop, outbox_mails(shop, to="anna@example.org")[-1])
    assert case.number in ack["Subject"] and ack["In-Reply-To"] == "<new-1@example.org>"
    assert ack["Reply-To"].addresses[0].addr_spec.startswith(f"service+{case.number.lower()}.")
    # Its acknowledgement can be answered into it like any other case.
    assert receive(shop, reply_to(ack, "Noch ein Nachtrag.", sender="anna@example.org")).case_number == case.number


def test_a_tampered_token_or_another_sender_never_reaches_the_case(shop, clock):
    number = open_case(customer_client(shop), email_case())
    answer = agent_answer(shop, number)
    before = thread(shop, number)
    genuine = answer["Reply-To"].addresses[0].addr_spec
    token = genuine.partition(".")[2].partition("@")[0]
    for n, address in enumerate([genuine.replace(token, token[::-1]), genuine.replace(token, "a" * 16),
                                 genuine.replace(number.lower(), "nl-2026-000099")]):
        forged = reply_to(answer, "Ich bin es wirklich.", message_id=f"<forged{n}@evil.example>", to=address)
        assert receive(shop, forged).kind == "new_case"
    stranger = receive(shop, reply_to(answer, "Bitte an mich schicken.", sender="mallory@evil.example",
                                      message_id="<other@evil.example>"))
    assert stranger.kind == "new_case" and stranger.case_number != number
    assert thread(shop, number) == before
    with shop.app_context():
        note = db.session.scalar(select(CaseMessage.body).join(Case).where(Case.number == stranger.case_number,
                                                                           CaseMessage.visibility == "internal"))
    assert number in note and "anderen Absenderadresse" in note
    assert case_row(shop, stranger.case_number).verified is False


@pytest.mark.parametrize("headers,envelope_sender", [
    ({"Auto_Submitted": "auto-replied"}, None),
    ({"Auto_Submitted": "auto-generated"}, None),
    ({"Precedence": "bulk"}, None),
    ({"Precedence": "auto_reply"}, None),
    ({"List_Id": "<kunden.lists.example.org>"}, None),
    ({"List_Unsubscribe": "<mailto:leave@example.org>"}, None),
    ({"X_Autoreply": "yes"}, None),
    ({"Return_Path": "<>"}, None),
    ({}, ""),
], ids=["auto-replied", "auto-generated", "bulk", "auto_reply", "list-id", "list-unsubscribe", "x-autoreply",
        "return-path", "empty-envelope"])
def test_automatic_mail_never_opens_or_answers_a_case(shop, clock, headers, envelope_sender):
    number = open_case(customer_client(shop), email_case())
    answer = agent_answer(shop, number)
    before_mails, before_thread = len(outbox_mails(shop)), thread(shop, number)
    for raw in (reply_to(answer, "Ich bin nicht im Büro.", **headers),
                new_mail("Ich bin nicht im Büro.", message_id="<ooo@example.org>", **headers)):
        assert receive(shop, raw, envelope_sender=envelope_sender).kind == "ignored"
    assert thread(shop, number) == before_thread
    assert len(outbox_mails(shop)) == before_mails  # nothing answered: no loop
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_bounces_and_our_own_mail_are_dropped(shop, clock):
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    bounce["To"] = "service@nordlicht.example"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.set_content("This is the mail system at host mx.example.org.")
    own = new_mail("Schleife?", sender="service@nordlicht.example", message_id="<own@nordlicht.example>")
    report = EmailMessage()
    report["From"] = "postfix@mx.example.org"
    report["Subject"] = "Delivery Status Notification"
    report.set_content("failed")
    report.add_attachment("Reporting-MTA: dns; mx.example.org", subtype="plain")
    raw_report = report.as_bytes().replace(b"multipart/mixed", b"multipart/report")
    own_reply_address = new_mail("Schleife?", sender="service+nl-2026-000001.abcdefghijklmnop@nordlicht.example",
                                 message_id="<own2@nordlicht.example>")
    for raw in (bounce.as_bytes(), own, raw_report, own_reply_address):
        assert receive(shop, raw).kind == "ignored"
    # A customer whose own address happens to start like ours is a customer.
    assert receive(shop, new_mail("Hallo", sender="service+shop@gmail.example", message_id="<c@x>")).kind == "new_case"
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize("raw,kind", [
    (b"", "ignored"), (b"\x00\xff\xfe garbage", "ignored"), (b"From: \r\n\r\n", "ignored"),
    (b"From: a@b.de\r\nSubject: =?x?Q?\r\n\r\nhi", "new_case"),
    (b"From: a@b.de\r\nContent-Type: text/plain; charset=unknown-8\r\n\r\nGr\xfc\xdfe", "new_case"),
    (b"From: a@b.de\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--", "ignored"),
    (b"From: a@b.de\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64", "new_case"),
], ids=["empty", "binary", "no-sender", "broken-subject", "unknown-charset", "empty-multipart", "broken-base64"])
def test_odd_input_never_fails(shop, clock, raw, kind):
    outcome = receive(shop, raw)
    assert outcome.kind == kind
    if kind == "new_case":
        assert case_row(shop, outcome.case_number).message.strip()


# --- the pipe command ------------------------------------------------------------------------------------------

def test_mail_inbound_reads_stdin_for_a_postfix_pipe(shop, clock):
    number = open_case(customer_client(shop), email_case())
    raw = reply_to(agent_answer(shop, number), "Per Pipe.")
    runner = shop.test_cli_runner()
    result = runner.invoke(args=["mail", "inbound", "--sender", "kim.berg@example.com"], input=raw)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"threaded {number}"
    assert thread(shop, number)[-1][-1] == "Per Pipe."
    again = runner.invoke(args=["mail", "inbound"], input=raw)
    assert again.output.strip() == f"duplicate {number}"
    bounce = runner.invoke(args=["mail", "inbound", "--sender", ""], input=new_mail("Undeliverable"))
    assert (bounce.exit_code, bounce.output.strip()) == (0, "ignored empty-return-path")


def test_mail_inbound_asks_postfix_to_retry_when_the_database_is_away(shop, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def away(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("app.inbound.cli.receive_mail", away)
    result = shop.test_cli_runner().invoke(args=["mail", "inbound"], input=new_mail("Hallo"))
    assert result.exit_code == 75


def test_a_mail_delivered_twice_at_once_is_stored_once(shop, clock):
    """Postfix retrying while an IMAP poll reads the same mail: threads at once, one message (PostgreSQL shows it)."""
    from tests.test_concurrency import race

    number = open_case(customer_client(shop), email_case())
    raw = reply_to(agent_answer(shop, number), "Gleichzeitig.")
    if shop.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    results = race(6, lambda i: (lambda: receive(shop, raw).kind))
    assert sorted(results).count("threaded") == 1 and set(results) <= {"threaded", "duplicate"}
    assert [m[-1] for m in thread(shop, number)].count("Gleichzeitig.") == 1
