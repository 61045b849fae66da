"""`flask --app wsgi accounts deactivate|activate|sign-out EMAIL`: lock an account or end its sessions.
`flask --app wsgi users create|list|role|deactivate|activate|invite|reset-factors`: the shop's team.

Every change is written to the audit trail as done by "cli", in the same transaction.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import staff
from app.accounts.service import end_all_sessions, find_user, set_active
from app.audit.trail import CLI_ACTOR, record
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
    user = _user(email)
    if user.is_staff:
        # The same guard as `users deactivate`: the last active admin stays.
        try:
            staff.set_staff_active(user, False, actor_label=CLI_ACTOR)
        except staff.StaffError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        set_active(user, False)
        record("account.deactivate", "account", user.email, actor_label=CLI_ACTOR)
    db.session.commit()
    click.echo("Account deactivated; its sessions have ended.")


@accounts_cli.command("activate")
@click.argument("email")
def activate(email):
    """The account can sign in again."""
    user = _user(email)
    set_active(user, True)
    record("account.activate", "account", user.email, actor_label=CLI_ACTOR)
    db.session.commit()
    click.echo("Account activated.")


@accounts_cli.command("sign-out")
@click.argument("email")
def sign_out(email):
    """End every session of the account (e.g. a lost laptop); the password stays."""
    user = _user(email)
    end_all_sessions(user)
    record("account.sign_out", "account", user.email, actor_label=CLI_ACTOR)
    db.session.commit()
    click.echo("Every session of the account has ended.")


users_cli = AppGroup("users", help="The shop's team: create staff accounts, list them, change roles, (de)activate.")


def _staff(email: str):
    user = staff.staff_member(email)
    if user is None or not user.is_staff:
        raise click.ClickException(f"No staff account with the e-mail address {email!r}.")
    return user


def _run(change):
    """Make the change and commit; a refused change is rolled back and reported, exit code 1."""
    try:
        result = change()
    except staff.StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return result


def _link_lines(link: str) -> str:
    return (f"One-time link to choose the password (valid for {staff.INVITATION_HOURS} hours, works once):\n"
            f"  {link}")


@users_cli.command("create")
@click.argument("email")
# The role is checked by create_staff, so a wrong one is the same clear message (exit 1) as everywhere.
@click.option("--role", required=True, help="What the person may do: agent, lead (team lead), editor or admin.")
@click.option("--name", default="", help="The name colleagues see (default: the e-mail's name part).")
def create_user(email, role, name):
    """Create a staff account without a password and print the one-time link to choose it."""
    def change():
        user = staff.create_staff(email, role, name, actor_label=CLI_ACTOR)
        return user, staff.invitation_link(user)

    user, link = _run(change)
    click.echo(f"Created {user.role} account for {user.email} ({user.name}).")
    click.echo(_link_lines(link))


@users_cli.command("invite")
@click.argument("email")
def invite_user(email):
    """A new one-time link (an expired invitation or a forgotten password); older links stop working."""
    user = _staff(email)
    link = _run(lambda: staff.renew_invitation(user, actor_label=CLI_ACTOR))
    click.echo(f"New link for {user.email}; the password is reset and every session has ended.")
    click.echo(_link_lines(link))


def _berlin(moment) -> str:
    if moment is None:
        return "never"
    import datetime as dt

    from app.shop.fields import SHOP_TIMEZONE

    return moment.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).strftime("%Y-%m-%d %H:%M")


@users_cli.command("list")
def list_users():
    """The team: e-mail, name, role, active, password or pending invitation, second factor, last sign-in."""
    from app.accounts.team import staff_members

    header = ("E-MAIL", "NAME", "ROLE", "ACTIVE", "PASSWORD", "2FA", "LAST SIGN-IN (BERLIN)")
    rows = [(u.email, u.name, u.role, "yes" if u.active else "no",
             "chosen" if u.has_password else "invitation pending", "on" if u.has_second_factor else "off",
             _berlin(u.last_login_at)) for u in staff_members()]
    db.session.rollback()
    if not rows:
        click.echo("No staff accounts yet. Create one with: flask --app wsgi users create EMAIL --role admin")
        return
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@users_cli.command("role")
@click.argument("email")
@click.argument("role")
def set_role(email, role):
    """Give the staff member another role (agent, lead, editor, admin); their sessions end."""
    user = _staff(email)
    _run(lambda: staff.change_role(user, role, actor_label=CLI_ACTOR))
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email):
    """The staff member cannot sign in any more; every session ends at once."""
    user = _staff(email)
    _run(lambda: staff.set_staff_active(user, False, actor_label=CLI_ACTOR))
    click.echo(f"{user.email} is deactivated; every session has ended.")


@users_cli.command("activate")
@click.argument("email")
def activate_user(email):
    """The staff member can sign in again."""
    user = _staff(email)
    _run(lambda: staff.set_staff_active(user, True, actor_label=CLI_ACTOR))
    click.echo(f"{user.email} is active.")


@users_cli.command("reset-factors")
@click.argument("email")
def reset_factors(email):
    """Remove the second factor and the recovery codes (a lost phone); every session ends."""
    user = _staff(email)
    _run(lambda: staff.reset_sign_in_factors(user, actor_label=CLI_ACTOR))
    click.echo(f"Second factor and recovery codes of {user.email} removed; it is set up again at the next sign-in.")
