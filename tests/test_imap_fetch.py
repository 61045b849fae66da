"""Fetching mail by IMAP against a real dovecot over TLS: each message handed over once, marked in the mailbox."""
from __future__ import annotations

import datetime as dt
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import types
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from app.config import ConfigError, config_from_env
from app.inbound import imap as imap_module
from app.inbound.imap import (DONE, FAILED, FetchReport, ImapError, ImapNotConfigured, ImapSettings, fetch_mailbox,
                              keywords_allowed, mailbox_name)
from app.inbound.imap_cli import fetch_command
from tests.agent_helpers import agent_client, clock, customer_client, email_case, open_case, shop  # noqa: F401
from tests.conftest import ROOT
from tests.imap_server import ImapServer, append_message, dovecot_available, empty_mailbox, mailbox_flags
from tests.test_inbound_mail import agent_answer, reply_to, thread

SENDER = "kim.berg@example.com"


def mail(number: int, subject: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Kim Berg <{SENDER}>"
    message["To"] = "service@nordlicht.example"
    message["Subject"] = subject or f"Meine Bestellung Nr. {number}"
    message["Message-ID"] = f"<imap-test-{number}@example.com>"
    message.set_content(f"Hallo, das ist Nachricht {number}.\n")
    return message.as_bytes().replace(b"\n", b"\r\n")


@pytest.fixture
def mailbox(imap_server):
    """The test server with an empty INBOX."""
    empty_mailbox(imap_server)
    return imap_server


def settings_for(server, **changes) -> ImapSettings:
    values = dict(host=server.host, port=server.port, user=server.user, password=server.password,
                  ca_file=server.ca_file, timeout=10)
    values.update(changes)
    return ImapSettings(**values)


class Recorder:
    """A handler that keeps what it was given and answers with outcome kinds in turn."""

    def __init__(self, *kinds: str, fail_on: bytes | None = None, error: Exception | None = None):
        self.kinds = list(kinds) or ["threaded"]
        self.fail_on = fail_on
        self.error = error or ValueError(f"cannot parse mail from {SENDER}")
        self.received: list[bytes] = []

    def __call__(self, raw: bytes) -> str:
        self.received.append(raw)
        if self.fail_on is not None and self.fail_on in raw:
            raise self.error
        return self.kinds[(len(self.received) - 1) % len(self.kinds)]


def subjects(raws: list[bytes]) -> list[str]:
    return [next(line for line in raw.decode().splitlines() if line.startswith("Subject:")) for raw in raws]


def test_three_messages_are_handed_over_once_and_marked_processed(mailbox, caplog):
    uids = [append_message(mailbox, mail(n)) for n in (1, 2, 3)]
    handler = Recorder("threaded", "new_case", "threaded")

    with caplog.at_level(logging.INFO, logger="app.inbound"):
        report = fetch_mailbox(settings_for(mailbox), handler)

    assert str(report) == "3 fetched: 2 threaded, 1 new case, 0 ignored, 0 failed"
    assert handler.received == [mail(1), mail(2), mail(3)]
    assert mailbox_flags(mailbox) == {uid: {DONE, "\\Seen"} for uid in uids}
    again = Recorder()
    assert str(fetch_mailbox(settings_for(mailbox), again)) == "0 fetched: 0 threaded, 0 new case, 0 ignored, 0 failed"
    assert again.received == []
    log_text = caplog.text
    assert "UID" in log_text and "example.com" not in log_text and "Bestellung" not in log_text


def test_a_message_read_in_a_mail_client_is_still_processed(mailbox):
    uid = append_message(mailbox, mail(1), flags="\\Seen")
    handler = Recorder()

    fetch_mailbox(settings_for(mailbox), handler)

    assert handler.received == [mail(1)]
    assert mailbox_flags(mailbox)[uid] == {DONE, "\\Seen"}


def test_a_message_the_handler_refuses_is_flagged_failed_kept_and_skipped_afterwards(mailbox, caplog):
    first, second, third = (append_message(mailbox, mail(n)) for n in (1, 2, 3))
    handler = Recorder(fail_on=b"Nachricht 2")

    with caplog.at_level(logging.INFO, logger="app.inbound"):
        report = fetch_mailbox(settings_for(mailbox), handler)

    assert str(report) == "3 fetched: 2 threaded, 0 new case, 0 ignored, 1 failed"
    assert mailbox_flags(mailbox) == {first: {DONE, "\\Seen"}, second: {FAILED, "\\Seen"},
                                      third: {DONE, "\\Seen"}}
    assert f"UID {second} could not be processed (ValueError)" in caplog.text
    assert SENDER not in caplog.text  # the exception's text names the sender: never logged
    again = Recorder()
    fetch_mailbox(settings_for(mailbox), again)
    assert again.received == []


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, Exception("connection to server at 127.0.0.1 failed: Connection refused")),
    imap_module.TransientError("try later"),
], ids=["database-down", "transient"])
def test_a_database_outage_stops_the_pass_and_leaves_the_message_for_the_next(mailbox, error):
    first, second, third = (append_message(mailbox, mail(n)) for n in (1, 2, 3))

    report = fetch_mailbox(settings_for(mailbox), Recorder(fail_on=b"Nachricht 2", error=error))

    assert report.fetched == 1 and report.failed == 0
    assert "stopped early" in str(report) and "the message stays for the next pass" in str(report)
    assert mailbox_flags(mailbox) == {first: {DONE, "\\Seen"}, second: set(), third: set()}
    handler = Recorder()
    assert str(fetch_mailbox(settings_for(mailbox), handler)).startswith("2 fetched: 2 threaded")
    assert subjects(handler.received) == ["Subject: Meine Bestellung Nr. 2", "Subject: Meine Bestellung Nr. 3"]


