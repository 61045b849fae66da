"""Log-in accounts of customers and staff."""
from __future__ import annotations

import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.insights.models import utcnow

ROLES = ("customer", "agent", "editor", "admin")


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

    customer = db.relationship("Customer")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session of this account, on every device and worker, ends with its next request."""
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_staff(self) -> bool:
        return self.role in ("agent", "editor", "admin")
