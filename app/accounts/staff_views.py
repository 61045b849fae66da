"""Staff sign-in steps: choosing a password from the invitation link, the second factor (TOTP or a
recovery code) at sign-in, and the security page where staff set it up."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.accounts import twofactor
from app.accounts.forms import (ConfirmSecondFactorForm, NewPasswordForm, SecondFactorForm, StartSecondFactorForm,
                                 new_password_taken)
from app.accounts.limits import failed_codes_per_account, failed_logins_per_address
from app.accounts.schemas import CodeInput
from app.accounts.signin import after_password, drop_pending, finish_pending, landing_url, pending_user
from app.accounts.staff import second_factor_required, user_for_invitation_token
from app.audit.trail import record
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.extensions import db
from app.core.responses import never_stored

bp = Blueprint("staff_signin", __name__)


@bp.route("/konto/willkommen/<token>", methods=["GET", "POST"])
@form_parsed_by_schema
def welcome(token):
    """Choose a password from the one-time invitation link (24 h)."""
    user = user_for_invitation_token(token)
    if user is None:
        return render_template("accounts/invitation_invalid.html"), 400
    form = NewPasswordForm()
    if request.method == "GET":
        return never_stored(render_template("accounts/welcome.html", form=form, user=user))
    if new_password_taken(form, user):
        record("account.password_set", "account", user.email, actor=user)
        # A renewed link (forgotten password) replaces the password, not the second factor.
        step = after_password(user)
        db.session.commit()
        if not step.signed_in:
            flash(_("Ihr Passwort ist gespeichert."), "success")
            return redirect(step.target)
        if second_factor_required(user):
            flash(_("Ihr Passwort ist gespeichert. Für Ihre Rolle ist ein zweiter Faktor vorgeschrieben: "
                    "Bitte richten Sie ihn jetzt ein."), "success")
            return redirect(url_for("staff_signin.security"))
        flash(Markup("{} <a href=\"{}\">{}</a>").format(
            _("Ihr Passwort ist gespeichert. Schützen Sie Ihr Konto zusätzlich mit einem zweiten Faktor."),
            url_for("staff_signin.security"), _("Zweiten Faktor einrichten")), "success")
        return redirect(landing_url(user))
    return never_stored(render_template("accounts/welcome.html", form=form, user=user), FORM_ERROR_STATUS)


# --- the second step of signing in ---------------------------------------------------------------

@bp.route("/anmelden/zweiter-faktor", methods=["GET", "POST"])
@form_parsed_by_schema
@failed_logins_per_address
@failed_codes_per_account
def second_factor():
    """The code from the app (or a recovery code) after the right password; five minutes long."""
    user = pending_user()
    if user is None:
        drop_pending()
        flash(_("Die Anmeldung ist abgelaufen. Bitte melden Sie sich noch einmal an."), "error")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if request.method == "GET":
        return never_stored(render_template("accounts/second_factor.html", form=form))
    given = parse_form_into(CodeInput, form)
    if given is None:
        return never_stored(render_template("accounts/second_factor.html", form=form), FORM_ERROR_STATUS)
    try:
        step = finish_pending(user, given.code)
    except twofactor.SecondFactorRefused as exc:
        g.second_factor_failed = True
        form.code.errors = [str(exc)]
        return never_stored(render_template("accounts/second_factor.html", form=form), 401)
    db.session.commit()
    return redirect(step.target)


# --- the security page ---------------------------------------------------------------------------

def _staff_only():
    if not current_user.is_staff:
        abort(404)  # customers have no second factor here (yet)


def _security_page(status: int = 200, *, code_form=None, confirm_form=None):
    user = current_user
    enrolling = bool(user.totp_secret) and not user.has_second_factor
    return never_stored(render_template(
        "accounts/security.html", user=user, required=second_factor_required(user), enrolling=enrolling,
        qr=twofactor.qr_data_uri(user) if enrolling else None,
        secret=twofactor.grouped_secret(user.totp_secret) if enrolling else None,
        unused=twofactor.unused_recovery_codes(user) if user.has_second_factor else 0,
        start_form=StartSecondFactorForm(), confirm_form=confirm_form or ConfirmSecondFactorForm(),
        recovery_form=code_form if code_form is not None and code_form.form_name == "recovery" else
        _code_form("recovery"), off_form=code_form if code_form is not None and code_form.form_name == "off"
        else _code_form("off"), workspace=landing_url(user)), status)


def _code_form(name: str) -> SecondFactorForm:
    form = SecondFactorForm(prefix=name, formdata=None)
    form.form_name = name
    return form


@bp.get("/konto/sicherheit")
@login_required
def security():
    """The staff member's account: the second factor's status, setting it up, recovery codes."""
    _staff_only()
    return _security_page()


@bp.post("/konto/sicherheit/einrichten")
@login_required
def security_start():
    """A new secret for the authenticator app (unconfirmed until its first code matches)."""
    _staff_only()  # the form is only its CSRF token, checked before any view runs
    try:
        twofactor.start_enrolment(current_user)
    except twofactor.SecondFactorRefused as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for("staff_signin.security") + "#einrichten")


@bp.post("/konto/sicherheit/bestaetigen")
@form_parsed_by_schema
@failed_codes_per_account
@login_required
def security_confirm():
    """Switch the second factor on with the app's first code; shows the recovery codes once."""
    _staff_only()
    form = ConfirmSecondFactorForm()
    given = parse_form_into(CodeInput, form)
    if given is None:
        return _security_page(FORM_ERROR_STATUS, confirm_form=form)
    try:
        codes = twofactor.confirm_enrolment(current_user, given.code)
    except twofactor.SecondFactorRefused as exc:
        g.second_factor_failed = True
        form.code.errors = [str(exc)]
        return _security_page(FORM_ERROR_STATUS, confirm_form=form)
    db.session.commit()
    return _recovery_codes_page(codes, first=True)