def test_a_pass_takes_at_most_its_batch_oldest_first_and_says_how_many_wait(mailbox):
    for n in (1, 2, 3):
        append_message(mailbox, mail(n))
    handler = Recorder()

    report = fetch_mailbox(settings_for(mailbox), handler, batch=2)

    assert str(report) == "2 fetched: 2 threaded, 0 new case, 0 ignored, 0 failed; 1 more waiting for the next pass"
    assert handler.received == [mail(1), mail(2)]
    fetch_mailbox(settings_for(mailbox), handler, batch=2)
    assert handler.received[2:] == [mail(3)]


def test_without_custom_keywords_seen_marks_what_was_processed(mailbox, monkeypatch):
    # A server that keeps only the system flags (PERMANENTFLAGS without \*): \Seen and UNSEEN do the work.
    monkeypatch.setattr(imap_module, "keywords_allowed", lambda flags: False)
    read_before = append_message(mailbox, mail(1), flags="\\Seen")
    good, bad = append_message(mailbox, mail(2)), append_message(mailbox, mail(3))
    handler = Recorder(fail_on=b"Nachricht 3")

    report = fetch_mailbox(settings_for(mailbox), handler)

    assert str(report) == "2 fetched: 1 threaded, 0 new case, 0 ignored, 1 failed"
    assert handler.received == [mail(2), mail(3)]
    assert mailbox_flags(mailbox) == {read_before: {"\\Seen"}, good: {"\\Seen"}, bad: {"\\Seen", "\\Flagged"}}
    again = Recorder()
    fetch_mailbox(settings_for(mailbox), again)
    assert again.received == []


def test_a_folder_with_an_umlaut_is_read(mailbox):
    folder = "Rückfragen & Co"
    conn = mailbox.connect()
    try:
        assert conn.create(mailbox_name(folder))[0] == "OK"
    finally:
        conn.logout()
    append_message(mailbox, mail(1), folder=mailbox_name(folder))
    handler = Recorder()

    report = fetch_mailbox(settings_for(mailbox, folder=folder), handler)

    assert report.fetched == 1 and handler.received == [mail(1)]


def test_a_missing_folder_is_an_imap_error_naming_the_setting(mailbox):
    with pytest.raises(ImapError) as caught:
        fetch_mailbox(settings_for(mailbox, folder="Gibt es nicht"), Recorder())
    assert "IMAP folder 'Gibt es nicht' cannot be opened" in str(caught.value)
    assert "HELPCENTER_IMAP_FOLDER" in str(caught.value)


