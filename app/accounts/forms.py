"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

_required = _l("Bitte füllen Sie dieses Feld aus.")


class LoginForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(_required), Length(max=254)])
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_required), Length(max=256)])
    next = HiddenField()


class PasswordForgottenForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"), validators=[DataRequired(_required), Length(max=254),
                                                         Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Neues Passwort"), validators=[DataRequired(_required), Length(max=256)])
    confirm = PasswordField(_l("Neues Passwort wiederholen"),
                            validators=[DataRequired(_required), EqualTo("password", _l("Die Passwörter stimmen nicht überein."))])


class NotificationForm(FlaskForm):
    notify_status_changes = BooleanField(_l("Bei jeder Statusänderung meiner Sendungen eine E-Mail erhalten"))
