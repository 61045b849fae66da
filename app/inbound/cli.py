"""`flask --app wsgi mail inbound|fetch`: replies and new cases that arrive by e-mail.

`mail inbound` is made for a Postfix pipe transport: one message on stdin, exit 0 when it was stored or
deliberately dropped (auto-replies, bounces), 75 (EX_TEMPFAIL) when the database is away, so that Postfix keeps
the mail in its queue and tries again. `mail fetch` polls an IMAP mailbox (app/inbound/imap.py).
"""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from app.inbound.imap_cli import fetch_command
from app.inbound.service import MAX_MESSAGE_BYTES, receive_mail

EX_TEMPFAIL = 75  # sysexits.h: Postfix defers the mail and retries
mail_cli = AppGroup("mail", help="Receive replies and new cases by e-mail.")
mail_cli.add_command(fetch_command)


@mail_cli.command("inbound")
@click.option("--recipient", default=None, help="The envelope recipient (Postfix: ${original_recipient}).")
@click.option("--sender", default=None, help="The envelope sender (Postfix: ${sender}); empty for bounces.")
def mail_inbound(recipient, sender):
    """Read one RFC 5322 message on stdin and thread it into its case (or open a new one)."""
    raw = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
    try:
        outcome = receive_mail(raw, recipient=recipient, envelope_sender=sender)
    except OperationalError:
        click.echo("Database unavailable; the mail stays queued for a later try.", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(" ".join(part for part in (outcome.kind, outcome.case_number, outcome.reason) if part))
