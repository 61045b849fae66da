"""Returns as the agent works them: the queue of open returns and the steps each one can take next."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.returns.models import FINAL_STATUSES, STATUSES, ReturnItem, ReturnRequest
from app.returns.status import TransitionRefused, advance, check_transition

# Oldest first: what waits longest is handled first. Parcels on their way are listed too (agents answer
# "wo ist meine Rücksendung?"), but the ones in hand come first.
OPEN_STATUSES = ("received", "inspected", "complaint", "in_transit", "registered")

# The buttons of the return page, in working order, with the words the agent reads.
STEPS = {
    "received": _l("Eingegangen"),
    "inspected": _l("Geprüft"),
    "refunded": _l("Erstattet"),
    "exchanged": _l("Umgetauscht"),
}
# What the page offers next: the usual order, one step at a time (the API may still skip, e.g. for a shop
# system that books the refund itself). A complaint can be decided at once.
NEXT = {"registered": ("received",), "in_transit": ("received",), "received": ("inspected",),
        "inspected": ("refunded", "exchanged"), "complaint": tuple(STEPS)}
SOURCES = {"customer": _l("Kundin/Kunde"), "carrier": _l("Paketdienst"), "agent": _l("Kundenservice")}


def open_returns(status: str | None = None) -> list[ReturnRequest]:
    """Returns still to work on (or all in one status), oldest first, with order, customer and items."""
    wanted = (status,) if status in STATUSES else OPEN_STATUSES
    rows = db.session.scalars(
        select(ReturnRequest).where(ReturnRequest.status.in_(wanted)).order_by(ReturnRequest.created_at)
        .options(selectinload(ReturnRequest.items), selectinload(ReturnRequest.order),
                 selectinload(ReturnRequest.customer), selectinload(ReturnRequest.carrier_label)))
    order = {code: index for index, code in enumerate(OPEN_STATUSES)}
    # A label the carrier refused needs an agent before anything else can happen: those first.
    return sorted(rows, key=lambda r: (not label_failed(r), order.get(r.status, len(order))))


def label_failed(ret: ReturnRequest) -> bool:
    """The carrier refused to issue this return's label (the customer cannot send anything yet)."""
    return ret.carrier_label is not None and ret.carrier_label.state == "failed" and ret.status == "registered"


def return_for_agent(number: str) -> ReturnRequest | None:
    return db.session.scalar(
        select(ReturnRequest).where(ReturnRequest.number == number)
        .options(selectinload(ReturnRequest.items).selectinload(ReturnItem.photos),
                 selectinload(ReturnRequest.events)))


def next_steps(ret: ReturnRequest) -> list[str]:
    """The steps the return can take now (the page shows only these buttons)."""
    possible = []
    for status in NEXT.get(ret.status, ()):
        try:
            check_transition(ret, status, "agent")
        except TransitionRefused:
            continue
        possible.append(status)
    return possible


def may_refuse(ret: ReturnRequest) -> bool:
    try:
        check_transition(ret, "refused", "agent")
    except TransitionRefused:
        return False
    return True


def move_on(ret: ReturnRequest, status: str, agent, note: str, seen_status: str, now: dt.datetime) -> None:
    """One agent step; TransitionRefused (with ChangedMeanwhile when a colleague was quicker) says why not."""
    advance(ret, status, "agent", now.astimezone(dt.timezone.utc).replace(tzinfo=None), actor_id=agent.id,
            note=note or None, seen_status=seen_status or None)


def is_final(ret: ReturnRequest) -> bool:
    return ret.status in FINAL_STATUSES
