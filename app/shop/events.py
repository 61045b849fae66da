"""Shipment status events from the shop import and the carrier webhook, each stored once.

Both parse their events with `app.shop.schemas.EventRecord`; this module only stores them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from app.extensions import db
from app.shop.models import Shipment, ShipmentEvent


@dataclass(frozen=True)
class EventInput:
    occurred_at: dt.datetime
    status: str
    location: str | None
    text: str
    code: str | None = None

    @property
    def fingerprint(self) -> str:
        # The carrier's code is not part of a scan's identity: carriers (and the shop's export) send the same
        # scan with and without it, and rows stored before codes existed must still match their resends.
        raw = "|".join((self.occurred_at.isoformat(), self.status, self.location or "", self.text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Recorded(NamedTuple):
    added: int
    duplicates: int
    coded: int  # known scans that got their carrier's code now (they count as duplicates too)


def record_events(shipment: Shipment, events: list[EventInput], update_status: bool = True) -> Recorded:
    """Store new events (a repeated one counts as duplicate); a repeat brings a code the stored scan lacks.

    With update_status the shipment takes the status of its latest event, as the carrier reports it.
    """
    known = {event.fingerprint: event for event in db.session.scalars(
        select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id))}
    added = duplicates = coded = 0
    for event in events:
        stored = known.get(event.fingerprint)
        if stored is not None:
            duplicates += 1
            # The first code a scan got stays: a replay of older data must not flip it back and forth.
            if event.code and not stored.code:
                stored.code = event.code
                coded += 1
            continue
        stored = ShipmentEvent(shipment_id=shipment.id, occurred_at=event.occurred_at, status=event.status,
                               location=event.location, text=event.text, code=event.code,
                               fingerprint=event.fingerprint)
        db.session.add(stored)
        known[event.fingerprint] = stored
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
    return Recorded(added, duplicates, coded)
