"""Forms of the help pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, RadioField, SearchField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MAX_QUERY_LENGTH = 200


class SearchForm(Form):
    """GET search form: no CSRF (it changes nothing), read from request.args."""

    q = SearchField(_l("Suchbegriff"), validators=[DataRequired(_l("Bitte geben Sie einen Suchbegriff ein.")),
                                                   Length(max=MAX_QUERY_LENGTH, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))])


class VoteForm(FlaskForm):
    helpful = RadioField(_l("War dieser Artikel hilfreich?"), choices=[("ja", _l("Ja")), ("nein", _l("Nein"))],
                         validators=[DataRequired(_l("Bitte wählen Sie Ja oder Nein."))])


class VoteCommentForm(FlaskForm):
    comment = TextAreaField(_l("Was können wir besser machen? (optional)"),
                            validators=[Optional(), Length(max=2000, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))])
