"""Sign in and out, "Mein Konto", password reset by e-mail link."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts.forms import (LoginForm, NewPasswordForm, NotificationForm, PasswordForgottenForm,
                                 new_password_taken)
from app.accounts.limits import ADDRESS_LIMITS, failed_logins_per_account, failed_logins_per_address
from app.accounts.schemas import LoginFormInput, NotificationInput, PasswordForgottenInput, safe_next
from app.accounts.service import (authenticate, end_all_sessions, password_sign_in_allowed, send_password_reset,
                                  user_for_reset_token)
from app.accounts.signin import after_password
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.extensions import db, limiter
from app.returns.listing import returns_of
from app.shop.orders import orders_of
from app.withdrawal.service import withdrawals_of

bp = Blueprint("accounts", __name__)

LOGIN_LIMITS = ADDRESS_LIMITS


@bp.route("/anmelden", methods=["GET", "POST"])
@form_parsed_by_schema
@failed_logins_per_address
@failed_logins_per_account
def login():
    """Sign in with e-mail and password; the same message for an unknown e-mail and a wrong password."""
    form = LoginForm(next=safe_next(request.args.get("next")) or "")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
        return render_template("accounts/login.html", form=form)
    given = parse_form_into(LoginFormInput, form)
    # The page shown again carries only a target that would be followed.
    form.next.data = given.next if given is not None else safe_next(request.form.get("next")) or ""
    if given is None:
        return render_template("accounts/login.html", form=form), FORM_ERROR_STATUS
    user = authenticate(given.email, given.password)
    if user is None:
        form.password.errors = [_("E-Mail-Adresse oder Passwort ist falsch.")]
        return render_template("accounts/login.html", form=form), 401
    if not password_sign_in_allowed(user, current_app.config):
        db.session.rollback()
        form.email.errors = [_("Bitte melden Sie sich oben mit Ihrem Kundenkonto bei %(shop)s an.",
                               shop=current_app.config["HELPCENTER_SHOP_NAME"])]
        return render_template("accounts/login.html", form=form), 403
    step = after_password(user, next_path=given.next)
    db.session.commit()
    return redirect(step.target)


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
    if current_user.is_staff:
        # Staff have no orders: their account is the security page (password, second factor).
        return redirect(url_for("staff_signin.security"))
    return _account_page(NotificationForm(notify_status_changes=current_user.notify_status_changes))


def _account_page(notification_form: NotificationForm, status: int = 200):
    return render_template("accounts/account.html", orders=orders_of(current_user),
                           withdrawals=withdrawals_of(current_user), returns=returns_of(current_user),
                           notification_form=notification_form), status


@bp.get("/konto/anfragen")
@login_required
def cases():
    """'Meine Anfragen': every case of the customer with its topic, status and last activity."""
    from app.cases.conversation import CUSTOMER_STATUSES, cases_of
    from app.cases.topics import TOPICS

    if current_user.is_staff:
        return redirect(url_for("staff_signin.security"))
    response = current_app.make_response(render_template(
        "accounts/cases.html", lines=cases_of(current_user), topics=TOPICS, statuses=CUSTOMER_STATUSES))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/konto/benachrichtigungen")
@form_parsed_by_schema
@login_required
def notifications():
    """Switch the status e-mails on or off."""
    form = NotificationForm()
    given = parse_form_into(NotificationInput, form)
    if given is None:
        return _account_page(form, FORM_ERROR_STATUS)
    current_user.notify_status_changes = given.notify_status_changes
    db.session.commit()
    flash(_("Ihre Einstellung ist gespeichert.") if current_user.notify_status_changes else
          _("Sie erhalten keine E-Mails zu Statusänderungen mehr."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/konto/passwort-vergessen", methods=["GET", "POST"])
@form_parsed_by_schema
@limiter.limit("5 per 15 minutes", methods=["POST"])
def password_forgotten():
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = PasswordForgottenForm()
    if request.method == "GET":
        return render_template("accounts/password_forgotten.html", form=form)
    given = parse_form_into(PasswordForgottenInput, form)
    if given is None:
        return render_template("accounts/password_forgotten.html", form=form), FORM_ERROR_STATUS
    send_password_reset(given.email)
    db.session.commit()
    return render_template("accounts/password_sent.html")


@bp.route("/konto/passwort-neu/<token>", methods=["GET", "POST"])
@form_parsed_by_schema
def password_reset(token):
    """Set a new password from the e-mail link (once); the customer is signed in afterwards."""
    user = user_for_reset_token(token)
    if user is None:
        return render_template("accounts/password_link_invalid.html"), 400
    form = NewPasswordForm()
    if request.method == "GET":
        return render_template("accounts/password_reset.html", form=form)
    if new_password_taken(form, user):
        # The e-mail link replaces the password, not the second factor: that is still asked for.
        step = after_password(user)
        db.session.commit()
        flash(_("Ihr neues Passwort ist gespeichert. Sie sind angemeldet.") if step.signed_in else
              _("Ihr neues Passwort ist gespeichert."), "success")
        return redirect(step.target)
    return render_template("accounts/password_reset.html", form=form), FORM_ERROR_STATUS
