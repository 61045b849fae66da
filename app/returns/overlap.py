"""A complaint about an article that is already on its way back for a refund: both sides must know.

Worked out when a page is shown, from the case's order and articles and the returns' items, so it
is always current (a return cancelled since, or a complaint resolved, stops the flag by itself).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from app.cases.models import Case
from app.cases.topics import TOPICS
from app.extensions import db
from app.returns.models import FINAL_STATUSES, ReturnItem, ReturnRequest

COMPLAINT_GROUP = "reklamation"


@dataclass(frozen=True)
class Overlap:
    ret: ReturnRequest
    item_names: tuple[str, ...]


def _is_complaint(case: Case) -> bool:
    topic = TOPICS.get(case.topic)
    return topic is not None and topic.group == COMPLAINT_GROUP


def _skus(case: Case) -> set[str]:
    return set(json.loads(case.skus)) if case.skus else set()


def refund_returns_for(case: Case) -> list[Overlap]:
    """The open refund returns that hold an article this complaint is about (none for other topics)."""
    if case.order_id is None or not _is_complaint(case) or not _skus(case):
        return []
    rows = db.session.execute(
        select(ReturnRequest, ReturnItem.name)
        .join(ReturnItem, ReturnItem.return_id == ReturnRequest.id)
        .where(ReturnRequest.order_id == case.order_id, ReturnRequest.resolution == "refund",
               ReturnRequest.status.not_in(FINAL_STATUSES), ReturnItem.sku.in_(_skus(case)),
               # The complaint a return opened itself is not a second claim on it.
               (ReturnRequest.complaint_case_id.is_(None)) | (ReturnRequest.complaint_case_id != case.id))
        .order_by(ReturnRequest.id, ReturnItem.id)).all()
    found: dict[int, tuple[ReturnRequest, list[str]]] = {}
    for ret, name in rows:
        found.setdefault(ret.id, (ret, []))[1].append(name)
    return [Overlap(ret, tuple(names)) for ret, names in found.values()]


def complaints_about(ret: ReturnRequest) -> list[Case]:
    """The open complaint cases about an article of this refund return (for the agent looking at it)."""
    if ret.resolution != "refund" or ret.status in FINAL_STATUSES:
        return []
    skus = {item.sku for item in ret.items}
    cases = db.session.scalars(select(Case).where(Case.order_id == ret.order_id, Case.status != "resolved",
                                                  Case.skus.is_not(None)).order_by(Case.id))
    return [c for c in cases if c.id != ret.complaint_case_id and _is_complaint(c) and _skus(c) & skus]