@bp.post("/konto/sicherheit/wiederherstellungscodes")
@form_parsed_by_schema
@failed_codes_per_account
@login_required
def security_recovery():
    """Ten new recovery codes (the old ones stop working), for a current code."""
    _staff_only()
    form = _posted_code_form("recovery")
    given = parse_form_into(CodeInput, form, _unprefixed("recovery"))
    if given is None:
        return _security_page(FORM_ERROR_STATUS, code_form=form)
    try:
        codes = twofactor.new_recovery_codes(current_user, given.code)
    except twofactor.SecondFactorRefused as exc:
        g.second_factor_failed = True
        form.code.errors = [str(exc)]
        return _security_page(FORM_ERROR_STATUS, code_form=form)
    db.session.commit()
    return _recovery_codes_page(codes, first=False)


@bp.post("/konto/sicherheit/abschalten")
@form_parsed_by_schema
@failed_codes_per_account
@login_required
def security_off():
    """Switch the second factor off, for a current code, where the role does not require it."""
    _staff_only()
    if second_factor_required(current_user):
        flash(_("Für Ihre Rolle ist der zweite Faktor vorgeschrieben; er kann nicht abgeschaltet werden."), "error")
        return redirect(url_for("staff_signin.security"))
    form = _posted_code_form("off")
    given = parse_form_into(CodeInput, form, _unprefixed("off"))
    if given is None:
        return _security_page(FORM_ERROR_STATUS, code_form=form)
    try:
        twofactor.switch_off(current_user, given.code)
    except twofactor.SecondFactorRefused as exc:
        g.second_factor_failed = True
        form.code.errors = [str(exc)]
        return _security_page(FORM_ERROR_STATUS, code_form=form)
    db.session.commit()
    flash(_("Der zweite Faktor ist abgeschaltet. Sie melden sich jetzt nur mit Ihrem Passwort an."), "success")
    return redirect(url_for("staff_signin.security"))


def _posted_code_form(name: str) -> SecondFactorForm:
    form = SecondFactorForm(prefix=name)
    form.form_name = name
    return form


def _unprefixed(name: str):
    """The posted "<name>-code" field as "code", for the one schema of a code."""
    from werkzeug.datastructures import MultiDict

    prefix = f"{name}-"
    return MultiDict([(key[len(prefix):], value) for key, value in request.form.items(multi=True)
                      if key.startswith(prefix)])


def _recovery_codes_page(codes: list[str], *, first: bool):
    return never_stored(render_template("accounts/recovery_codes.html", codes=codes, first=first,
                                     workspace=landing_url(current_user)))