def test_a_wrong_password_is_an_imap_error_without_the_password(mailbox):
    wrong = "falsches-Passwort-4711"
    with pytest.raises(ImapError) as caught:
        fetch_mailbox(settings_for(mailbox, password=wrong), Recorder())
    message = str(caught.value)
    assert "IMAP login at 127.0.0.1" in message and "HELPCENTER_IMAP_PASSWORD" in message
    assert wrong not in message and mailbox.password not in message
    assert wrong not in repr(settings_for(mailbox, password=wrong))


def test_a_certificate_no_trusted_ca_signed_is_refused(mailbox):
    handler = Recorder()
    append_message(mailbox, mail(1))
    with pytest.raises(ImapError) as caught:
        fetch_mailbox(settings_for(mailbox, ca_file=""), handler)
    assert "certificate this machine does not trust" in str(caught.value)
    assert "HELPCENTER_IMAP_CA_FILE" in str(caught.value)
    assert handler.received == []


def test_the_certificate_must_name_the_host(mailbox):
    # "localhost" is in the certificate; "127.1" reaches the same server (127.0.0.1) by a name it does not list.
    assert fetch_mailbox(settings_for(mailbox, host="localhost"), Recorder()).stopped is None
    with pytest.raises(ImapError) as caught:
        fetch_mailbox(settings_for(mailbox, host="127.1"), Recorder())
    assert "IMAP server 127.1:" in str(caught.value)
    assert "has a certificate for another name" in str(caught.value)


def test_starttls_on_the_plain_port(mailbox):
    if not mailbox.starttls_port:
        pytest.skip("the CI server announced no STARTTLS port")
    append_message(mailbox, mail(1))
    handler = Recorder()

    report = fetch_mailbox(settings_for(mailbox, port=mailbox.starttls_port, starttls=True), handler)

    assert report.fetched == 1 and handler.received == [mail(1)]


def test_implicit_tls_against_a_plain_port_fails_clearly(mailbox):
    if not mailbox.starttls_port:
        pytest.skip("the CI server announced no STARTTLS port")
    with pytest.raises(ImapError, match="must speak implicit TLS"):
        fetch_mailbox(settings_for(mailbox, port=mailbox.starttls_port), Recorder())


class PlainOnlyServer:
    """A plain IMAP server without STARTTLS (or, silent=True, one that never greets), recording what it gets."""

    def __init__(self, silent: bool = False):
        self.silent = silent
        self.received = b""
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(10)
            if not self.silent:
                conn.sendall(b"* OK ready\r\n")
            try:
                while chunk := conn.recv(4096):
                    self.received += chunk
                    if self.silent:
                        continue
                    for line in chunk.splitlines():
                        tag, _, command = line.partition(b" ")
                        if command.upper() == b"CAPABILITY":
                            conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                        elif command.upper() == b"LOGOUT":
                            conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        else:
                            conn.sendall(tag + b" BAD not here\r\n")
            except OSError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()
        self.thread.join(timeout=15)


def test_a_server_without_starttls_never_gets_the_password():
    with PlainOnlyServer() as server:
        settings = ImapSettings(host="127.0.0.1", port=server.port, user="helpcenter", password="geheim-123",
                                starttls=True, timeout=5)
        with pytest.raises(ImapError, match="refused TLS"):
            fetch_mailbox(settings, Recorder())
    assert b"LOGIN" not in server.received and b"geheim" not in server.received


def test_a_server_that_does_not_answer_times_out():
    with PlainOnlyServer(silent=True) as server:
        settings = ImapSettings(host="127.0.0.1", port=server.port, user="u", password="pass", timeout=1)
        with pytest.raises(ImapError, match=r"not reachable \(timed out\)"):
            fetch_mailbox(settings, Recorder())


def test_a_closed_port_is_an_imap_error():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with pytest.raises(ImapError, match=rf"IMAP server 127.0.0.1:{port} not reachable \(Connection refused\)"):
        fetch_mailbox(ImapSettings(host="127.0.0.1", port=port, user="u", password="pass", timeout=2), Recorder())


