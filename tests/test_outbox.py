"""The outbox: queued in the caller's transaction, delivered once by SMTP, the console or a signed webhook."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.extensions import db
from app.insights.models import SearchLog, utcnow
from app.outbox.delivery import deliver_due, retry_delay
from app.outbox.models import OutboxMessage
from app.outbox.service import queue_email, queue_webhook
from tests.conftest import FIXTURE_CONTENT, ROOT

ADDRESS = "kim.berg@example.com"
SUBJECT = "Ihre Rücksendung ist angekommen – Größe „XL“"
BODY = "Hallo Kim,\n\nwir haben Ihre Rücksendung erhalten. Grüße aus Köln, Jörg & Anneliese Müßig\n"
CARD = "4111 1111 1111 1111"
SECRET = "webhook-geheimnis"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int, password: str | None = None):
        self.port = port
        self.received: list[SimpleNamespace] = []
        self._lock = threading.Lock()
        options = {}
        if password is not None:
            options = {"authenticator": self._authenticator(password), "auth_require_tls": False}
        self.controller = Controller(self, hostname="127.0.0.1", port=port, **options)

    @staticmethod
    def _authenticator(password: str):
        def check(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself
        return check

    async def handle_DATA(self, server, session, envelope):
        # The wire has CRLF line ends; the tests compare with Python text.
        parsed = email.message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=email.policy.default)
        with self._lock:
            self.received.append(SimpleNamespace(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                                                 message=parsed, raw=envelope.content))
        return "250 Message accepted"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def smtp_server(smtp_port):
    with SmtpSink(smtp_port) as sink:
        yield sink


@pytest.fixture
def mail_app(make_app, fixture_index, smtp_port):
    """An app that mails through SMTP on smtp_port (started by smtp_server, or not at all)."""
    return make_app(index_dir=fixture_index, HELPCENTER_MAIL_BACKEND="smtp", HELPCENTER_SMTP_HOST="127.0.0.1",
                    HELPCENTER_SMTP_PORT=smtp_port, HELPCENTER_SMTP_TIMEOUT=5)


class WebhookReceiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        with server.lock:
            server.requests.append(SimpleNamespace(path=self.path, headers=dict(self.headers), body=body))
            status = server.statuses.pop(0) if server.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
    server.requests, server.statuses, server.lock = [], [], threading.Lock()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cases"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def queue(app, *messages) -> list[int]:
    """Queue (function, args…) tuples in one committed transaction; their ids."""
    with app.app_context():
        rows = [function(*args) for function, *args in messages]
        db.session.commit()
        return [row.id for row in rows]


def row(app, message_id: int) -> SimpleNamespace:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        return SimpleNamespace(**{c.name: getattr(message, c.name) for c in OutboxMessage.__table__.columns})


def deliver(app, now=None, batch=50):
    with app.app_context():
        return deliver_due(now=now, batch=batch)


def count(app, model=OutboxMessage) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_queued_email_arrives_with_subject_umlauts_message_id_and_sender(mail_app, smtp_server):
    [message_id] = queue(mail_app, (queue_email, ADDRESS, SUBJECT, BODY))
    report = deliver(mail_app)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [mail] = smtp_server.received
    assert mail.rcpt_tos == [ADDRESS] and mail.mail_from == "service@nordlicht.example"
    message = mail.message
    assert message["Subject"] == SUBJECT
    assert message["To"] == ADDRESS
    assert message["From"] == "Nordlicht Kundenservice <service@nordlicht.example>"
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(rf"<outbox\.{message_id}\.\d{{14}}@nordlicht\.example>", message["Message-ID"])
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    assert max(len(line) for line in mail.raw.splitlines()) <= 78  # 7-bit safe for any relay
    stored = row(mail_app, message_id)
    assert stored.sent_at is not None and stored.next_attempt_at is None and stored.claimed_until is None
    assert stored.attempts == 0
    assert deliver(mail_app).total == 0 and len(smtp_server.received) == 1


def test_smtp_down_keeps_the_message_and_sends_it_once_when_back(mail_app, smtp_port):
    [message_id] = queue(mail_app, (queue_email, ADDRESS, SUBJECT, BODY))
    start = utcnow()
    report = deliver(mail_app, now=start)  # nothing listens on smtp_port: no exception escapes
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    waiting = row(mail_app, message_id)
    assert waiting.attempts == 1 and waiting.sent_at is None and waiting.failed_at is None
    assert waiting.next_attempt_at >= start + retry_delay(1) and waiting.claimed_until is None
    assert "refused" in waiting.last_error.lower() and ADDRESS not in waiting.last_error

    with SmtpSink(smtp_port) as sink:
        assert deliver(mail_app, now=start + dt.timedelta(seconds=10)).total == 0  # still backing off
        assert sink.received == []
        report = deliver(mail_app, now=start + dt.timedelta(seconds=31))
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        for minutes in (5, 60, 600):
            assert deliver(mail_app, now=start + dt.timedelta(minutes=minutes)).total == 0
        assert len(sink.received) == 1
    assert sink.received[0].message.get_content() == BODY
    assert row(mail_app, message_id).sent_at is not None


def test_retry_delay_doubles_and_is_capped_at_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(8).total_seconds() == 3600 and retry_delay(50).total_seconds() == 3600


def test_racing_workers_send_every_message_exactly_once(mail_app, smtp_server):
    ids = queue(mail_app, *[(queue_email, f"kunde{n}@example.com", f"Nachricht {n}", BODY) for n in range(24)])
    start, workers = threading.Barrier(4), []
    reports, errors = [], []

    def work():
        try:
            with mail_app.app_context():
                start.wait(10)
                reports.append(deliver_due(batch=10))
                reports.append(deliver_due(batch=10))
        except Exception as exc:  # reported below: a thread cannot fail the test on its own
            errors.append(exc)

    for _ in range(4):
        workers.append(threading.Thread(target=work))
        workers[-1].start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert sum(report.sent for report in reports) == 24
    assert sum(report.retried + report.failed for report in reports) == 0
    recipients = sorted(rcpt for mail in smtp_server.received for rcpt in mail.rcpt_tos)
    assert recipients == sorted(f"kunde{n}@example.com" for n in range(24))
    assert len({mail.message["Message-ID"] for mail in smtp_server.received}) == 24
    assert all(row(mail_app, message_id).sent_at for message_id in ids)


def test_a_lease_held_by_a_worker_is_respected_and_ends_when_the_worker_died(mail_app, smtp_server):
    [message_id] = queue(mail_app, (queue_email, ADDRESS, SUBJECT, BODY))
    now = utcnow()
    with mail_app.app_context():
        db.session.get(OutboxMessage, message_id).claimed_until = now + dt.timedelta(minutes=10)
        db.session.commit()
    assert deliver(mail_app, now=now).total == 0
    assert deliver(mail_app, now=now + dt.timedelta(minutes=11)).sent == 1
    assert len(smtp_server.received) == 1


def _claim_and_die(app, now):
    """A worker claims every due message and is killed before it sends any (no lease renewal)."""
    from sqlalchemy.orm import Session

    from app.outbox.delivery import LEASE, _claim

    with app.app_context(), Session(db.engine) as session:
        return _claim(session, now, 50, now + LEASE)


def _send_then_die(app, monkeypatch, now):
    """A worker sends a message and is killed before it can record it as sent."""
    from app.outbox import delivery

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "_record_sent", killed)
        with pytest.raises(SystemExit):
            deliver(app, now=now)


@pytest.mark.parametrize("death", ["after claiming", "while sending"])
def test_a_killed_workers_messages_go_out_within_a_minute_with_the_same_message_id(mail_app, smtp_server,
                                                                                    monkeypatch, death):
    [message_id] = queue(mail_app, (queue_email, ADDRESS, SUBJECT, BODY))
    now = utcnow()
    if death == "after claiming":
        assert _claim_and_die(mail_app, now) == [message_id]
    else:
        _send_then_die(mail_app, monkeypatch, now)
    assert deliver(mail_app, now=now + dt.timedelta(seconds=30)).total == 0  # the lease still holds
    assert deliver(mail_app, now=now + dt.timedelta(seconds=61)).sent == 1
    assert row(mail_app, message_id).sent_at is not None
    ids = {mail.message["Message-ID"] for mail in smtp_server.received}
    assert len(smtp_server.received) == (1 if death == "after claiming" else 2)
    assert len(ids) == 1 and re.fullmatch(rf"<outbox\.{message_id}\.\d{{14}}@nordlicht\.example>", ids.pop())


def test_a_live_worker_renews_the_lease_of_the_messages_it_still_holds(mail_app, smtp_server, monkeypatch):
    from app.outbox import delivery

    ids = queue(mail_app, *[(queue_email, ADDRESS, f"Nachricht {n}", BODY) for n in range(3)])
    now = utcnow()
    leases = {}
    send = delivery._send

    def slow_send(envelope, *args):
        leases[envelope.id] = row(mail_app, envelope.id).claimed_until
        send(envelope, *args)

    monkeypatch.setattr(delivery, "RENEW_AFTER", dt.timedelta(0))  # renew before every send
    monkeypatch.setattr(delivery, "_send", slow_send)
    assert deliver(mail_app, now=now).sent == 3
    assert all(leases[message_id] > now + delivery.LEASE for message_id in ids)
    assert delivery.LEASE <= dt.timedelta(seconds=60)


def test_gives_up_after_the_maximum_attempts(make_app, fixture_index, smtp_port):
    app = make_app(index_dir=fixture_index, HELPCENTER_SMTP_HOST="127.0.0.1", HELPCENTER_SMTP_PORT=smtp_port,
                   HELPCENTER_OUTBOX_MAX_ATTEMPTS=3)
    [message_id] = queue(app, (queue_email, ADDRESS, SUBJECT, BODY))
    now = utcnow()
    outcomes = []
    for _ in range(3):
        report = deliver(app, now=now)
        outcomes.append((report.retried, report.failed))
        now += dt.timedelta(hours=2)
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    given_up = row(app, message_id)
    assert given_up.failed_at is not None and given_up.attempts == 3 and given_up.next_attempt_at is None
    with SmtpSink(smtp_port) as sink:
        assert deliver(app, now=now + dt.timedelta(days=3)).total == 0
    assert sink.received == []
    assert "queued 0, sent 0, failed 1" in app.test_cli_runner().invoke(args=["outbox", "status"]).output


@pytest.mark.parametrize("to, subject", [
    ("kim.berg@example.com\r\nBcc: alle@example.com", "Hallo"),
    ("kim.berg@example.com\nBcc: alle@example.com", "Hallo"),
    ("kim.berg@example.com", "Hallo\r\nBcc: alle@example.com"),
    ("kim.berg@example.com", "Hallo\nX-Spam: nein"),
    ("keine-adresse", "Hallo"),
    ("kim.berg@example.com, alle@example.com", "Hallo"),
    ("Kim <kim.berg@example.com>", "Hallo"),
    ("", "Hallo"),
])
def test_header_injection_and_malformed_addresses_are_refused(app, to, subject):
    with app.app_context():
        with pytest.raises(ValueError):
            queue_email(to, subject, BODY)
        db.session.commit()
    assert count(app) == 0


def test_webhook_urls_must_be_http(app):
    with app.app_context():
        for url in ("file:///etc/passwd", "ftp://example.com/x", "/relative", "https://example.com/a\r\nX: y"):
            with pytest.raises(ValueError):
                queue_webhook(url, {"a": 1}, SECRET)
        with pytest.raises(ValueError):
            queue_webhook("https://example.com/hook", {"a": 1}, "")
    assert count(app) == 0


def test_card_numbers_are_masked_before_they_are_stored(app):
    [mail_id, hook_id] = queue(
        app,
        (queue_email, ADDRESS, f"Zahlung mit {CARD}", f"Ihre Karte {CARD} wurde belastet. Bestellung 400001."),
        (queue_webhook, "https://shop.example/hooks", {"note": f"Karte {CARD}", "order": 4111111111111111}, SECRET),
    )
    mail, hook = row(app, mail_id), row(app, hook_id)
    assert "411111******1111" in mail.subject and "411111******1111" in mail.body
    assert "1111 1111" not in mail.subject + mail.body and "Bestellung 400001" in mail.body
    assert json.loads(hook.body) == {"note": "Karte 411111******1111", "order": 4111111111111111}
    assert hook.payload == hook.body


def test_the_same_dedupe_key_gives_the_existing_row(app):
    with app.app_context():
        first = queue_email(ADDRESS, SUBJECT, BODY, dedupe_key="status:7:delivered")
        again = queue_email(ADDRESS, "anderer Betreff", BODY, dedupe_key="status:7:delivered")
        assert again.id == first.id and again.subject == SUBJECT
        first_id = first.id
        db.session.commit()
    with app.app_context():  # a later transaction too
        later = queue_email(ADDRESS, SUBJECT, BODY, dedupe_key="status:7:delivered")
        other = queue_email(ADDRESS, SUBJECT, BODY, dedupe_key="status:7:returned")
        hook = queue_webhook("https://shop.example/hooks", {"a": 1}, SECRET, dedupe_key="hook:1")
        assert queue_webhook("https://shop.example/hooks", {"a": 2}, SECRET, dedupe_key="hook:1").id == hook.id
        assert later.id == first_id and other.id != first_id
        db.session.commit()
    assert count(app) == 3


def test_a_signed_webhook_is_delivered_and_a_500_is_retried(app, webhook_server):
    payload = {"event": "case.created", "case": "K-2026-0001", "summary": "Größe passt nicht"}
    webhook_server.statuses[:] = [500]
    [message_id] = queue(app, (queue_webhook, webhook_server.url, payload, SECRET))
    start = utcnow()
    report = deliver(app, now=start)
    assert (report.sent, report.retried) == (0, 1)
    failed = row(app, message_id)
    assert failed.attempts == 1 and failed.sent_at is None and failed.last_error == "HTTP 500"
    report = deliver(app, now=start + dt.timedelta(seconds=31))
    assert (report.sent, report.retried) == (1, 0)
    assert deliver(app, now=start + dt.timedelta(hours=1)).total == 0

    first, second = webhook_server.requests
    assert first.body == second.body and first.path == "/hooks/cases"
    assert json.loads(second.body.decode("utf-8")) == payload
    expected = hmac.new(SECRET.encode(), second.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(second.headers["X-Signature"], f"sha256={expected}")
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["X-Outbox-Id"] == str(message_id)
    assert second.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]
    assert row(app, message_id).sent_at is not None


@pytest.mark.parametrize("status", [302, 404])
def test_a_webhook_answered_without_2xx_is_retried_not_followed(app, webhook_server, status):
    webhook_server.statuses[:] = [status]
    [message_id] = queue(app, (queue_webhook, webhook_server.url, {"a": 1}, SECRET))
    assert deliver(app).retried == 1
    assert [r.path for r in webhook_server.requests] == ["/hooks/cases"]
    assert row(app, message_id).last_error == f"HTTP {status}"


def test_an_unreachable_webhook_is_retried(app):
    [message_id] = queue(app, (queue_webhook, f"http://127.0.0.1:{_free_port()}/hook", {"a": 1}, SECRET))
    assert deliver(app).retried == 1
    assert row(app, message_id).last_error


def test_rolling_back_the_causing_transaction_leaves_no_outbox_row(app):
    with app.app_context():
        db.session.add(SearchLog(query="Rücksendung", lang="de", result_count=0))
        db.session.flush()
        queue_email(ADDRESS, SUBJECT, BODY)
        queue_webhook("https://shop.example/hooks", {"a": 1}, SECRET, dedupe_key="case:1")
        db.session.rollback()
    with app.app_context():  # the outbox row as the transaction's first write
        queue_email(ADDRESS, SUBJECT, BODY, dedupe_key="reset:1")
        db.session.rollback()
    assert count(app) == 0 and count(app, SearchLog) == 0

    with app.app_context():
        db.session.add(SearchLog(query="Rücksendung", lang="de", result_count=0))
        queue_email(ADDRESS, SUBJECT, BODY)
        db.session.commit()
    assert count(app) == 1 and count(app, SearchLog) == 1


def test_cli_work_once_and_status(mail_app, smtp_server):
    runner = mail_app.test_cli_runner()
    queue(mail_app, (queue_email, ADDRESS, SUBJECT, BODY), (queue_email, "jan@example.com", SUBJECT, BODY))
    assert runner.invoke(args=["outbox", "status"]).output.strip() == "queued 2, sent 0, failed 0"
    result = runner.invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, retried 0, failed 0"
    assert runner.invoke(args=["outbox", "status"]).output.strip() == "queued 0, sent 2, failed 0"
    assert len(smtp_server.received) == 2


def test_cli_refuses_an_unknown_mail_backend(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_MAIL_BACKEND="brieftaube")
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 1 and "HELPCENTER_MAIL_BACKEND" in result.output


def test_the_console_backend_prints_the_mail(make_app, fixture_index, capsys):
    app = make_app(index_dir=fixture_index, HELPCENTER_MAIL_BACKEND="console")
    [message_id] = queue(app, (queue_email, ADDRESS, SUBJECT, BODY))
    assert deliver(app).sent == 1
    printed = capsys.readouterr().out
    assert f"To: {ADDRESS}" in printed and f"Subject: {SUBJECT}" in printed
    assert "Grüße aus Köln, Jörg & Anneliese Müßig" in printed and "Message-ID: <outbox." in printed
    assert row(app, message_id).sent_at is not None


def test_smtp_login_and_logs_without_addresses_bodies_or_passwords(make_app, fixture_index, smtp_port, caplog,
                                                                    monkeypatch):
    # Alembic's fileConfig() in migrations/env.py disables the loggers that exist when a test
    # database is migrated; switch ours back on so this test sees what production would log.
    for name in ("app", "app.outbox", "app.outbox.delivery", "app.outbox.cli"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.DEBUG, logger="app")
    settings = dict(index_dir=fixture_index, HELPCENTER_SMTP_HOST="127.0.0.1", HELPCENTER_SMTP_PORT=smtp_port,
                    HELPCENTER_SMTP_USER="mailer")
    wrong = make_app(HELPCENTER_SMTP_PASSWORD="falsches-passwort", **settings)
    right = make_app(HELPCENTER_SMTP_PASSWORD="richtiges-passwort", **settings)
    [message_id] = queue(wrong, (queue_email, ADDRESS, SUBJECT, f"{BODY} Karte {CARD}"))
    start = utcnow()
    with SmtpSink(smtp_port, password="richtiges-passwort") as sink:
        assert deliver(wrong, now=start).retried == 1
        assert "authentication failed" in row(wrong, message_id).last_error
        assert deliver(right, now=start + dt.timedelta(minutes=1)).sent == 1
    assert len(sink.received) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("app"))
    assert f"outbox message {message_id} sent" in logged
    for secret in (ADDRESS, "kim.berg", "Rücksendung", "Grüße", "passwort", CARD, "411111"):
        assert secret not in logged
    assert "passwort" not in row(wrong, message_id).last_error


def test_the_worker_loop_sends_and_stops_cleanly_on_sigterm(make_app, fixture_index, database_url, tmp_path):
    app = make_app(index_dir=fixture_index)
    [message_id] = queue(app, (queue_email, ADDRESS, SUBJECT, BODY))
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="worker-test", HELPCENTER_MAIL_BACKEND="console",
               HELPCENTER_CONTENT_DIR=str(FIXTURE_CONTENT), HELPCENTER_INDEX_DIR=str(fixture_index),
               PYTHONIOENCODING="utf-8")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--interval", "0.2"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while row(app, message_id).sent_at is None:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker did not send the message"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err.decode()
    text = out.decode("utf-8")
    assert "Grüße aus Köln" in text and "sent 1, retried 0, failed 0" in text
    assert text.rstrip().endswith("Outbox worker stopped.")
