"""How passwords are kept: Argon2id hashes with OWASP's parameters.

Argon2id with 19 MiB of memory, two passes and one lane is OWASP's first recommendation (Password
Storage Cheat Sheet). Werkzeug's default before it, scrypt with N=2^15, is below OWASP's scrypt
minimum (N=2^17) and took about 130 ms of CPU per sign-in on our 2-core reference machine, against
about 30 ms for Argon2id: under load, every sign-in held a worker for half a second or more.

Hashes written before (werkzeug's "scrypt:…" and "pbkdf2:…") still verify; the first sign-in with
the right password replaces them, so no one has to choose a new password.
"""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP: "m=19456 (19 MiB), t=2, p=1". Changing them makes every stored hash "need a rehash" at
# its owner's next sign-in; nothing else has to happen.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_LANES = 1

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_LANES, type=Type.ID)
_ARGON2_PREFIX = "$argon2"
_WERKZEUG_PREFIXES = ("scrypt:", "pbkdf2:")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash; False for a hash that matches nothing ("!…")."""
    if not stored or not isinstance(password, str):
        return False
    if stored.startswith(_ARGON2_PREFIX):
        try:
            return _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored.startswith(_WERKZEUG_PREFIXES):
        from werkzeug.security import check_password_hash

        return check_password_hash(stored, password)
    return False


def needs_rehash(stored: str) -> bool:
    """An older scheme or older parameters: replace the hash while the password is at hand."""
    if stored.startswith(_ARGON2_PREFIX):
        try:
            return _hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
    return stored.startswith(_WERKZEUG_PREFIXES)
