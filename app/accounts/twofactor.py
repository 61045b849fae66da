"""The second factor: TOTP (an authenticator app) with one-time recovery codes.

Each code is accepted once, also when two requests bring it at the same moment: a TOTP code moves
the account's `totp_last_step` forward with one conditional UPDATE, a recovery code marks its row
used with one conditional UPDATE — whichever request's UPDATE changes the row wins, the other is
refused. The caller commits (and writes nothing when a code is refused).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, or_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import RecoveryCode, User
from app.audit.trail import record
from app.extensions import db
from app.insights.models import utcnow

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are read off paper and typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# 31^10: about 50 bits per code, and each works once.
RECOVERY_CODE_LENGTH = 10
TOTP_DIGITS = 6
# One step (30 s) either side: the phone's clock may be a little off, and typing takes time.
TOTP_WINDOW = 1
_SEPARATORS = re.compile(r"[\s\-]+")


class SecondFactorRefused(ValueError):
    """A code that is wrong, already used or not allowed here; the message is shown (already translated)."""


def clock() -> float:
    """Seconds since the epoch; tests move it."""
    return time.time()


def issuer() -> str:
    return f"{current_app.config['HELPCENTER_SHOP_NAME']} Hilfe-Center"


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS)


# --- setting it up ------------------------------------------------------------------------------

def start_enrolment(user: User) -> str:
    """A new secret, stored unconfirmed: it is not asked for at sign-in until the first code matched."""
    if user.has_second_factor:
        raise SecondFactorRefused(_msg("already_on"))
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return _totp(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer())


def qr_data_uri(user: User) -> str:
    """The otpauth URI as a PNG data URI (the CSP allows data: images, not inline SVG styles)."""
    import segno

    return segno.make(provisioning_uri(user), error="m").png_data_uri(scale=5, border=2)


def grouped_secret(secret: str) -> str:
    """ "JBSW Y3DP EHPK 3PXP" — easier to type by hand than 32 characters in one go."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch the second factor on with the first code from the app; returns the new recovery codes."""
    if user.has_second_factor:
        raise SecondFactorRefused(_msg("already_on"))
    if not user.totp_secret:
        raise SecondFactorRefused(_msg("no_enrolment"))
    if not _accept_totp(user, code):
        raise SecondFactorRefused(_msg("wrong_setup_code"))
    user.totp_confirmed_at = utcnow()
    codes = _replace_recovery_codes(user)
    record("account.second_factor_on", "account", user.email, actor=user)
    return codes


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Ten fresh recovery codes for a current code; the old ones stop working."""
    if not user.has_second_factor:
        raise SecondFactorRefused(_msg("not_on"))
    check_code(user, code)
    codes = _replace_recovery_codes(user)
    record("account.recovery_codes_new", "account", user.email, actor=user)
    return codes


def switch_off(user: User, code: str) -> None:
    """Remove the second factor and its recovery codes, for a current code and only where it is optional."""
    from app.accounts.staff import second_factor_required

    if not user.has_second_factor:
        raise SecondFactorRefused(_msg("not_on"))
    if second_factor_required(user):
        raise SecondFactorRefused(_msg("required"))
    check_code(user, code)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.expire(user, ["recovery_codes"])
    db.session.flush()
    record("account.second_factor_off", "account", user.email, actor=user)


def unused_recovery_codes(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


# --- checking a code ----------------------------------------------------------------------------

def check_code(user: User, code: str) -> str:
    """Accept a current TOTP code or an unused recovery code, once; returns "totp" or "recovery"."""
    cleaned = _SEPARATORS.sub("", code or "").lower()
    if not user.has_second_factor or not cleaned:
        raise SecondFactorRefused(_msg("wrong_code"))
    if cleaned.isdigit() and len(cleaned) == TOTP_DIGITS:
        if _accept_totp(user, cleaned):
            return "totp"
    elif len(cleaned) == RECOVERY_CODE_LENGTH and _use_recovery_code(user, cleaned):
        return "recovery"
    raise SecondFactorRefused(_msg("wrong_code"))


def _matching_step(secret: str, code: str) -> int | None:
    totp = _totp(secret)
    now_step = totp.timecode(clock())
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, code: str) -> bool:
    cleaned = _SEPARATORS.sub("", code or "")
    if not (cleaned.isdigit() and len(cleaned) == TOTP_DIGITS) or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, cleaned)
    if step is None:
        return False
    # Only a step later than the last accepted one moves it: the same code (or an older one) a second
    # time changes no row, also when both requests run at once.
    moved = db.session.execute(
        update(User).where(User.id == user.id, User.totp_secret == user.totp_secret,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        return False
    set_committed_value(user, "totp_last_step", step)  # what the UPDATE wrote; nothing left to flush
    return True


def _recovery_hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{code}".encode()).hexdigest()


def _use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _recovery_hash(user, code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return False
    db.session.expire(user, ["recovery_codes"])
    return True


def _new_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, code.replace("-", ""))))
    db.session.flush()
    db.session.expire(user, ["recovery_codes"])
    return codes


def _msg(reason: str) -> str:
    from flask_babel import gettext as _

    return {
        "wrong_code": _("Der Code stimmt nicht oder wurde schon verwendet. Bitte nehmen Sie den aktuellen Code "
                        "aus Ihrer App oder einen unbenutzten Wiederherstellungscode."),
        "wrong_setup_code": _("Der Code stimmt nicht. Bitte geben Sie den Code ein, den Ihre App gerade zeigt, "
                              "und prüfen Sie, ob die Uhrzeit Ihres Telefons stimmt."),
        "already_on": _("Der zweite Faktor ist schon eingerichtet."),
        "not_on": _("Der zweite Faktor ist nicht eingerichtet."),
        "no_enrolment": _("Bitte beginnen Sie die Einrichtung neu."),
        "required": _("Für Ihre Rolle ist der zweite Faktor vorgeschrieben; er kann nicht abgeschaltet werden."),
    }[reason]
