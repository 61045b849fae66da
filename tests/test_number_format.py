"""Figures in the reader's language (insights, trends): decimal comma and thousands dot in German."""
from flask_babel import force_locale

from app.i18n import format_number


def test_figures_in_german_and_english(app):
    with app.test_request_context():
        with force_locale("de"):
            assert [format_number(v) for v in (83.8, 1234, 0.75, None, "–")] == ["83,8", "1.234", "0,8", "–", "–"]
            assert format_number(3.5, signed=True) == "+3,5" and format_number(-5.9, signed=True) == "-5,9"
        with force_locale("en"):
            assert [format_number(v) for v in (83.8, 1234)] == ["83.8", "1,234"]

