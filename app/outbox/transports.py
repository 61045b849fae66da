"""How a claimed message leaves: SMTP or the console for e-mails, an HTTP POST for webhooks."""
from __future__ import annotations

import datetime as dt
import http.client
import re
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from app.config import ConfigError
from app.privacy.redaction import mask_card_numbers

WEBHOOK_TIMEOUT = 10  # seconds
_ERROR_LENGTH = 200
_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


@dataclass(frozen=True)
class Envelope:
    """What delivery needs of a claimed row, detached from the database session."""

    id: int
    kind: str
    recipient: str
    subject: str | None
    body: str
    headers: dict
    created_at: dt.datetime
    attempts: int

    @property
    def stable_id(self) -> str:
        """The same for every attempt, different for every row (also after the table was emptied)."""
        return f"outbox.{self.id}.{self.created_at:%Y%m%d%H%M%S}"


class DeliveryError(Exception):
    """A send that did not go through; its text is safe to store and log."""


def describe_error(exc: BaseException) -> str:
    """A short reason without addresses, card numbers or credentials, for last_error and the log."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        text = f"SMTP recipient refused ({', '.join(codes)})"
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        text = f"SMTP sender refused ({exc.smtp_code})"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        text = f"SMTP authentication failed ({exc.smtp_code})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        text = f"SMTP {exc.smtp_code}: {message}"
    elif isinstance(exc, DeliveryError):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{type(exc).__name__}: {exc.strerror}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = _ADDRESS.sub("[address]", mask_card_numbers(" ".join(text.split())))
    return text[:_ERROR_LENGTH]


def build_email(envelope: Envelope, sender: str, now: dt.datetime) -> Message:
    """The MIME message: UTF-8 text as quoted-printable, so any relay passes umlauts through unchanged."""
    # The legacy email API on purpose: the modern one (policy.default) drops the space between two
    # encoded words when it folds a long non-ASCII subject (CPython gh-144156, unfixed in Python 3.11).
    message = MIMEText(envelope.body, "plain", _UTF8_QP)
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address))
    message["To"] = envelope.recipient
    subject = envelope.subject or ""
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8", header_name="Subject")
    message["Date"] = format_datetime(now.replace(tzinfo=dt.timezone.utc))
    message["Message-ID"] = envelope.headers.get("Message-ID") or f"<{envelope.stable_id}@{_domain_of(sender)}>"
    # A mail about a case: replies go to its signed address and mail programs show one thread.
    for header in ("In-Reply-To", "References"):
        if envelope.headers.get(header):
            message[header] = envelope.headers[header]
    if envelope.headers.get("Reply-To"):
        message["Reply-To"] = formataddr((name, envelope.headers["Reply-To"]), charset="utf-8")
    # RFC 3834: out-of-office replies must not answer automatic mail; a person's reply (queue_email personal)
    # goes without the header, as any letter does.
    if envelope.headers.get("Auto-Submitted") != "no":
        message["Auto-Submitted"] = "auto-generated"
    return message


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


class SmtpMailer:
    """One SMTP connection per delivery round, opened on the first e-mail."""

    def __init__(self, config):
        self.host = config["HELPCENTER_SMTP_HOST"]
        self.port = config["HELPCENTER_SMTP_PORT"]
        self.user = config["HELPCENTER_SMTP_USER"]
        self.password = config["HELPCENTER_SMTP_PASSWORD"]
        self.starttls = config["HELPCENTER_SMTP_STARTTLS"]
        self.timeout = config["HELPCENTER_SMTP_TIMEOUT"]
        self._smtp: smtplib.SMTP | None = None
        self._unavailable: str | None = None

    def send(self, message: Message, sender: str, recipient: str) -> None:
        if not recipient.isascii():
            raise DeliveryError("addresses with non-ASCII local parts (SMTPUTF8) are not supported")
        smtp = self._connection()
        try:
            smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        except BaseException:
            self.close()  # the next message starts on a fresh connection
            raise

    def _connection(self) -> smtplib.SMTP:
        if self._unavailable:
            # The server refused us a moment ago: count the attempt without waiting for another timeout.
            raise DeliveryError(self._unavailable)
        if self._smtp is None:
            smtp = smtplib.SMTP(timeout=self.timeout)
            try:
                smtp.connect(self.host, self.port)
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
            except (smtplib.SMTPException, OSError) as exc:
                smtp.close()
                self._unavailable = describe_error(exc)
                raise DeliveryError(self._unavailable) from None
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server went away first; nothing is lost by not saying goodbye
        finally:
            smtp.close()


class ConsoleMailer:
    """Development: print each e-mail to stdout instead of sending it."""

    def send(self, message: Message, sender: str, recipient: str) -> None:
        lines = [f"{name}: {value}" for name, value in message.items()
                 if name not in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version")]
        body = message.get_payload(decode=True).decode("utf-8")
        print("\n".join(["-" * 72, *lines, "", body.rstrip("\n"), "-" * 72]), file=sys.stdout, flush=True)

    def close(self) -> None:
        """Nothing to close: printing needs no connection."""


MAIL_BACKENDS = {"smtp": SmtpMailer, "console": lambda config: ConsoleMailer()}


def open_mailer(config):
    """The mailer HELPCENTER_MAIL_BACKEND names; ConfigError for an unknown one."""
    backend = config["HELPCENTER_MAIL_BACKEND"]
    if backend not in MAIL_BACKENDS:
        raise ConfigError(f"HELPCENTER_MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, got {backend!r}")
    return MAIL_BACKENDS[backend](config)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect of a POST as a GET without the body and report success.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def post_webhook(envelope: Envelope) -> None:
    """POST the signed body; only a 2xx answer counts as delivered."""
    headers = dict(envelope.headers)
    headers["X-Outbox-Id"] = str(envelope.id)
    headers["Idempotency-Key"] = envelope.stable_id
    headers["User-Agent"] = "helpcenter-outbox"
    request = urllib.request.Request(envelope.recipient, data=envelope.body.encode("utf-8"), headers=headers,
                                     method="POST")
    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryError(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        raise DeliveryError(describe_error(reason) if isinstance(reason, BaseException) else str(reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(describe_error(exc)) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
