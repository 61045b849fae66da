"""`flask --app wsgi tracking poll [--loop]`: ask the carriers' tracking APIs about open parcels.

Runs beside the outbox worker (deploy/systemd/helpcenter-tracking.service): any number of pollers on any number of nodes
share the parcels through leases in the database; the rate limits count per node.
"""
from __future__ import annotations

import logging
from threading import Event

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.config import ConfigError
from app.core.stopping import stop_on_signals
from app.tracking.poll import Poller, PollReport

log = logging.getLogger(__name__)
tracking_cli = AppGroup("tracking", help="Live tracking from the carriers' APIs.")


@tracking_cli.command("poll")
@click.option("--loop", is_flag=True, help="Keep polling until Ctrl-C or SIGTERM (which finish the current parcel).")
@click.option("--interval", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds between two passes with --loop when nothing more is due.")
@click.option("--batch", type=click.IntRange(min=1, max=1000), default=25, show_default=True,
              help="Parcels claimed per pass at most; the rest wait for the next pass.")
def tracking_poll(loop, interval, batch):
    """Poll the tracking APIs the returns policy names (tracking = "dhl") and store new scans once."""
    try:
        poller = Poller.for_app()
        if not loop:
            report = poller.poll_once(batch=batch)
            click.echo(str(report))
            if report.failed:
                click.get_current_context().exit(1)  # cron should tell someone
            return
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"Tracking poller started (batch {batch}, every {interval:g} s when idle); Ctrl-C stops it.")
    stop = Event()
    with stop_on_signals(stop):
        while not stop.is_set():
            try:
                report = poller.poll_once(batch=batch)
            except SQLAlchemyError as exc:
                # The database may be restarting: keep the poller alive and try again after the interval.
                log.warning("tracking poll pass failed: %s", type(exc).__name__)
                report = PollReport()
            if report.polled or report.failed or report.finished:
                click.echo(str(report))
            if not report.waiting or report.deferred:
                # Idle, or the carrier paused us / the day's calls are used: wait (at most until the pause ends).
                stop.wait(max(interval, min(poller.pause_seconds(), 3600.0)))
    click.echo("Tracking poller stopped.")
