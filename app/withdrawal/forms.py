"""Forms of the withdrawal function: the contract (step 1) and the confirmation (step 2)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional


class WithdrawalForm(FlaskForm):
    # Every field is optional here: the withdrawal service checks them in one place with its own messages
    # (app/withdrawal/service.py), so a 10,000-character value gets the same clear answer as a missing one.
    order_number = StringField(_l("Bestellnummer"), validators=[Optional()])
    name = StringField(_l("Ihr Name"), validators=[Optional()])
    email = EmailField(_l("Ihre E-Mail-Adresse"), validators=[Optional()])
    ordered_on = StringField(_l("Bestellt am (optional)"), validators=[Optional()])
    skus = SelectMultipleField(_l("Nur einzelne Artikel widerrufen? (optional)"), choices=[], validate_choice=False)
    items_text = TextAreaField(_l("Nur einzelne Artikel widerrufen? Welche? (optional)"), validators=[Optional()])
    reason = TextAreaField(_l("Grund (freiwillig)"), validators=[Optional()])
    submission_id = HiddenField()


class ConfirmForm(FlaskForm):
    # Step 1's input, signed by the server: it cannot be altered between showing and confirming.
    draft = HiddenField()
