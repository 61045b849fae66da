"""`flask --app wsgi accounts deactivate|activate|sign-out EMAIL`: lock an account or end its sessions."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts.service import end_all_sessions, find_user, set_active
from app.extensions import db

accounts_cli = AppGroup("accounts", help="Deactivate accounts and end their sessions.")


def _user(email: str):
    user = find_user(email)
    if user is None:
        raise click.ClickException("No account with this e-mail address.")
    return user


@accounts_cli.command("deactivate")
@click.argument("email")
def deactivate(email):
    """The account cannot sign in any more; every session of it ends at once."""
    set_active(_user(email), False)
    db.session.commit()
    click.echo("Account deactivated; its sessions have ended.")


@accounts_cli.command("activate")
@click.argument("email")
def activate(email):
    """The account can sign in again."""
    set_active(_user(email), True)
    db.session.commit()
    click.echo("Account activated.")


@accounts_cli.command("sign-out")
@click.argument("email")
def sign_out(email):
    """End every session of the account (e.g. a lost laptop); the password stays."""
    end_all_sessions(_user(email))
    db.session.commit()
    click.echo("Every session of the account has ended.")


users_cli = AppGroup("users", help="The shop's team: create staff accounts, list them, change roles, (de)activate.")
