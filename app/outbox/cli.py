"""`flask --app wsgi outbox work|status`: the worker that sends queued e-mails and webhooks."""
from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.config import ConfigError
from app.core.stopping import stop_on_signals
from app.outbox.delivery import DeliveryReport, deliver_due
from app.outbox.service import outbox_counts
from app.outbox.transports import open_mailer

log = logging.getLogger(__name__)
outbox_cli = AppGroup("outbox", help="Send the queued e-mails and webhooks.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver one round of due messages and exit.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds to wait after a round that found nothing to send.")
@click.option("--batch", type=click.IntRange(min=1, max=1000), default=50, show_default=True,
              help="Messages claimed per round.")
def outbox_work(once, interval, batch):
    """Deliver due messages until Ctrl-C or SIGTERM (which finish the current round first)."""
    try:
        open_mailer(current_app.config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if once:
        click.echo(str(deliver_due(batch=batch)))
        _run_jobs()
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Outbox worker started ({current_app.config['HELPCENTER_MAIL_BACKEND']} mail backend); "
               "Ctrl-C stops it.")
    stop = threading.Event()
    with stop_on_signals(stop):
        while not stop.is_set():
            try:
                report = deliver_due(batch=batch)
            except SQLAlchemyError as exc:
                # The database may be restarting: keep the worker alive and try again after the interval.
                log.warning("outbox round failed: %s", type(exc).__name__)
                report = DeliveryReport()
            if report.total:
                click.echo(str(report))
            jobs_busy = _run_jobs()
            if not report.total and not jobs_busy:
                stop.wait(interval)
    click.echo("Outbox worker stopped.")


def _run_jobs() -> bool:
    """One pass of each job registered in app.extensions["helpcenter.worker_jobs"] (e.g. pending return labels).

    A failing job is logged and skipped for this round: it never stops the mail delivery."""
    busy = False
    for name, job in current_app.extensions.get("helpcenter.worker_jobs", {}).items():
        try:
            report = job()
        except (SQLAlchemyError, ConfigError) as exc:
            log.warning("worker job %s failed: %s", name, type(exc).__name__)
            continue
        if getattr(report, "total", 0):
            click.echo(str(report))
            busy = True
    return busy


@outbox_cli.command("status")
def outbox_status():
    """Count the queued, sent and given-up messages."""
    counts = outbox_counts()
    click.echo(f"queued {counts['queued']}, sent {counts['sent']}, failed {counts['failed']}")
