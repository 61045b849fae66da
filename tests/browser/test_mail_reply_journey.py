"""An e-mail answer threads into its case, in a real browser at desktop width and on a 360 px phone: the agent
answers on the case page, the customer answers that mail from her mail program, the reply reaches the help center
through the real `flask mail inbound` command (as a Postfix pipe runs it) or through `flask mail fetch` from a real
IMAP mailbox (dovecot), and both see it in the one thread."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.transports import Envelope, build_email
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_conversation_journey import _no_sideways_scroll, _open_case

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def last_mail_to(server, address: str):
    """The newest mail for the address, as the outbox worker would send it."""
    app = server.app
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                                 .order_by(OutboxMessage.id.desc())).first()
        envelope = Envelope(row.id, row.kind, row.recipient, row.subject, row.body,
                            json.loads(row.headers) if row.headers else {}, row.created_at, row.attempts)
        raw = build_email(envelope, app.config["HELPCENTER_MAIL_FROM"], row.created_at).as_bytes()
    return BytesParser(policy=policy.default).parsebytes(raw)


def answer_from_phone(original, text: str, sender: str) -> bytes:
    """What a phone's mail app sends for "Antworten": to the Reply-To, with the history quoted below."""
    reply = EmailMessage()
    reply["From"] = f"Anna Schmidt <{sender}>"
    reply["To"] = original["Reply-To"].addresses[0].addr_spec
    reply["Subject"] = f"AW: {original['Subject']}"
    reply["Message-ID"] = f"<{os.urandom(6).hex()}@mobil.example.com>"
    reply["In-Reply-To"] = reply["References"] = str(original["Message-ID"])
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    reply.set_content(f"{text}\n\nVon meinem iPhone gesendet\n\nAm 03.12.2026 um 14:10 schrieb Nordlicht "
                      f"Kundenservice <service@nordlicht.example>:\n\n{quoted}\n")
    return reply.as_bytes()


def environment_of(server) -> dict:
    """The settings the help center's command line needs to reach the live server's database."""
    config = server.app.config
    return {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": config["SECRET_KEY"],
            "HELPCENTER_CONTENT_DIR": config["HELPCENTER_CONTENT_DIR"],
            "HELPCENTER_INDEX_DIR": config["HELPCENTER_INDEX_DIR"], "HELPCENTER_MAIL_BACKEND": "console"}


def pipe_into_help_center(server, raw: bytes) -> str:
    """Postfix's pipe transport: the message on stdin of `flask --app wsgi mail inbound`."""
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "--app", "wsgi", "mail", "inbound", "--sender", "anna.schmidt@example.com"],
                            input=raw, capture_output=True, cwd=ROOT, env=environment_of(server), timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def fetch_from_mailbox(server, mailbox, raw: bytes) -> str:
    """The reply arrives in the service mailbox; `flask --app wsgi mail fetch` (cron) reads it by IMAP."""
    from tests.imap_server import append_message

    append_message(mailbox, raw)
    flask = Path(sys.executable).with_name("flask")
    env = {**environment_of(server), "HELPCENTER_IMAP_HOST": mailbox.host, "HELPCENTER_IMAP_PORT": str(mailbox.port),
           "HELPCENTER_IMAP_USER": mailbox.user, "HELPCENTER_IMAP_PASSWORD": mailbox.password,
           "HELPCENTER_IMAP_CA_FILE": mailbox.ca_file, "HELPCENTER_IMAP_FOLDER": "INBOX"}
    result = subprocess.run([str(flask), "--app", "wsgi", "mail", "fetch"], capture_output=True, cwd=ROOT, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
    return result.stdout.decode().strip()


@pytest.fixture
def mailbox(imap_server):
    from tests.imap_server import empty_mailbox

    empty_mailbox(imap_server)
    return imap_server


@pytest.mark.parametrize(("width", "height", "way"), [(1280, 900, "pipe"), (360, 740, "pipe"),
                                                      (1280, 900, "imap"), (360, 740, "imap")])
def test_a_mailed_reply_reaches_the_agent_and_the_customers_thread(browser, demo_shop, request, width, height, way):
    server = demo_shop
    number = _open_case(server, f"Wo bleibt mein Paket? ({width} px, {way})")
    agent_context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    customer_context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    try:
        agent, customer = agent_context.new_page(), customer_context.new_page()
        for p in (agent, customer):
            p.set_default_timeout(10_000)
        sign_in(agent, server.url, "agent@example.com", "demo-agent")
        agent.goto(server.url + f"/agent/anfrage/{number}")
        agent.get_by_label("Antwort an die Kundin/den Kunden").fill("Guten Tag, wir schicken das Paket neu.")
        agent.get_by_role("button", name="Antwort senden").click()
        expect(agent.get_by_text("Antwort ist unterwegs.")).to_be_visible()

        mail = last_mail_to(server, "anna.schmidt@example.com")
        assert number in mail["Subject"] and mail["Auto-Submitted"] is None
        reply = answer_from_phone(mail, "Danke, bitte an die Packstation 123.", "anna.schmidt@example.com")
        if way == "pipe":
            assert pipe_into_help_center(server, reply) == f"threaded {number}"
        else:
            report = fetch_from_mailbox(server, request.getfixturevalue("mailbox"), reply)
            assert report.startswith("1 fetched: 1 threaded"), report

        agent.reload()
        marked = agent.locator("[data-thread] [data-new]")
        expect(marked).to_have_count(1)
        expect(marked).to_contain_text("Danke, bitte an die Packstation 123.")
        expect(marked).to_contain_text("E-Mail")
        expect(marked).not_to_contain_text("wir schicken das Paket neu")  # the quoted history is trimmed
        _no_sideways_scroll(agent)
        assert_accessible(agent)

        sign_in(customer, server.url, "anna.schmidt@example.com", "demo-kunde")
        customer.goto(server.url + f"/kontakt/anfrage/{number}")
        thread = customer.locator("[data-thread]")
        expect(thread.locator('[data-from="agent"]')).to_contain_text("wir schicken das Paket neu")
        expect(thread.locator('[data-from="customer"]').last).to_contain_text("bitte an die Packstation 123")
        _no_sideways_scroll(customer)
    finally:
        agent_context.close()
        customer_context.close()
