"""The password rules: customers 8 characters, staff 12; never a common password or the e-mail address."""
from __future__ import annotations

import pytest

from app.accounts.service import PasswordRejected, check_password_rules, is_common_password


@pytest.fixture
def rules(app):
    with app.test_request_context():
        yield check_password_rules


@pytest.mark.parametrize("password", ["123456789012", "passwort1234", "iloveyou", "Schalke04", "qwertzuiop",
                                      "PASSWORD", "trustno1", "letmein", "hallo1234567", "qwertzuiop"])
def test_common_passwords_are_known(password):
    assert is_common_password(password)


@pytest.mark.parametrize("password", ["Fahrrad-Lampe-Regen-7", "kX9#qv2!Lm0p", "blaue Tasse am Fenster"])
def test_uncommon_passwords_are_not(password):
    assert not is_common_password(password)


def test_staff_need_twelve_characters(rules):
    rules("Kiwi-Tanne-8", staff=False)  # 12 characters: fine for both
    rules("Kiwi-Tan8!", staff=False)  # 10: a customer may
    with pytest.raises(PasswordRejected, match="12"):
        rules("Kiwi-Tan8!", staff=True)
    with pytest.raises(PasswordRejected, match="8"):
        rules("Kiwi-7", staff=False)


@pytest.mark.parametrize("password", ["jonas.weber@nordlicht.example", "JONAS.WEBER@NORDLICHT.EXAMPLE",
                                      "jonas.weber", "jonas.weber2026", "!jonas.weber!"])
def test_the_email_address_is_not_a_password(rules, password):
    with pytest.raises(PasswordRejected, match="E-Mail"):
        rules(password.ljust(12, "x") if len(password) < 12 else password, email="jonas.weber@nordlicht.example",
              staff=True)


def test_a_password_that_only_contains_a_short_name_part_is_fine(rules):
    # The rule is about the address, not about every password that happens to contain two letters of it.
    rules("Sonnenblumen-Feld-42", email="li@nordlicht.example", staff=True)


def test_common_password_refused_for_staff_even_when_long(rules):
    with pytest.raises(PasswordRejected, match="verbreitet"):
        rules("passwordpassword", staff=True)
