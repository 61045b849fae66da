"""`flask --app wsgi privacy purge|export|erase`: retention and the data subject's rights (DSGVO)."""
from __future__ import annotations

import json
import logging

import click
from flask.cli import AppGroup

from app.audit.trail import CLI_ACTOR, record
from app.extensions import db
from app.insights.models import utcnow
from app.privacy import retention, subject

log = logging.getLogger("app.privacy")
privacy_cli = AppGroup("privacy", help="Delete what has outlived its retention period; export or erase a customer.")


def now():
    """The current time as the database stores it (naive UTC); tests move it."""
    return utcnow()


@privacy_cli.command("purge")
def purge_command():
    """Remove what the retention periods say is due; safe to run hourly and on several machines at once."""
    report = retention.purge(now(), retention.periods())
    click.echo(f"purged: {report.summary()}")


@privacy_cli.command("export")
@click.argument("email")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON to this file instead of standard output.")
def export_command(email, output):
    """Write everything stored about the customer with EMAIL as JSON (Art. 15 and 20 DSGVO)."""
    found = subject.find_subject(email)
    document = json.dumps(subject.export_subject(found, now()), ensure_ascii=False, indent=2)
    db.session.rollback()
    if not found.empty:
        record("customer.export", "customer", subject.audit_reference(found),
               f"cases={len(found.cases)} returns={len(found.returns)} orders={len(found.orders)}",
               actor_label=CLI_ACTOR)
        db.session.commit()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document + "\n")
        click.echo(f"Exported to {output}.", err=True)
    else:
        click.echo(document)
    log.info("privacy export: %d cases, %d returns, %d orders", len(found.cases), len(found.returns),
             len(found.orders))


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email, yes):
    """Erase or anonymise what is stored about EMAIL (Art. 17 DSGVO); withdrawals and refund records stay."""
    found = subject.find_subject(email)
    if found.empty:
        db.session.rollback()
        click.echo("Nothing stored about this address.")
        return
    if not yes:
        click.confirm(f"Erase {len(found.users)} account(s), {len(found.customers)} customer record(s), "
                      f"{len(found.cases)} case(s) and {len(found.returns)} return(s) of this address?", abort=True)
    reference = subject.audit_reference(found)
    report, files = subject.erase_subject(found, now())
    record("customer.erase", "customer", reference, report.summary(), actor_label=CLI_ACTOR)
    db.session.commit()
    subject.remove_files(files)
    log.info("privacy erase: %s", report.summary())
    if not report.erased:
        click.echo(f"Nothing left to erase. Kept by law: {report.kept_withdrawals} withdrawal declaration(s).")
        return
    click.echo(f"erased: {report.summary()}")
    click.echo(f"Kept by law: {report.kept_withdrawals} withdrawal declaration(s) (§ 356a BGB) and the amounts of "
               f"{report.returns} return(s) and {report.orders} order(s), without name, address or text.")
