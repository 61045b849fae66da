"""An e-mail that reached the service mailbox: a reply into its case, a new (unverified) case, or nothing at all.

Who proves what (DESIGN.md "Identity"): a reply lands in a case only with a genuine Reply-To token of that case
*and* from an address of that case's customer. Anything else is a new unverified case, which an agent verifies
before telling anything about orders. Automatic mail (auto-replies, bounces, lists) is dropped, so two robots can
never answer each other. receive_mail commits; a redelivery of the same Message-ID is recognised and stored once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.cases.attachments import MAX_FILES, UploadRejected
from app.cases.conversation import CannotReply, add_customer_message, add_note_for_agents, customer_reply
from app.cases.mail_thread import case_number_in_address, inbound_address
from app.cases.models import Case, CaseMessage
from app.core.uploads import check_upload
from app.extensions import db
from app.inbound.parsing import InboundMail, MailFile, parse_mail

log = logging.getLogger(__name__)

# Larger messages are not read at all (Postfix's default message_size_limit is about 10 MB; ours is generous).
MAX_MESSAGE_BYTES = 30 * 1024 * 1024
NEW_CASE_TOPIC = "sonstiges"


@dataclass(frozen=True)
class InboundOutcome:
    kind: str                       # threaded | new_case | ignored | duplicate
    case_number: str | None = None
    reason: str | None = None


@dataclass
class _Files:
    accepted: list = field(default_factory=list)
    refused: list[str] = field(default_factory=list)   # the customer-facing reasons, for the agent's note


def receive_mail(raw: bytes, now: dt.datetime | None = None, recipient: str | None = None,
                 envelope_sender: str | None = None) -> InboundOutcome:
    """Store one RFC 5322 message and commit. OperationalError (database away) propagates: the caller retries
    later (the pipe exits 75 so Postfix queues the mail; IMAP leaves it unprocessed)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if len(raw) > MAX_MESSAGE_BYTES:
        log.warning("inbound mail: %d bytes, larger than %d, ignored", len(raw), MAX_MESSAGE_BYTES)
        return InboundOutcome("ignored", reason="too-large")
    mail = parse_mail(raw, envelope_recipient=recipient, envelope_sender=envelope_sender)
    reason = mail.automatic or _not_for_us(mail)
    if reason:
        log.info("inbound mail ignored: %s", reason)
        return InboundOutcome("ignored", reason=reason)
    known = _known(mail.message_id)
    if known:
        return InboundOutcome("duplicate", case_number=known)
    try:
        outcome = _store(mail, now)
        db.session.commit()
    except IntegrityError:
        # The same mail arrived twice at once (a Postfix retry beside an IMAP poll): the first one stored it.
        db.session.rollback()
        known = _known(mail.message_id)
        if known is None:
            raise
        return InboundOutcome("duplicate", case_number=known)
    except BaseException:
        db.session.rollback()
        raise
    log.info("inbound mail %s: case %s", outcome.kind, outcome.case_number)
    return outcome


def _not_for_us(mail: InboundMail) -> str | None:
    if mail.sender is None:
        return "no-sender"  # nobody to answer
    ours = inbound_address()
    local, _at, domain = ours.partition("@")
    sender_local, _at, sender_domain = mail.sender.partition("@")
    own = {ours, current_app.config["HELPCENTER_SHOP_EMAIL"].lower()}
    if mail.sender in own or (sender_domain == domain and sender_local.startswith(local + "+")):
        return "own-mail"  # our own mail came back (a forwarding loop)
    if not mail.text.strip() and not mail.files:
        return "empty"
    return None


def _known(message_id: str) -> str | None:
    return db.session.scalar(select(Case.number).join(CaseMessage, CaseMessage.case_id == Case.id)
                             .where(CaseMessage.email_message_id == message_id))


def _case_of_reply(mail: InboundMail) -> Case | None:
    for address in mail.recipients:
        number = case_number_in_address(address)
        if number is not None:
            return db.session.scalar(select(Case).where(Case.number == number))
    return None


def _belongs_to(case: Case, sender: str) -> bool:
    """The sender is the case's contact address or the address of its customer or account."""
    known = {case.contact_email or ""}
    if case.customer is not None:
        known.add(case.customer.email or "")
    if case.user_id is not None:
        from app.accounts.models import User

        user = db.session.get(User, case.user_id)
        known.add(user.email if user is not None else "")
    return sender.lower() in {address.lower() for address in known if address}


def _check_files(files: list[MailFile]) -> _Files:
    """The same checks as the contact form (photos and PDFs by content, 5 MB, at most three)."""
    result = _Files()
    for file in files:
        if len(result.accepted) >= MAX_FILES:
            result.refused.append(_("%(name)s: mehr als %(n)d Anhänge.", name=file.filename[-60:], n=MAX_FILES))
            continue
        try:
            result.accepted.append(check_upload(file.filename, file.data))
        except UploadRejected as exc:
            result.refused.append(str(exc))
    return result


def _store(mail: InboundMail, now: dt.datetime) -> InboundOutcome:
    config = current_app.extensions["helpcenter.routing"]
    replied_to = _case_of_reply(mail)
    files = _check_files(mail.files)
    if replied_to is not None and _belongs_to(replied_to, mail.sender):
        try:
            reply = customer_reply(replied_to, mail.text, files.accepted, now, config, channel="email")
        except CannotReply:
            reply = None  # an erased case or a running chat: the mail still reaches someone, as a new case
        if reply is not None:
            reply.message.email_message_id = mail.message_id
            reply.message.subject = mail.subject or None
            _note_refused_files(reply.case, files, now)
            return InboundOutcome("new_case" if reply.started_new_case else "threaded", reply.case.number)
    case = _open_case(mail, files, now, config)
    if replied_to is not None:
        with force_locale(current_app.config["HELPCENTER_DEFAULT_LANG"]):
            add_note_for_agents(case, _("Antwort auf die Anfrage %(number)s, aber von einer anderen Absenderadresse. "
                                        "Bitte prüfen Sie, wer schreibt, bevor Sie Auskunft geben.",
                                        number=replied_to.number), now)
    return InboundOutcome("new_case", case.number)


def _note_refused_files(case: Case, files: _Files, now: dt.datetime) -> None:
    if files.refused:
        with force_locale(current_app.config["HELPCENTER_DEFAULT_LANG"]):
            add_note_for_agents(case, _("Nicht übernommene Anhänge der E-Mail:") + "\n" + "\n".join(files.refused), now)


def _open_case(mail: InboundMail, files: _Files, now: dt.datetime, config) -> Case:
    """A new unverified case from a mail we cannot tie to a case: the e-mail channel, the general topic."""
    from app.cases.service import open_case_by_email

    name = mail.sender_name or mail.sender.partition("@")[0]
    text = mail.text.strip() or mail.subject or _("(E-Mail ohne Text)")
    case = open_case_by_email(name=name, email=mail.sender, topic=NEW_CASE_TOPIC, text=text, now=now, config=config,
                              lang=mail.language or current_app.config["HELPCENTER_DEFAULT_LANG"],
                              opening=lambda case: _first_message(case, mail, files, now))
    _note_refused_files(case, files, now)
    return case


def _first_message(case: Case, mail: InboundMail, files: _Files, now: dt.datetime) -> None:
    message = add_customer_message(case, case.message, files.accepted, "email", now=now, opens_case=True)
    message.email_message_id = mail.message_id
    message.subject = mail.subject or None


__all__ = ["InboundOutcome", "MAX_MESSAGE_BYTES", "OperationalError", "receive_mail"]