# Settings ---------------------------------------------------------------------------------------------------------

def _config(tmp_path, **env):
    return config_from_env(tmp_path, env={"SECRET_KEY": "x", **env})


def test_imap_settings_default_to_implicit_tls_on_993_and_the_inbox(tmp_path):
    config = _config(tmp_path, HELPCENTER_IMAP_HOST="imap.example.net", HELPCENTER_IMAP_USER="service",
                     HELPCENTER_IMAP_PASSWORD="pw")
    settings = ImapSettings.from_config(config)
    assert (settings.host, settings.port, settings.folder, settings.starttls, settings.ca_file, settings.timeout) == (
        "imap.example.net", 993, "INBOX", False, "", 30)
    starttls = ImapSettings.from_config(_config(tmp_path, HELPCENTER_IMAP_HOST="imap.example.net",
                                                HELPCENTER_IMAP_USER="service", HELPCENTER_IMAP_PASSWORD="pw",
                                                HELPCENTER_IMAP_STARTTLS="true", HELPCENTER_IMAP_FOLDER="Hilfe"))
    assert (starttls.port, starttls.starttls, starttls.folder) == (143, True, "Hilfe")


def test_imap_settings_without_a_host_mean_not_configured(tmp_path):
    config = _config(tmp_path)
    assert config["HELPCENTER_IMAP_HOST"] == "" and config["HELPCENTER_IMAP_PORT"] == 993
    with pytest.raises(ImapNotConfigured, match="set HELPCENTER_IMAP_HOST"):
        ImapSettings.from_config(config)


@pytest.mark.parametrize(("env", "message"), [
    ({"HELPCENTER_IMAP_PORT": "imaps"}, "HELPCENTER_IMAP_PORT must be a whole number, got 'imaps'"),
    ({"HELPCENTER_IMAP_PORT": "99300"}, "HELPCENTER_IMAP_PORT must be a port number (1-65535), got 99300"),
    ({"HELPCENTER_IMAP_HOST": "imap.example.net"}, "HELPCENTER_IMAP_USER and HELPCENTER_IMAP_PASSWORD must be set"),
    ({"HELPCENTER_IMAP_CA_FILE": "/nirgends/ca.pem"}, "HELPCENTER_IMAP_CA_FILE must be the path of a PEM file"),
    ({"HELPCENTER_IMAP_TIMEOUT": "0"}, "HELPCENTER_IMAP_TIMEOUT must be at least 1"),
])
def test_bad_imap_settings_stop_the_start_with_a_message_naming_them(tmp_path, env, message):
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, **env)
    assert message in str(caught.value)


