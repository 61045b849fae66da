"""Carrier scans that the help center fetched (polling) or was sent in a carrier-neutral format (AfterShip),
stored through the same paths as the signed webhooks: record_events for shipments, advance() for return parcels."""
from __future__ import annotations

from app.carriers.base import CarrierScan
from app.returns.models import ReturnRequest
from app.returns.status import TransitionRefused, advance
from app.shop.events import EventInput, Recorded, record_events
from app.shop.models import Shipment
from app.tracking.notifications import notify_status_change

# A return parcel knows two carrier steps: on its way to the shop, and there. "returned" (the carrier took it back
# to the customer) and the label step are no step of the return.
RETURN_STEPS = {"in_transit": "in_transit", "out_for_delivery": "in_transit", "ready_for_pickup": "in_transit",
                "delivery_failed": "in_transit", "delivered": "received"}
# Returns the carrier can still move on.
OPEN_RETURN_STATUSES = ("registered", "in_transit")
# Shipments that no scan changes any more.
CLOSED_SHIPMENT_STATUSES = ("delivered", "returned", "lost")


def as_event(scan: CarrierScan) -> EventInput:
    return EventInput(scan.time, scan.status, scan.location, scan.text, scan.code)


def store_shipment_events(shipment: Shipment, events: list[EventInput]) -> Recorded:
    """Store new events once and tell the customer about a new status (every way scans arrive)."""
    old_status = shipment.status
    recorded = record_events(shipment, events)
    notify_status_change(shipment, old_status)
    return recorded


def store_shipment_scans(shipment: Shipment, scans: list[CarrierScan]) -> Recorded:
    """Store a carrier's scans as POST /api/shipments/events stores its events."""
    return store_shipment_events(shipment, [as_event(scan) for scan in scans])


def store_return_scans(ret: ReturnRequest, scans: list[CarrierScan]) -> int:
    """Move the return on by its parcel's scans, oldest first, as POST /api/returns/events does; a repeated scan or a
    step the return has passed already is skipped. The number of steps taken."""
    taken = 0
    for scan in sorted(scans, key=lambda s: s.time):
        step = RETURN_STEPS.get(scan.status)
        if step is None or ret.status not in OPEN_RETURN_STATUSES:
            continue
        try:
            if advance(ret, step, "carrier", scan.time, location=scan.location):
                taken += 1
        except TransitionRefused:
            continue
    return taken
