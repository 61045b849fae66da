"""`flask --app wsgi returns labels`: fetch the carrier labels still pending (one pass, for cron and tests)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.returns.labels import retry_due

returns_cli = AppGroup("returns", help="Returns: fetch pending carrier labels.")


@returns_cli.command("labels")
@click.option("--batch", type=click.IntRange(min=1, max=1000), default=50, show_default=True,
              help="Pending labels tried in this pass.")
def labels(batch):
    """Order the due pending labels from their carriers once; ready ones are mailed to the customer.

    The outbox worker (`flask outbox work`) runs the same pass between its rounds, so this is only needed
    where no worker runs, or to try at once."""
    click.echo(str(retry_due(batch=batch)))