def test_keywords_are_used_when_the_folder_keeps_new_ones_or_knows_ours():
    assert keywords_allowed(b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)")
    assert keywords_allowed(b"(\\Seen \\Flagged $HelpcenterDone $HelpcenterFailed)")
    assert not keywords_allowed(b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
    assert not keywords_allowed(None)


def test_folder_names_are_quoted_and_non_ascii_is_modified_utf7():
    assert mailbox_name("INBOX") == '"INBOX"'
    assert mailbox_name("Rückfragen") == '"R&APw-ckfragen"'
    assert mailbox_name('A & "B"') == '"A &- \\"B\\""'


def test_the_report_line_counts_each_outcome():
    report = FetchReport(failed=1)
    report.outcomes.update({"threaded": 2, "new_case": 1, "duplicate": 1})
    assert str(report) == "5 fetched: 2 threaded, 1 new case, 0 ignored, 1 duplicate, 1 failed"


# The command ------------------------------------------------------------------------------------------------------

def test_fetch_without_a_mailbox_exits_1_with_one_line(app):
    result = app.test_cli_runner().invoke(fetch_command, [])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: No mailbox to fetch from: set HELPCENTER_IMAP_HOST, HELPCENTER_IMAP_USER and HELPCENTER_IMAP_PASSWORD."]


@pytest.fixture
def fake_service(monkeypatch):
    """app.inbound.service.receive_mail as a stand-in that threads mail 1 and opens a case for the others."""
    calls = []

    def receive_mail(raw, now, recipient=None):
        calls.append((raw, now))
        if b"Nachricht 9" in raw:
            raise ValueError("kaputt")
        return types.SimpleNamespace(kind="threaded" if b"Nachricht 1" in raw else "new_case", case_number=None,
                                     reason="")

    monkeypatch.setattr("app.inbound.service.receive_mail", receive_mail)
    return calls


def imap_config(server, **changes) -> dict:
    config = dict(HELPCENTER_IMAP_HOST=server.host, HELPCENTER_IMAP_PORT=server.port,
                  HELPCENTER_IMAP_USER=server.user, HELPCENTER_IMAP_PASSWORD=server.password,
                  HELPCENTER_IMAP_CA_FILE=server.ca_file, HELPCENTER_IMAP_TIMEOUT=10)
    config.update(changes)
    return config


def test_fetch_hands_each_message_to_the_inbound_service_and_prints_one_line(make_app, mailbox, fake_service):
    for n in (1, 2, 9):
        append_message(mailbox, mail(n))
    app = make_app(**imap_config(mailbox))

    result = app.test_cli_runner().invoke(fetch_command, [])

    assert result.exit_code == 0, result.output
    assert result.output == "3 fetched: 1 threaded, 1 new case, 0 ignored, 1 failed\n"
    assert [raw for raw, _now in fake_service] == [mail(1), mail(2), mail(9)]
    assert app.test_cli_runner().invoke(fetch_command, []).output.startswith("0 fetched")


def test_fetch_with_a_wrong_password_exits_1_without_showing_it(make_app, mailbox, fake_service):
    app = make_app(**imap_config(mailbox, HELPCENTER_IMAP_PASSWORD="ganz-falsch-0815"))

    result = app.test_cli_runner().invoke(fetch_command, [])

    assert result.exit_code == 1
    assert "IMAP login at 127.0.0.1" in result.output and "ganz-falsch-0815" not in result.output


def test_fetch_exits_1_when_the_server_is_unreachable(make_app):
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    app = make_app(HELPCENTER_IMAP_HOST="127.0.0.1", HELPCENTER_IMAP_PORT=port, HELPCENTER_IMAP_USER="u",
                   HELPCENTER_IMAP_PASSWORD="pass")

    result = app.test_cli_runner().invoke(fetch_command, [])

    assert result.exit_code == 1
    assert f"Error: IMAP server 127.0.0.1:{port} not reachable" in result.output


def test_fetch_exits_1_when_the_database_is_down_and_keeps_the_message(make_app, mailbox, monkeypatch):
    uid = append_message(mailbox, mail(1))

    def database_down(raw, now, recipient=None):
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr("app.inbound.service.receive_mail", database_down)
    app = make_app(**imap_config(mailbox))

    result = app.test_cli_runner().invoke(fetch_command, [])

    assert result.exit_code == 1
    assert "stopped early: database unavailable" in result.output
    assert mailbox_flags(mailbox)[uid] == set()


def test_a_reply_in_the_mailbox_lands_in_its_case_through_mail_fetch(shop, clock, mailbox, monkeypatch):
    kim = customer_client(shop)
    number = open_case(kim, email_case())
    answer = agent_answer(shop, number)
    uid = append_message(mailbox, reply_to(answer, "Per IMAP: das Paket ist heute angekommen.\n\nDanke, Kim"))
    monkeypatch.setattr("app.inbound.imap_cli.now", lambda: clock() + dt.timedelta(hours=1))
    shop.config.update(imap_config(mailbox))  # this test's own app: no shared config is changed

    result = shop.test_cli_runner().invoke(fetch_command, [])

    assert result.exit_code == 0, result.output
    assert result.output == "1 fetched: 1 threaded, 0 new case, 0 ignored, 0 failed\n"
    assert thread(shop, number)[-1] == ("customer", "email", "public",
                                        "Per IMAP: das Paket ist heute angekommen.\n\nDanke, Kim")
    messages = kim.get(f"/api/cases/{number}").get_json()["messages"]
    assert messages[-1]["from"] == "customer" and messages[-1]["body"].startswith("Per IMAP: das Paket")
    assert "Per IMAP: das Paket" in agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert mailbox_flags(mailbox)[uid] == {DONE, "\\Seen"}
    before = len(thread(shop, number))
    assert shop.test_cli_runner().invoke(fetch_command, []).output.startswith("0 fetched")
    assert len(thread(shop, number)) == before


def stop_after_sleeps(monkeypatch, count: int) -> list[float]:
    """Let `mail fetch --loop` sleep `count` times, then press Ctrl-C."""
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) >= count:
            raise KeyboardInterrupt

    monkeypatch.setattr("app.inbound.imap_cli.time", types.SimpleNamespace(sleep=sleep))
    return sleeps


