"""Passwords are kept as Argon2id hashes; accounts from before (werkzeug scrypt/pbkdf2) sign in and are upgraded."""
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.accounts.models import User
from app.accounts.passwords import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, hash_password, needs_rehash, verify_password
from app.extensions import db
from tests.conftest import login


def _stored_hash(app, email="kim.berg@example.com"):
    with app.app_context():
        return db.session.scalar(sa.select(User.password_hash).where(User.email == email))


def test_a_new_password_is_kept_as_argon2id_with_owasp_parameters(app, make_user):
    make_user()
    stored = _stored_hash(app)
    assert stored.startswith("$argon2id$v=19$")
    assert f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p=1" in stored
    assert "richtig-gutes-passwort" not in stored
    assert not needs_rehash(stored)


def test_verify_password_accepts_only_the_right_password():
    stored = hash_password("ein-langes-passwort")
    assert verify_password(stored, "ein-langes-passwort")
    assert not verify_password(stored, "ein-langes-Passwort")
    assert not verify_password(stored, "")
    # Hashes that match nothing: a cleared password, an erased account, garbage.
    for nothing in ("!" + "ab" * 16, "!", "", "$argon2id$kaputt", "md5:abc"):
        assert not verify_password(nothing, "ein-langes-passwort")


def test_an_account_with_a_scrypt_hash_signs_in_and_gets_argon2id(app, client, make_user):
    make_user()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "kim.berg@example.com"))
        user.password_hash = generate_password_hash("richtig-gutes-passwort")  # werkzeug's scrypt, as before
        session_token = user.session_token
        db.session.commit()
    assert _stored_hash(app).startswith("scrypt:")

    assert login(client, password="falsches-passwort").status_code == 401
    assert _stored_hash(app).startswith("scrypt:")  # a wrong password changes nothing

    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/konto")
    upgraded = _stored_hash(app)
    assert upgraded.startswith("$argon2id$") and verify_password(upgraded, "richtig-gutes-passwort")
    with app.app_context():
        # Not a new password: the account's other sessions stay signed in.
        assert db.session.scalar(sa.select(User.session_token).where(User.email == "kim.berg@example.com")) == session_token
    assert "Hallo Kim Berg!" in client.get("/konto").get_data(as_text=True)

    assert login(app.test_client()).status_code == 302  # and the new hash signs in on another device


def test_an_old_pbkdf2_hash_still_verifies_and_needs_a_rehash():
    old = generate_password_hash("ein-langes-passwort", method="pbkdf2:sha256:600000")
    assert verify_password(old, "ein-langes-passwort") and not verify_password(old, "falsch")
    assert needs_rehash(old)
