"""The /admin forms: rendering and CSRF only — app/admin/schemas.py parses what is sent."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, Form, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.admin.vocabulary import OBJECT_LABELS, ROLE_LABELS



def _choices(pairs, everything: bool = False) -> list[SelectChoice]:
    """Choices for a select; a filter starts with "alle" (the empty value: no filter)."""
    return ([SelectChoice("", _l("alle"))] if everything else []) + [SelectChoice(k, v) for k, v in pairs]


class InviteForm(FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"))
    name = StringField(_l("Name (optional)"))
    role = SelectField(_l("Rolle im Team"), choices=_choices(ROLE_LABELS.items()), validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField(_l("Neue Rolle"), choices=_choices(ROLE_LABELS.items()), validate_choice=False)


class ConfirmForm(FlaskForm):
    """One button (activate, deactivate, reset factors, new link): the CSRF token is all it sends."""


class TeamFilterForm(Form):
    """GET filter of the team list: no CSRF (it changes nothing), read from request.args."""

    q = SearchField(_l("Name oder E-Mail enthält"))
    rolle = SelectField(_l("Rolle"), choices=_choices(ROLE_LABELS.items(), everything=True), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False,
                         choices=_choices((("aktiv", _l("aktiv")), ("inaktiv", _l("deaktiviert"))), everything=True))


class TrailFilterForm(Form):
    """GET filter of the audit trail."""

    person = StringField(_l("Person (E-Mail, „cli“ oder „system“)"))
    art = SelectField(_l("Art"), choices=_choices(OBJECT_LABELS.items(), everything=True), validate_choice=False)
    aktion = SelectField(_l("Aktion"), choices=_choices((), everything=True), validate_choice=False)
    objekt = StringField(_l("Objekt (Nummer oder E-Mail)"))
    von = DateField(_l("Von (Tag)"))
    bis = DateField(_l("Bis (Tag)"))
