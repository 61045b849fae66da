"""The agent console's small action forms: rendering and CSRF only — app/agent/schemas.py parses them."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.agent.actions import CALLBACK_OUTCOMES, OUTCOMES


class ClaimForm(FlaskForm):
    pass


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Interne Notiz (sieht nur das Team)"))


class ReplyForm(FlaskForm):
    subject = StringField(_l("Betreff"))
    body = TextAreaField(_l("Antwort an die Kundin/den Kunden"))


class CallbackForm(FlaskForm):
    outcome = RadioField(_l("Wie ging der Rückruf aus?"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in CALLBACK_OUTCOMES.items()])
    note = TextAreaField(_l("Notiz zum Gespräch"))


class ResolveForm(FlaskForm):
    outcome = SelectField(_l("Ergebnis"), validate_choice=False,
                          choices=[SelectChoice("", _l("Bitte wählen …"))] + [SelectChoice(k, v) for k, v in OUTCOMES.items()])
    note = TextAreaField(_l("Notiz zur Lösung (intern)"))


class ReopenForm(FlaskForm):
    note = TextAreaField(_l("Warum wieder öffnen?"))


class VerifyForm(FlaskForm):
    note = TextAreaField(_l("Wie geprüft? (intern)"))


class PresenceForm(FlaskForm):
    status = RadioField(_l("Ihr Status"), validate_choice=False,
                        choices=[SelectChoice("online", _l("Online (Chat annehmen)")), SelectChoice("away", _l("Abwesend"))])


class ChatForm(FlaskForm):
    body = TextAreaField(_l("Nachricht"))


class ReturnStepForm(FlaskForm):
    """The step buttons of a return (name="status"); the note stays with the return, for the team."""

    note = TextAreaField(_l("Notiz zum Schritt (intern, optional)"), id="step-note")
    seen_status = HiddenField(id="step-seen-status")


class ReturnRefuseForm(FlaskForm):
    note = TextAreaField(_l("Begründung (geht per E-Mail an die Kundin/den Kunden)"), id="refuse-note")
    seen_status = HiddenField(id="refuse-seen-status")
