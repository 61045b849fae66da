"""How mails about a case stay one thread: a signed Reply-To address per case, and Message-ID, In-Reply-To and
References that mail programs use to group the conversation.

The Reply-To address is the proof an e-mail reply needs (DESIGN.md "Identity"): `service+nl-2026-000123.<token>@…`,
plus-addressed on HELPCENTER_INBOUND_ADDRESS, with the token signed under SECRET_KEY. Postfix and most IMAP
providers deliver plus-addressed mail to the plain mailbox and keep the address in To/Delivered-To, where
app/inbound/ finds it again.
"""
from __future__ import annotations

import re
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import select

from app.core.signatures import reference_token, reference_token_valid
from app.extensions import db

REPLY_PURPOSE = "case-reply"
_ROOT_PURPOSE = "case-mail"
# A case number (NL-2026-000123) and its token after the plus of the local part; mail servers may lower-case it.
_REPLY_LOCAL = re.compile(r"\+(?P<number>[a-z0-9]{1,10}-\d{4}-\d{1,10})\.(?P<token>[a-z2-7]{16})$", re.IGNORECASE)
# Older references are dropped from References beyond this many (RFC 5322 allows trimming the middle).
_MAX_REFERENCES = 10


def inbound_address() -> str:
    """The mailbox replies arrive in: HELPCENTER_INBOUND_ADDRESS, or the sender address of our mails."""
    configured = current_app.config.get("HELPCENTER_INBOUND_ADDRESS") or current_app.config["HELPCENTER_MAIL_FROM"]
    return parseaddr(configured)[1].lower()


def mail_domain() -> str:
    return inbound_address().rpartition("@")[2] or "localhost"


def reply_address(number: str) -> str:
    """The Reply-To address of every mail about this case."""
    local, _at, domain = inbound_address().rpartition("@")
    return f"{local}+{number.lower()}.{reference_token(REPLY_PURPOSE, number)}@{domain}"


def case_number_in_address(address: str) -> str | None:
    """The case number of a genuine reply address (any domain: a forwarding alias may rewrite it), else None."""
    local = parseaddr(address or "")[1].rpartition("@")[0]
    match = _REPLY_LOCAL.search(local)
    if match is None or not reference_token_valid(REPLY_PURPOSE, match["number"], match["token"]):
        return None
    return match["number"].upper()


def root_message_id(number: str) -> str:
    """The acknowledgement's Message-ID: every later mail of the case refers to it, without storing it."""
    return f"<{number.lower()}.{reference_token(_ROOT_PURPOSE, number, 12)}@{mail_domain()}>"


def new_message_id() -> str:
    return make_msgid(domain=mail_domain())


def thread_headers(case, message_id: str | None = None) -> dict[str, str]:
    """Reply-To, Message-ID, In-Reply-To and References for a mail about the case (queue_email(thread=…)).

    Without message_id, the mail is the case's root (the acknowledgement). Otherwise it answers the newest mail of
    the case that we know by its Message-ID (the customer's e-mail reply, or our last mail), else the root.
    """
    from app.cases.models import CaseMessage

    root = root_message_id(case.number)
    headers = {"Reply-To": reply_address(case.number), "Message-ID": message_id or root}
    known = [] if case.id is None else list(db.session.scalars(
        select(CaseMessage.email_message_id).where(CaseMessage.case_id == case.id,
                                                   CaseMessage.email_message_id.is_not(None),
                                                   CaseMessage.email_message_id != headers["Message-ID"])
        .order_by(CaseMessage.created_at, CaseMessage.id)))
    known = [mid for mid in known if mid.startswith("<") and mid.endswith(">")]
    if message_id is None:
        if known:  # a case that began as an e-mail: the acknowledgement answers it
            headers["In-Reply-To"] = known[0]
            headers["References"] = known[0]
        return headers
    chain = [root] + [mid for mid in known if mid != root]
    if len(chain) > _MAX_REFERENCES:
        chain = chain[:1] + chain[-(_MAX_REFERENCES - 1):]
    headers["In-Reply-To"] = chain[-1]
    headers["References"] = " ".join(chain)
    return headers
