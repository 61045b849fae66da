"""The structured contact form: fields shown depend on the topic and the channel."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, MultipleFileField, RadioField, SelectField,
                     SelectMultipleField, StringField, TelField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.cases.topics import OUTCOMES, TOPIC_GROUPS


def topic_choices():
    choices = [SelectChoice("", _l("Bitte wählen …"))]
    for group in TOPIC_GROUPS:
        choices.extend(SelectChoice(t.slug, t.label, optgroup=str(group.label)) for t in group.topics)
    return choices


class ContactForm(FlaskForm):
    # Renders the form and checks CSRF. What was sent is parsed by the one case schema
    # (app/cases/schemas.py ContactFormInput), which POST /api/cases uses too.
    topic = SelectField(_l("Worum geht es?"), choices=topic_choices, validate_choice=False)
    order_number = StringField(_l("Bestellung"), render_kw={"maxlength": 40})
    skus = SelectMultipleField(_l("Welche Artikel sind betroffen?"), choices=[], validate_choice=False)
    message = TextAreaField(_l("Was ist passiert?"), render_kw={"maxlength": 5000})
    desired_outcome = RadioField(_l("Was wünschen Sie sich?"),
                                 choices=[SelectChoice(k, v) for k, v in OUTCOMES.items()], validate_choice=False)
    channel = RadioField(_l("Wie sollen wir uns melden?"), validate_choice=False, choices=[
        SelectChoice("phone", _l("Rückruf")), SelectChoice("email", _l("E-Mail")), SelectChoice("chat", _l("Chat"))])
    phone = TelField(_l("Telefonnummer für den Rückruf"), render_kw={"maxlength": 40})
    phone_consent = BooleanField(_l("Ich bin einverstanden, dass Sie mich unter dieser Nummer zu meiner Anfrage anrufen."))
    callback_slot = RadioField(_l("Wann dürfen wir anrufen?"), choices=[], validate_choice=False)
    name = StringField(_l("Ihr Name"), render_kw={"maxlength": 200})
    email = EmailField(_l("Ihre E-Mail-Adresse"), render_kw={"maxlength": 254})
    postcode = StringField(_l("Postleitzahl der Lieferadresse (optional)"), render_kw={"maxlength": 10})
    attachments = MultipleFileField(_l("Fotos oder Dokumente (optional)"))
    article = HiddenField()
    submission_id = HiddenField()


class CaseReplyForm(FlaskForm):
    # Renders the reply box and checks CSRF; app/cases/schemas.py CaseReplyFormInput parses what was sent.
    body = TextAreaField(_l("Ihre Antwort"), render_kw={"maxlength": 5000, "rows": 5})
    attachments = MultipleFileField(_l("Fotos oder Dokumente (optional)"))
    submission_id = HiddenField()


class SurveyForm(FlaskForm):
    score = RadioField(_l("Wie zufrieden sind Sie mit unserer Hilfe?"), validate_choice=False,
                       choices=[SelectChoice(str(n), label) for n, label in (
                           (5, _l("5 – sehr zufrieden")), (4, _l("4 – zufrieden")), (3, _l("3 – teils, teils")),
                           (2, _l("2 – unzufrieden")), (1, _l("1 – sehr unzufrieden")))])
    comment = TextAreaField(_l("Möchten Sie uns noch etwas sagen? (optional)"), validators=[Optional(), Length(max=2000)])
    # Shown only with HELPCENTER_SURVEY_NPS=on; 0 = not at all likely, 10 = extremely likely.
    recommend = RadioField(_l("Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (optional)"),
                           validate_choice=False, choices=[SelectChoice(str(n), str(n)) for n in range(11)])
