"""Forms of the tracking flow."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length

_required = _l("Bitte füllen Sie dieses Feld aus.")


class GuestLookupForm(FlaskForm):
    order_number = StringField(_l("Bestellnummer"), validators=[DataRequired(_required), Length(max=40)])
    postcode = StringField(_l("Postleitzahl der Lieferadresse"), validators=[DataRequired(_required), Length(max=10)])


class NotReceivedStepForm(FlaskForm):
    # Two submit buttons named "found" carry the answer.
    found = StringField(validators=[AnyOf(["ja", "nein"])])
