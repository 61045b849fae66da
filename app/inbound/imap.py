"""Read new mail from an IMAP mailbox over TLS and hand each message to a handler, once.

The mailbox itself remembers what was done: a processed message gets the keyword `$HelpcenterDone` (plus
\\Seen), one the handler refused gets `$HelpcenterFailed` and stays for a person to look at. Servers that
do not keep custom keywords get \\Seen only (and \\Flagged for a refused one), and the search is UNSEEN.
A message is fetched with BODY.PEEK[] and marked only after the handler returned, so a crash in between
hands it over again on the next pass; the inbound service drops a second copy by its Message-ID.
"""
from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from app.database import database_unavailable, is_transient

log = logging.getLogger(__name__)

DONE = "$HelpcenterDone"
FAILED = "$HelpcenterFailed"
DEFAULT_BATCH = 200  # messages per pass: a backlog is worked off over several passes, each one short
DEFAULT_TIMEOUT = 30  # seconds for each network read or write
_REASON_LENGTH = 200
_NAME_MISMATCH = {62, 64}  # OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH
_ADDRESS = re.compile(r"[^\s<>@\"'()\[\]]+@[^\s<>@\"'()\[\]]+")


class ImapError(Exception):
    """The mailbox cannot be reached or used; the text names the cause and never the password."""


class ImapNotConfigured(ImapError):
    """HELPCENTER_IMAP_HOST is not set: there is no mailbox to read."""


