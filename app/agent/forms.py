"""The agent console's small action forms (each one CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.fields.choices import SelectChoice

from app.agent.actions import CALLBACK_OUTCOMES, OUTCOMES


class ClaimForm(FlaskForm):
    pass


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Interne Notiz (sieht nur das Team)"), validators=[Optional(), Length(max=5000)])


class ReplyForm(FlaskForm):
    subject = StringField(_l("Betreff"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("Antwort an die Kundin/den Kunden"), validators=[Optional(), Length(max=5000)])


class CallbackForm(FlaskForm):
    outcome = RadioField(_l("Wie ging der Rückruf aus?"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in CALLBACK_OUTCOMES.items()])
    note = TextAreaField(_l("Notiz zum Gespräch"), validators=[Optional(), Length(max=5000)])


class ResolveForm(FlaskForm):
    outcome = SelectField(_l("Ergebnis"), validate_choice=False,
                          choices=[SelectChoice("", _l("Bitte wählen …"))] + [SelectChoice(k, v) for k, v in OUTCOMES.items()])
    note = TextAreaField(_l("Notiz zur Lösung (intern)"), validators=[Optional(), Length(max=5000)])


class ReopenForm(FlaskForm):
    note = TextAreaField(_l("Warum wieder öffnen?"), validators=[Optional(), Length(max=5000)])


class VerifyForm(FlaskForm):
    note = TextAreaField(_l("Wie geprüft? (intern)"), validators=[Optional(), Length(max=5000)])


class PresenceForm(FlaskForm):
    status = RadioField(_l("Ihr Status"), validate_choice=False,
                        choices=[SelectChoice("online", _l("Online (Chat annehmen)")), SelectChoice("away", _l("Abwesend"))])


class ChatForm(FlaskForm):
    body = TextAreaField(_l("Nachricht"), validators=[Optional(), Length(max=2000)])
