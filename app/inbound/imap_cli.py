"""`flask --app wsgi mail fetch [--loop]`: read the IMAP mailbox and thread each new message into a case."""
from __future__ import annotations

import datetime as dt
import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.database import safe_rollback
from app.extensions import db
from app.inbound.imap import DEFAULT_BATCH, FetchReport, ImapError, ImapSettings, fetch_mailbox

log = logging.getLogger(__name__)


def now() -> dt.datetime:
    """The time a fetched message is received at (aware UTC); tests move it."""
    return dt.datetime.now(dt.timezone.utc)


def receive_and_commit(raw: bytes) -> str:
    """Thread one message into a case, committed on its own, so one bad message loses no other.

    receive_mail commits itself today; the commit here keeps that promise should it leave committing to callers."""
    from app.inbound.service import receive_mail  # loaded only when mail is fetched

    try:
        outcome = receive_mail(raw, now())
        db.session.commit()
    except BaseException:
        safe_rollback()
        raise
    return outcome.kind


@click.command("fetch")
@click.option("--loop", is_flag=True, help="Keep polling until Ctrl-C or SIGTERM.")
@click.option("--interval", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds between two passes with --loop.")
@click.option("--batch", type=click.IntRange(min=1, max=10000), default=DEFAULT_BATCH, show_default=True,
              help="Messages handled per pass at most; the rest wait for the next pass.")
@with_appcontext
def fetch_command(loop, interval, batch):
    """Fetch new messages from the IMAP mailbox (HELPCENTER_IMAP_*) and thread them into cases."""
    try:
        settings = ImapSettings.from_config(current_app.config)
    except ImapError as exc:
        raise click.ClickException(str(exc)) from None
    if not loop:
        try:
            report = fetch_mailbox(settings, receive_and_commit, batch=batch)
        except ImapError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(str(report))
        if report.stopped:
            click.get_current_context().exit(1)  # the pass did not finish: cron should tell someone
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Fetching mail from {settings.address} every {interval:g} s; Ctrl-C stops it.")
    # Stopping between two steps loses nothing: a message is marked only after its case was committed, and
    # one committed but not yet marked comes again and is recognised by its Message-ID.
    try:
        while True:
            report = _one_pass(settings, batch)
            if report.fetched or report.stopped:
                click.echo(str(report))
            if not report.waiting or report.stopped:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Mail fetching stopped.")


def _one_pass(settings: ImapSettings, batch: int) -> FetchReport:
    try:
        return fetch_mailbox(settings, receive_and_commit, batch=batch)
    except ImapError as exc:
        # The server may be restarting or briefly unreachable: keep polling.
        log.warning("mail fetch failed: %s", exc)
        return FetchReport(stopped=str(exc))
