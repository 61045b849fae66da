"""Shipment status events from the shop import and the carrier webhook, each stored once."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.shop.fields import RecordError, parse_time
from app.shop.models import Shipment, ShipmentEvent
from app.shop.vocabulary import SHIPMENT_STATUSES


@dataclass(frozen=True)
class EventInput:
    occurred_at: dt.datetime
    status: str
    location: str | None
    text: str

    @property
    def fingerprint(self) -> str:
        raw = "|".join((self.occurred_at.isoformat(), self.status, self.location or "", self.text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _clean(value, name: str, max_length: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"'{name}' is missing")
        return None
    if not isinstance(value, str) or len(value) > max_length or any(ord(c) < 32 for c in value):
        raise ValueError(f"'{name}' must be text of at most {max_length} characters")
    return value.strip()


def parse_event(raw) -> EventInput:
    """Validate one event object {"time", "status", "location"?, "text"}; ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("an event must be an object")
    status = _clean(raw.get("status"), "status", 30, True)
    if status not in SHIPMENT_STATUSES:
        raise ValueError(f"'status' must be one of {', '.join(SHIPMENT_STATUSES)}")
    try:
        occurred_at = parse_time(raw.get("time"), "time")
    except RecordError as exc:
        raise ValueError(str(exc)) from exc
    return EventInput(occurred_at, status, _clean(raw.get("location"), "location", 200, False),
                      _clean(raw.get("text"), "text", 500, True))


def record_events(shipment: Shipment, events: list[EventInput], update_status: bool = True) -> tuple[int, int]:
    """Store new events (a repeated one counts as duplicate); returns (added, duplicates).

    With update_status the shipment takes the status of its latest event, as the carrier reports it.
    """
    known = set(db.session.scalars(select(ShipmentEvent.fingerprint).where(ShipmentEvent.shipment_id == shipment.id)))
    added = duplicates = 0
    for event in events:
        if event.fingerprint in known:
            duplicates += 1
            continue
        known.add(event.fingerprint)
        db.session.add(ShipmentEvent(shipment_id=shipment.id, occurred_at=event.occurred_at, status=event.status,
                                     location=event.location, text=event.text, fingerprint=event.fingerprint))
        added += 1
    db.session.flush()
    if update_status and added:
        latest = db.session.scalars(
            select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
            .order_by(ShipmentEvent.occurred_at.desc(), ShipmentEvent.id.desc()).limit(1)
        ).first()
        if latest is not None and latest.status != shipment.status:
            shipment.status = latest.status
    db.session.expire(shipment, ["events"])
    return added, duplicates
