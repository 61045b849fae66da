"""Log-in accounts of customers and staff."""
from __future__ import annotations

import secrets

from flask_login import UserMixin

from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.extensions import db
from app.insights.models import utcnow

ROLES = ("customer", "agent", "lead", "editor", "admin")
STAFF_ROLES = ("agent", "lead", "editor", "admin")
# Who works cases in the agent console: agents, team leads (an agent who also sees the service figures), admins.
CASE_WORKER_ROLES = ("agent", "lead", "admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(20), nullable=False, default="customer")
    customer_id = db.Column(db.Integer, db.ForeignKey("customer.id"), nullable=True, unique=True)
    notify_status_changes = db.Column(db.Boolean, nullable=False, default=False)
    # Carried in every session and compared on every request: rotated on logout, password change and
    # deactivation, it ends every session of the account on every worker at once.
    session_token = db.Column(db.String(40), nullable=False, default=new_session_token)
    # A deactivated account cannot sign in, and its sessions end.
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime, nullable=True)
    # None while an invited staff member has not chosen a password yet (the hash is unusable then).
    password_set_at = db.Column(db.DateTime, nullable=True)
    # TOTP second factor: the base32 secret, confirmed once the first code from the app matched.
    # A secret without confirmation is an enrolment in progress and is not asked for at sign-in.
    totp_secret = db.Column(db.String(64), nullable=True)
    totp_confirmed_at = db.Column(db.DateTime, nullable=True)
    # The last TOTP time step accepted: a code is accepted once, never replayed within its window.
    totp_last_step = db.Column(db.BigInteger, nullable=True)
    # How the account was created: "password" (own sign-up/demo), "invite" (staff), "sso-jwt", "sso-oidc".
    origin = db.Column(db.String(20), nullable=False, default="password", server_default="password")

    customer = db.relationship("Customer")
    recovery_codes = db.relationship("RecoveryCode", cascade="all, delete-orphan", order_by="RecoveryCode.id",
                                     back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.password_set_at = utcnow()
        self.end_sessions()

    def clear_password(self) -> None:
        """No password signs in any more (an invited account, or one signed in only through the shop)."""
        self.password_hash = "!" + secrets.token_hex(16)  # never a password hash, so never matches
        self.password_set_at = None
        self.end_sessions()

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash) and not self.password_hash.startswith("!")

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed_at is not None

    def end_sessions(self) -> None:
        """Every session of this account, on every device and worker, ends with its next request."""
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def check_password(self, password: str) -> bool:
        if not self.password_hash or self.password_hash.startswith("!"):
            return False
        if not verify_password(self.password_hash, password):
            return False
        # Written with an older scheme (werkzeug's scrypt) or older parameters: keep it up to date
        # while the password is at hand. Not a new password: sessions and links stay valid.
        if needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)
        return True

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def works_cases(self) -> bool:
        return self.role in CASE_WORKER_ROLES


class RecoveryCode(db.Model):
    """One-time codes for signing in without the authenticator app; only their hashes are kept."""

    __tablename__ = "recovery_code"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    used_at = db.Column(db.DateTime, nullable=True)

    user = db.relationship("User", back_populates="recovery_codes")


class SsoTokenUse(db.Model):
    """A single-sign-on token id (JWT `jti`) already used: the primary key makes a replay fail even
    when two requests race. Rows are kept until the token would have expired anyway, then purged."""

    __tablename__ = "sso_token_use"

    jti_hash = db.Column(db.String(64), primary_key=True)
    used_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False, index=True)
