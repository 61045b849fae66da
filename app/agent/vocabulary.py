"""The words agents read for the codes behind cases, queues and the customer's self-service trail.

Codes stay in the data and the JSON (scripts and reports key on them); every page and every
`*_label` field shows these words instead, in the agent's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.agent.actions import CALLBACK_OUTCOMES, OUTCOMES, STATUSES
from app.cases.topics import TOPICS
from app.returns.vocabulary import STATUS_LABELS as RETURN_STATUSES
from app.tracking.not_received import STEPS as NOT_RECEIVED_STEPS

PRIORITIES = {"low": _l("niedrig"), "normal": _l("normal"), "high": _l("hoch")}
CHANNELS = {"phone": _l("Rückruf"), "email": _l("E-Mail"), "chat": _l("Chat")}

# Steps of the self-service flows as the trail records them (app/selfservice/trail.py callers).
FLOW_STEPS = {
    "start": _l("begonnen"),
    "items": _l("Artikel gewählt"),
    "sent": _l("abgeschickt"),
    "guest_lookup": _l("Bestellung ohne Konto gesucht"),
    "form": _l("Formular geöffnet"),
    "status": _l("Sendungsstatus angesehen"),
    "report": _l("Meldung begonnen"),
    **{step.key: step.title for step in NOT_RECEIVED_STEPS},
}

# What a step ended with: found or not, the tracking advice shown, the return's status, the channel chosen.
TRACKING_ADVICE = {
    "cancelled": _l("Bestellung storniert"), "processing": _l("in Bearbeitung"), "lost": _l("verloren gemeldet"),
    "damaged": _l("beschädigt"), "delivery_failed": _l("Zustellung gescheitert"),
    "ready_for_pickup": _l("abholbereit"), "overdue": _l("deutlich überfällig"), "delayed": _l("verspätet"),
    "stuck": _l("hängt fest"), "partially_delivered": _l("teilweise zugestellt"), "on_time": _l("im Plan"),
    "delivered": _l("zugestellt"), "returned": _l("zurück an den Shop"),
    "address_incomplete": _l("Anschrift unvollständig"), "held_at_depot": _l("im Depot"),
    "refused": _l("Annahme verweigert"), "to_pickup_point": _l("auf dem Weg zur Abholstelle"),
}
FLOW_OUTCOMES = {
    "found": _l("gefunden"), "not_found": _l("nicht gefunden"), "contact": _l("Kontakt aufgenommen"),
    "returnless": _l("Erstattung ohne Rücksendung"),
    **TRACKING_ADVICE, **RETURN_STATUSES, **CHANNELS,
}


def flow_step(code: str | None) -> str:
    return str(FLOW_STEPS.get(code, code or ""))


def flow_outcome(code: str | None) -> str | None:
    """A known outcome's words; a topic slug (the contact form's) its title; anything else as recorded."""
    if code is None:
        return None
    if code in FLOW_OUTCOMES:
        return str(FLOW_OUTCOMES[code])
    if code in TOPICS:
        return str(TOPICS[code].label)
    return code


def case_outcome(code: str | None) -> str | None:
    if code is None:
        return None
    return str(OUTCOMES.get(code) or CALLBACK_OUTCOMES.get(code) or code)


__all__ = ["PRIORITIES", "CHANNELS", "STATUSES", "flow_step", "flow_outcome", "case_outcome"]
