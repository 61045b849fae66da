"""Shared set-up of the editors' tests (pages and JSON API): two editors in a fresh app."""
from __future__ import annotations

import pytest

EDITOR = ("lena.text@example.com", "richtig-gutes-passwort")
SECOND_EDITOR = ("ole.wort@example.com", "richtig-gutes-passwort")


@pytest.fixture
def editorial(make_app, make_user):
    app = make_app(HELPCENTER_STAFF_2FA="optional")
    make_user(email=EDITOR[0], password=EDITOR[1], role="editor", name="Lena Text")
    make_user(email=SECOND_EDITOR[0], password=SECOND_EDITOR[1], role="editor", name="Ole Wort")
    return app
