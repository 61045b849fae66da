"""AfterShip Tracking's delivery statuses as the help center's: tag and subtag of each checkpoint.

AfterShip (aftership.com/docs/tracking, webhook version 2025-01 and later) tags every checkpoint with one of nine
statuses (`tag`) and a finer sub-status (`subtag`, e.g. Exception_010 "Returning to sender"). The tag gives the
shipment status; a few subtags override it (a delay is still on its way, a parcel back at the sender, lost or
damaged); the subtag is stored as the scan's code, where app.tracking.scans reads what a failed attempt means.

| tag / subtag             | status            | meaning for the advice (app/tracking/scans.py)  |
|--------------------------|-------------------|-------------------------------------------------|
| Pending, InfoReceived    | label_created     |                                                 |
| InTransit                | in_transit        |                                                 |
| OutForDelivery           | out_for_delivery  |                                                 |
| AvailableForPickup       | ready_for_pickup  | at_pickup_point                                 |
| AttemptFail              | delivery_failed   | _001, _002: not_met; others by the wording      |
| Delivered                | delivered         |                                                 |
| Exception                | delivery_failed   | _002, _007: address_incomplete; _003: refused;  |
|                          |                   | _010: returned_to_sender; others by the wording |
| Exception_004, _005      | in_transit        | (delays: customs, external factors)             |
| Exception_011            | returned          | returned_to_sender                              |
| Exception_012            | damaged           |                                                 |
| Exception_013            | lost              |                                                 |
| Expired, anything else   | (checkpoint skipped)                                                |
"""
from __future__ import annotations

import re

from app.carriers.base import CarrierScan
from app.shop.schemas import AfterShipCheckpoint, AfterShipTracking

TAG_STATUS = {"Pending": "label_created", "InfoReceived": "label_created", "InTransit": "in_transit",
              "OutForDelivery": "out_for_delivery", "AvailableForPickup": "ready_for_pickup",
              "AttemptFail": "delivery_failed", "Delivered": "delivered", "Exception": "delivery_failed"}
SUBTAG_STATUS = {"Exception_004": "in_transit", "Exception_005": "in_transit", "Exception_011": "returned",
                 "Exception_012": "damaged", "Exception_013": "lost"}
_SUBTAG = re.compile(r"^[A-Z][A-Za-z]+_\d{3}$")


def checkpoint_scan(checkpoint: AfterShipCheckpoint) -> CarrierScan | None:
    """The scan one checkpoint is, or None for a checkpoint whose tag says nothing about the parcel."""
    subtag = checkpoint.subtag if checkpoint.subtag and _SUBTAG.match(checkpoint.subtag) else None
    status = SUBTAG_STATUS.get(subtag or "") or TAG_STATUS.get(checkpoint.tag or "")
    if status is None:
        return None
    text = checkpoint.message or checkpoint.subtag_message or checkpoint.tag
    return CarrierScan(time=checkpoint.checkpoint_time, status=status, text=text,
                       location=checkpoint.location or checkpoint.city, code=subtag)


def tracking_scans(tracking: AfterShipTracking) -> list[CarrierScan]:
    return [scan for scan in map(checkpoint_scan, tracking.checkpoints) if scan is not None]