class TransientError(Exception):
    """A handler's way to say: not now, leave this message for the next pass."""


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in; TLS is not optional."""

    host: str
    user: str
    password: str = field(repr=False)
    port: int = 993
    folder: str = "INBOX"
    starttls: bool = False
    ca_file: str = ""
    timeout: int = DEFAULT_TIMEOUT

    @classmethod
    def from_config(cls, config) -> ImapSettings:
        """The HELPCENTER_IMAP_* settings of the app config; ImapNotConfigured without a host."""
        host = (config.get("HELPCENTER_IMAP_HOST") or "").strip()
        if not host:
            raise ImapNotConfigured("No mailbox to fetch from: set HELPCENTER_IMAP_HOST, HELPCENTER_IMAP_USER "
                                    "and HELPCENTER_IMAP_PASSWORD.")
        starttls = bool(config.get("HELPCENTER_IMAP_STARTTLS", False))
        return cls(host=host, user=config.get("HELPCENTER_IMAP_USER") or "",
                   password=config.get("HELPCENTER_IMAP_PASSWORD") or "",
                   port=int(config.get("HELPCENTER_IMAP_PORT") or (143 if starttls else 993)),
                   folder=config.get("HELPCENTER_IMAP_FOLDER") or "INBOX", starttls=starttls,
                   ca_file=config.get("HELPCENTER_IMAP_CA_FILE") or "",
                   timeout=int(config.get("HELPCENTER_IMAP_TIMEOUT") or DEFAULT_TIMEOUT))

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class FetchReport:
    """What one pass did: outcome kinds as the handler named them, refusals, and why it ended early."""

    outcomes: Counter = field(default_factory=Counter)
    failed: int = 0
    waiting: int = 0  # unprocessed messages beyond this pass's batch
    stopped: str | None = None  # set when the pass ended before its batch was done

    @property
    def fetched(self) -> int:
        return sum(self.outcomes.values()) + self.failed

    def __str__(self) -> str:
        counts = [f"{self.outcomes['threaded']} threaded", f"{self.outcomes['new_case']} new case",
                  f"{self.outcomes['ignored']} ignored"]
        if self.outcomes["duplicate"]:
            counts.append(f"{self.outcomes['duplicate']} duplicate")
        known = {"threaded", "new_case", "ignored", "duplicate"}
        counts += [f"{number} {kind}" for kind, number in sorted(self.outcomes.items()) if kind not in known]
        text = f"{self.fetched} fetched: {', '.join(counts)}, {self.failed} failed"
        if self.waiting:
            text += f"; {self.waiting} more waiting for the next pass"
        if self.stopped:
            text += f"; stopped early: {self.stopped}"
        return text


def fetch_mailbox(settings: ImapSettings, handle: Callable[[bytes], str],
                  batch: int = DEFAULT_BATCH) -> FetchReport:
    """One pass: hand every unprocessed message (oldest first, at most `batch`) to handle, then mark it.

    handle(raw) processes one message, commits its own work and returns the outcome kind. An exception
    flags the message $HelpcenterFailed, except an unavailable database (or TransientError), which ends
    the pass and leaves the message for the next one. ImapError when the server cannot be reached, does
    not verify, refuses the login or the folder.
    """
    conn = _connect(settings)
    report = FetchReport()
    try:
        _login(conn, settings)
        keywords = _open_folder(conn, settings)
        uids = _unprocessed(conn, keywords)
        report.waiting = max(0, len(uids) - batch)
        for uid in uids[:batch]:
            if not _process(conn, uid, handle, keywords, report):
                break
    except (imaplib.IMAP4.error, OSError) as exc:
        # The connection broke (or the server refused a command) mid-pass: what was marked stays marked,
        # the rest comes again next pass.
        report.stopped = f"IMAP connection lost or command refused ({_describe(exc, settings)})"
        log.warning("IMAP pass ended early: %s", report.stopped)
    finally:
        _close(conn)
    return report


def keywords_allowed(permanent_flags: bytes | None) -> bool:
    """Whether the folder keeps our keywords: any new keyword (\\*) or both of ours already known."""
    if not permanent_flags:
        return False  # no PERMANENTFLAGS: assume only the system flags persist
    flags = set(permanent_flags.decode("ascii", "replace").strip("()").split())
    return "\\*" in flags or {DONE, FAILED} <= flags


def mailbox_name(folder: str) -> str:
    """The folder as an IMAP quoted string, non-ASCII names in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded, pending = [], []

    def flush():
        if pending:
            data = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            encoded.append("&" + data.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(encoded).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


class _Imap4Tls(imaplib.IMAP4_SSL):
    """IMAP4_SSL that closes its socket when the TLS handshake fails (the standard class leaves it open)."""

    def _create_socket(self, timeout):
        sock = imaplib.IMAP4._create_socket(self, timeout)
        try:
            return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    # Always verified: the system's CAs, or the CA file for a server with a private certificate.
    try:
        context = ssl.create_default_context(cafile=settings.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise ImapError(f"HELPCENTER_IMAP_CA_FILE cannot be used ({_describe(exc, settings)})") from None
    try:
        if not settings.starttls:
            return _Imap4Tls(settings.host, settings.port, ssl_context=context, timeout=settings.timeout)
        conn = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        try:
            conn.starttls(ssl_context=context)  # refuses a server without STARTTLS: never plain text
        except BaseException:
            _close(conn)
            raise
        return conn
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code in _NAME_MISMATCH:
            raise ImapError(f"IMAP server {settings.address} has a certificate for another name "
                            f"({exc.verify_message}); HELPCENTER_IMAP_HOST must be a name the certificate "
                            "lists") from None
        raise ImapError(f"IMAP server {settings.address} has a certificate this machine does not trust "
                        f"({exc.verify_message}); for a private CA set HELPCENTER_IMAP_CA_FILE") from None
    except ssl.SSLError as exc:
        raise ImapError(f"TLS with IMAP server {settings.address} failed ({_describe(exc, settings)}); "
                        f"port {settings.port} must speak "
                        f"{'STARTTLS' if settings.starttls else 'implicit TLS (IMAPS)'}") from None
    except imaplib.IMAP4.error as exc:
        raise ImapError(f"IMAP server {settings.address} refused TLS ({_describe(exc, settings)})") from None
    except OSError as exc:
        raise ImapError(f"IMAP server {settings.address} not reachable ({_describe(exc, settings)})") from None


def _login(conn: imaplib.IMAP4, settings: ImapSettings) -> None:
    try:
        if settings.user.isascii() and settings.password.isascii():
            conn.login(settings.user, settings.password)
        else:
            # LOGIN takes ASCII only; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616).
            credentials = f"\0{settings.user}\0{settings.password}".encode()
            conn.authenticate("PLAIN", lambda _challenge: credentials)
    except imaplib.IMAP4.abort as exc:
        raise ImapError(f"IMAP server {settings.address} closed the connection at login "
                        f"({_describe(exc, settings)})") from None
    except imaplib.IMAP4.error as exc:
        raise ImapError(f"IMAP login at {settings.address} refused ({_describe(exc, settings)}); "
                        "check HELPCENTER_IMAP_USER and HELPCENTER_IMAP_PASSWORD") from None
    except OSError as exc:
        raise ImapError(f"IMAP server {settings.address} not reachable ({_describe(exc, settings)})") from None


def _open_folder(conn: imaplib.IMAP4, settings: ImapSettings) -> bool:
    """Select the folder for writing; whether it keeps our keywords."""
    try:
        typ, data = conn.select(mailbox_name(settings.folder))
    except imaplib.IMAP4.readonly:
        raise ImapError(f"IMAP folder {settings.folder!r} is read-only: processed messages could not be "
                        "marked") from None
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise ImapError(f"IMAP folder {settings.folder!r} cannot be opened ({_describe(exc, settings)})") from None
    if typ != "OK":
        reason = _describe(imaplib.IMAP4.error(data[0] if data else typ), settings)
        raise ImapError(f"IMAP folder {settings.folder!r} cannot be opened ({reason}); "
                        "check HELPCENTER_IMAP_FOLDER")
    _typ, permanent = conn.response("PERMANENTFLAGS")
    return keywords_allowed(permanent[0] if permanent else None)


def _unprocessed(conn: imaplib.IMAP4, keywords: bool) -> list[int]:
    if keywords:
        # Not UNSEEN: a colleague who opened a message in a mail client has not processed it.
        typ, data = conn.uid("SEARCH", "UNDELETED", "UNKEYWORD", DONE, "UNKEYWORD", FAILED)
    else:
        typ, data = conn.uid("SEARCH", "UNDELETED", "UNSEEN")
    if typ != "OK":
        raise imaplib.IMAP4.abort(f"SEARCH answered {typ}")
    return sorted(int(uid) for uid in (data[0] or b"").split())


def _process(conn: imaplib.IMAP4, uid: int, handle, keywords: bool, report: FetchReport) -> bool:
    """Fetch, hand over and mark one message; False when the pass must stop here."""
    raw = _fetch(conn, uid)
    if raw is None:
        return True  # expunged by someone else since the search
    try:
        kind = handle(raw)
    except Exception as exc:  # any fault in one message must not hold up the others
        if _transient(exc):
            report.stopped = f"database unavailable ({type(exc).__name__}); the message stays for the next pass"
            log.warning("IMAP message UID %s left for the next pass: database unavailable (%s)",
                        uid, type(exc).__name__)
            return False
        # Only the type: the text of a parsing error can quote the sender, the subject or the body.
        log.warning("IMAP message UID %s could not be processed (%s); flagged %s and left in the mailbox",
                    uid, type(exc).__name__, FAILED if keywords else "\\Flagged")
        _mark(conn, uid, f"({FAILED} \\Seen)" if keywords else "(\\Seen \\Flagged)")
        report.failed += 1
        return True
    _mark(conn, uid, f"({DONE} \\Seen)" if keywords else "(\\Seen)")
    report.outcomes[kind] += 1
    log.info("IMAP message UID %s: %s", uid, kind)
    return True


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    # BODY.PEEK[]: reading must not set \Seen before the message was processed.
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.abort(f"FETCH answered {typ}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
            return item[1]
    return None


def _mark(conn: imaplib.IMAP4, uid: int, flags: str) -> None:
    typ, _data = conn.uid("STORE", str(uid), "+FLAGS.SILENT", flags)
    if typ != "OK":
        raise imaplib.IMAP4.abort(f"STORE answered {typ}")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    return isinstance(exc, SQLAlchemyError) and (database_unavailable(exc) or is_transient(exc))


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()  # not CLOSE: that would expunge messages someone else marked \Deleted
    except (imaplib.IMAP4.error, OSError):
        pass  # the server is gone already; nothing is lost by not saying goodbye
    finally:
        try:
            conn.shutdown()
        except OSError:
            pass


def _describe(exc: BaseException, settings: ImapSettings) -> str:
    """A short reason for the log and the operator: no password, no addresses."""
    if isinstance(exc, ssl.SSLError) and exc.reason:
        text = exc.reason
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    elif isinstance(exc, TimeoutError):
        text = "timed out"
    else:
        args = exc.args[0] if exc.args else type(exc).__name__
        text = args.decode("utf-8", "replace") if isinstance(args, bytes) else str(args)
    if len(settings.password) >= 4:  # a shorter one would mangle ordinary words
        text = text.replace(settings.password, "[password]")
    text = _ADDRESS.sub("[address]", " ".join(text.split()))
    return text[:_REASON_LENGTH] or type(exc).__name__
