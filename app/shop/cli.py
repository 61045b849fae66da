"""`flask --app wsgi shop import FILE.json` and `flask --app wsgi demo load`."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.extensions import db
from app.shop.importer import ImportReport, import_shop_data
from app.tracking.notifications import notify_status_change

shop_cli = AppGroup("shop", help="Sync the shop's customers, orders, shipments and stock.")
demo_cli = AppGroup("demo", help="Demo data for trying the help center.")


def apply_import(document) -> ImportReport:
    """Import and commit in one transaction, with status-change e-mails queued beside the data."""
    report = import_shop_data(document)
    for shipment, old_status in report.status_changes:
        notify_status_change(shipment, old_status)
    db.session.commit()
    return report


def _outcomes(counts) -> str:
    return ", ".join(f"{counts[outcome]} {outcome}" for outcome in ("created", "updated", "unchanged"))


def _print_report(report: ImportReport) -> None:
    records = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    click.echo(f"{_outcomes(records)}, {len(report.errors)} skipped; "
               f"products: {_outcomes(report.products)}; variants: {_outcomes(report.variants)}")
    for position, reason in report.errors:
        click.echo(f"SKIPPED {position}: {reason}", err=True)


@shop_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def shop_import(path):
    """Upsert customers, orders, shipments and product stock from FILE.json (see README for the format)."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from exc
    report = apply_import(document)
    _print_report(report)
    if report.errors:
        raise SystemExit(1)


@demo_cli.command("load")
def demo_load():
    """Create the demo shop (customers, orders in every state) and the demo logins."""
    from app.demo.loader import load_demo

    report, users = load_demo()
    _print_report(report)
    for email, password, role in users:
        click.echo(f"login {role:8} {email} / {password}")
