"""Sign-in and password forms: rendering and CSRF only — app/accounts/schemas.py parses what is sent."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField

_REQUIRED = {"required": True}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), render_kw=_REQUIRED)
    password = PasswordField(_l("Passwort"), render_kw=_REQUIRED)
    next = HiddenField()


class PasswordForgottenForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), render_kw=_REQUIRED)


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Neues Passwort"), render_kw=_REQUIRED)
    confirm = PasswordField(_l("Neues Passwort wiederholen"), render_kw=_REQUIRED)


class NotificationForm(FlaskForm):
    notify_status_changes = BooleanField(_l("Bei jeder Statusänderung meiner Sendungen eine E-Mail erhalten"))


class SecondFactorForm(FlaskForm):
    """A code from the authenticator app or a recovery code (sign-in, and confirming changes)."""

    code = StringField(_l("Code"), render_kw={"required": True, "inputmode": "text", "autocomplete": "one-time-code",
                                              "spellcheck": "false", "autocapitalize": "off"})


class ConfirmSecondFactorForm(FlaskForm):
    code = StringField(_l("Code aus der App (6 Ziffern)"),
                       render_kw={"required": True, "inputmode": "numeric", "autocomplete": "one-time-code"})


class StartSecondFactorForm(FlaskForm):
    """Only the button and its CSRF token."""


def new_password_taken(form: NewPasswordForm, user) -> bool:
    """Parse the new-password form and set the password (the caller commits); False puts the reason at
    the field: refused by the schema, the two entries differ, or the password rules say no."""
    from flask_babel import gettext as _

    from app.accounts.schemas import NewPasswordInput
    from app.accounts.service import PasswordRejected, set_new_password
    from app.core.forms import parse_form_into

    given = parse_form_into(NewPasswordInput, form)
    if given is None:
        return False
    if given.confirm != given.password:
        form.confirm.errors = [_("Die Passwörter stimmen nicht überein.")]
        return False
    try:
        set_new_password(user, given.password)
    except PasswordRejected as exc:
        form.password.errors = [str(exc)]
        return False
    return True
