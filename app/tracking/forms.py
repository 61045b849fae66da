"""Forms of the tracking flow: WTForms renders them and checks CSRF; app/tracking/schemas.py parses them."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField


class GuestLookupForm(FlaskForm):
    order_number = StringField(_l("Bestellnummer"), render_kw={"maxlength": 40, "required": True})
    postcode = StringField(_l("Postleitzahl der Lieferadresse"), render_kw={"maxlength": 10, "required": True})


class NotReceivedStepForm(FlaskForm):
    # Two submit buttons named "found" carry the answer.
    found = StringField()