def test_fetch_loop_works_off_a_backlog_without_waiting_and_then_polls(make_app, mailbox, fake_service, monkeypatch):
    for n in (1, 2, 3):
        append_message(mailbox, mail(n))
    sleeps = stop_after_sleeps(monkeypatch, 1)
    app = make_app(**imap_config(mailbox))

    result = app.test_cli_runner().invoke(fetch_command, ["--loop", "--interval", "30", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Fetching mail from 127.0.0.1:{mailbox.port} every 30 s; Ctrl-C stops it.",
        "2 fetched: 1 threaded, 1 new case, 0 ignored, 0 failed; 1 more waiting for the next pass",
        "1 fetched: 0 threaded, 1 new case, 0 ignored, 0 failed",
        "Mail fetching stopped.",
    ]
    assert sleeps == [30]


def test_fetch_loop_keeps_polling_while_the_server_is_away(make_app, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    sleeps = stop_after_sleeps(monkeypatch, 2)
    app = make_app(HELPCENTER_IMAP_HOST="127.0.0.1", HELPCENTER_IMAP_PORT=port, HELPCENTER_IMAP_USER="u",
                   HELPCENTER_IMAP_PASSWORD="pass")

    result = app.test_cli_runner().invoke(fetch_command, ["--loop"])

    assert result.exit_code == 0, result.output
    assert result.output.count(f"stopped early: IMAP server 127.0.0.1:{port} not reachable") == 2
    assert sleeps == [60, 60]


def _ordinary_user_can_run_the_script() -> bool:
    if os.getuid() != 0 or not shutil.which("runuser") or not os.path.exists("/usr/bin/python3"):
        return False
    if not dovecot_available():
        return False
    check = subprocess.run(["runuser", "-u", "nobody", "--", "test", "-r", str(ROOT / "tests" / "imap_server.py")],
                           capture_output=True)
    return check.returncode == 0


@pytest.mark.skipif(not _ordinary_user_can_run_the_script(),
                    reason="needs root to act as `nobody`, /usr/bin/python3, dovecot and a checkout nobody can read")
def test_the_test_server_runs_entirely_as_an_ordinary_user_too():
    home = Path(tempfile.mkdtemp(prefix="imap-as-nobody-"))  # pytest's tmp_path is for root only
    home.chmod(0o777)
    env_file = home / "imap.env"
    as_nobody = ["runuser", "-u", "nobody", "--", "env", f"HOME={home}", "/usr/bin/python3",
                 str(ROOT / "tests" / "imap_server.py")]
    try:
        started = subprocess.run([*as_nobody, "--start", str(env_file)], capture_output=True, text=True, timeout=60)
        assert started.returncode == 0, started.stderr
        env = dict(line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines())
        server = ImapServer.from_env(env)
        try:
            master = int((Path(server.root) / "run" / "master.pid").read_text().split()[0])
            assert Path(f"/proc/{master}").stat().st_uid == pwd.getpwnam("nobody").pw_uid
            append_message(server, mail(1))
            handler = Recorder()
            assert fetch_mailbox(settings_for(server), handler).fetched == 1 and handler.received == [mail(1)]
        finally:
            stopped = subprocess.run([*as_nobody, "--stop", str(env_file)], capture_output=True, text=True,
                                     timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        assert not Path(server.root).exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)
