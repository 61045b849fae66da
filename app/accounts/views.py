"""Sign in and out, "Mein Konto", password reset by e-mail link."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts.forms import LoginForm, NewPasswordForm, NotificationForm, PasswordForgottenForm
from app.accounts.limits import ADDRESS_LIMITS, failed_logins_per_account, failed_logins_per_address
from app.accounts.service import (PasswordRejected, authenticate, end_all_sessions, send_password_reset,
                                  set_new_password, user_for_reset_token)
from app.accounts.sessions import start_session
from app.extensions import db, limiter
from app.returns.listing import returns_of
from app.shop.orders import orders_of
from app.withdrawal.service import withdrawals_of

bp = Blueprint("accounts", __name__)

LOGIN_LIMITS = ADDRESS_LIMITS


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/anmelden", methods=["GET", "POST"])
@failed_logins_per_address
@failed_logins_per_account
def login():
    """Sign in with e-mail and password; the same message for an unknown e-mail and a wrong password."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            start_session(user)
            return redirect(safe_next(form.next.data) or url_for("accounts.account"))
        form.password.errors.append(_("E-Mail-Adresse oder Passwort ist falsch."))
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/abmelden")
def logout():
    """Sign out: every session of the account ends, also copies of the cookie and other devices."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("help.home"))


@bp.get("/konto")
@login_required
def account():
    """'Mein Konto': the customer's orders with their status and a way to each next step."""
    orders = orders_of(current_user)
    return render_template("accounts/account.html", orders=orders, withdrawals=withdrawals_of(current_user),
                           returns=returns_of(current_user),
                           notification_form=NotificationForm(notify_status_changes=current_user.notify_status_changes))


@bp.post("/konto/benachrichtigungen")
@login_required
def notifications():
    form = NotificationForm()
    if form.validate_on_submit():
        current_user.notify_status_changes = bool(form.notify_status_changes.data)
        db.session.commit()
        flash(_("Ihre Einstellung ist gespeichert.") if current_user.notify_status_changes else
              _("Sie erhalten keine E-Mails zu Statusänderungen mehr."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/konto/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"])
def password_forgotten():
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = PasswordForgottenForm()
    if form.validate_on_submit():
        send_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/password_sent.html")
    return render_template("accounts/password_forgotten.html", form=form)


@bp.route("/konto/passwort-neu/<token>", methods=["GET", "POST"])
def password_reset(token):
    user = user_for_reset_token(token)
    if user is None:
        return render_template("accounts/password_link_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_new_password(user, form.password.data)
        except PasswordRejected as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            start_session(user)
            flash(_("Ihr neues Passwort ist gespeichert. Sie sind angemeldet."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/password_reset.html", form=form)
