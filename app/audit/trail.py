"""Writing to the audit trail. Callers add the event in the same transaction as the change it
describes and commit both together, so the trail never claims a change that did not happen."""
from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from app.audit.models import AuditEvent
from app.extensions import db
from app.privacy.redaction import mask_card_numbers

OBJECT_TYPES = ("case", "return", "article", "account", "withdrawal", "order", "customer", "search")
CLI_ACTOR = "cli"
SYSTEM_ACTOR = "system"


def _acting_user():
    if not has_request_context():
        return None
    user = current_user._get_current_object() if current_user else None
    return user if getattr(user, "is_authenticated", False) else None


def record(action: str, object_type: str, object_ref, detail: str = "", *, actor=None,
           actor_label: str | None = None) -> AuditEvent:
    """Add one event; the actor is the signed-in user unless given (the CLI passes actor_label="cli")."""
    if object_type not in OBJECT_TYPES:
        raise ValueError(f"unknown audit object type {object_type!r}")
    if actor is None and actor_label is None:
        actor = _acting_user()
    label = actor_label or (actor.email if actor is not None else SYSTEM_ACTOR)
    event = AuditEvent(actor_id=actor.id if actor is not None else None, actor_label=label[:254],
                       action=action[:60], object_type=object_type, object_ref=str(object_ref)[:254],
                       detail=mask_card_numbers(detail or "")[:500])
    db.session.add(event)
    return event
