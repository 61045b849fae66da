"""Forms of the returns center: WTForms renders them and checks CSRF; app/returns/schemas.py parses the post."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, MultipleFileField, RadioField,
                     SelectField, TextAreaField)
from wtforms.fields.choices import SelectChoice

from app.returns.vocabulary import REASONS, RESOLUTIONS


class ReturnItemForm(Form):
    # No validators: ReturnFormInput parses the post, the returns service decides what a return needs.
    sku = HiddenField()
    selected = BooleanField(_l("Diesen Artikel zurücksenden"))
    quantity = SelectField(_l("Anzahl"), choices=[], validate_choice=False)
    reason = SelectField(_l("Grund"), validate_choice=False,
                         choices=[SelectChoice("", _l("Bitte wählen …"))] + [SelectChoice(k, v) for k, v in REASONS.items()])
    comment = TextAreaField(_l("Anmerkung (optional)"))
    exchange_for = SelectField(_l("Stattdessen möchte ich"), choices=[], validate_choice=False)
    photos = MultipleFileField(_l("Fotos (optional, JPEG oder PNG, bis 5 MB)"))


class ReturnForm(FlaskForm):
    items = FieldList(FormField(ReturnItemForm))
    resolution = RadioField(_l("Was möchten Sie?"), validate_choice=False,
                            choices=[SelectChoice(k, v) for k, v in RESOLUTIONS.items()], default="refund")
    carrier = RadioField(_l("Womit senden Sie zurück?"), choices=[], validate_choice=False)
    submission_id = HiddenField()
    # Set once the customer was asked whether a size that contradicts the reason is meant: asked once only.
    sizes_confirmed = HiddenField()


class CancelReturnForm(FlaskForm):
    pass
