"""Forms of the help pages: rendering only — app/help/schemas.py parses what is sent."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SearchField, StringField, TextAreaField


class SearchForm(Form):
    """GET search form: no CSRF (it changes nothing), read from request.args."""

    q = SearchField(_l("Suchbegriff"))


class VoteForm(FlaskForm):
    # Two submit buttons named "helpful" carry the answer.
    helpful = StringField(_l("War dieser Artikel hilfreich?"))


class VoteCommentForm(FlaskForm):
    comment = TextAreaField(_l("Was können wir besser machen? (optional)"))
