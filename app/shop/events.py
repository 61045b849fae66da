"""Shipment status events from the shop import and the carrier webhook, each stored once.

Both parse their events with `app.shop.schemas.EventRecord`; this module only stores them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.shop.models import Shipment, ShipmentEvent


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
