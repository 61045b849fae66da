"""Forms of the help pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SearchField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

MAX_QUERY_LENGTH = 200


class SearchForm(Form):
    """GET search form: no CSRF (it changes nothing), read from request.args."""

    q = SearchField(_l("Suchbegriff"), validators=[DataRequired(_l("Bitte geben Sie einen Suchbegriff ein.")),
                                                   Length(max=MAX_QUERY_LENGTH, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))])


class VoteForm(FlaskForm):
    # Two submit buttons named "helpful" carry the answer.
    helpful = StringField(_l("War dieser Artikel hilfreich?"),
                          validators=[AnyOf(["ja", "nein"], message=_l("Bitte wählen Sie Ja oder Nein."))])


class VoteCommentForm(FlaskForm):
    comment = TextAreaField(_l("Was können wir besser machen? (optional)"),
                            validators=[Optional(), Length(max=2000, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))])
