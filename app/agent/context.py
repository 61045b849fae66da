"""Everything an agent needs beside a case: who the customer is, their orders, returns, earlier cases, trail.

Only the case's own customer: a verified case brings the customer's shop record, an unverified one
nothing beyond what was typed into it — an unproven e-mail address must not open anyone's history.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.agent.vocabulary import flow_outcome, flow_step
from app.cases.models import Case
from app.extensions import db
from app.returns.models import ReturnItem, ReturnRequest
from app.shop.models import Customer, Order, Shipment
from app.withdrawal.models import Withdrawal

FLOW_NAMES = {
    "tracking": _l("Sendungsverfolgung"),
    "returns": _l("Rücksendung"),
    "not_received": _l("Paket nicht erhalten (Checkliste)"),
    "contact": _l("Kontaktformular"),
}


@dataclass(frozen=True)
class TrailStep:
    at: dt.datetime | None
    kind: str  # search, article, flow
    text: str
    outcome: str | None = None
    order: str | None = None
    slug: str | None = None


@dataclass
class CustomerContext:
    customer: Customer | None
    orders: list[Order] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    earlier_cases: list[Case] = field(default_factory=list)
    complaint_cases: list[tuple[ReturnRequest, Case]] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    source_return: ReturnRequest | None = None  # the return this case is the complaint of


def proven_order(case: Case) -> Order | None:
    """The case's order only once the customer is verified: an unproven claim to an order (a wrong
    postcode, another e-mail address) shows the agent nothing of it until they have checked."""
    return case.order if case.verified else None


def _owner_filter(case: Case):
    conditions = []
    if case.customer_id is not None:
        conditions.append(Case.customer_id == case.customer_id)
    if case.user_id is not None:
        conditions.append(Case.user_id == case.user_id)
    return or_(*conditions) if conditions else None


def customer_context(case: Case) -> CustomerContext:
    """The case's customer with orders (shipments, events), returns, withdrawals, earlier and complaint cases."""
    context = CustomerContext(customer=case.customer if case.verified else None)
    owner = _owner_filter(case) if case.verified else None
    if owner is not None:
        context.earlier_cases = list(db.session.scalars(
            select(Case).where(owner, Case.id != case.id).order_by(Case.created_at.desc())))
    if context.customer is None:
        if proven_order(case) is not None:
            context.orders = [case.order]
        return context
    customer_id = context.customer.id
    context.orders = list(db.session.scalars(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.placed_at.desc())
        .options(selectinload(Order.items), selectinload(Order.shipments).selectinload(Shipment.events))))
    context.returns = list(db.session.scalars(
        select(ReturnRequest).where(ReturnRequest.customer_id == customer_id).order_by(ReturnRequest.created_at.desc())
        .options(selectinload(ReturnRequest.items).selectinload(ReturnItem.photos), selectinload(ReturnRequest.order),
                 selectinload(ReturnRequest.complaint_case))))
    context.complaint_cases = [(r, r.complaint_case) for r in context.returns
                               if r.complaint_case is not None and r.complaint_case_id != case.id]
    context.source_return = next((r for r in context.returns if r.complaint_case_id == case.id), None)
    order_ids = [o.id for o in context.orders]
    context.withdrawals = list(db.session.scalars(
        select(Withdrawal).where(Withdrawal.order_id.in_(order_ids)).order_by(Withdrawal.declared_at.desc())))
    return context


def _parse_time(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def trail_steps(case: Case) -> list[TrailStep]:
    """The visit's self-service trail before contacting, as readable steps (malformed entries skipped)."""
    try:
        raw = json.loads(case.trail) if case.trail else []
    except ValueError:
        return []
    steps = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        kind, at = entry.get("kind"), _parse_time(entry.get("at"))
        if kind == "search":
            steps.append(TrailStep(at, "search", str(entry.get("query") or ""), outcome=entry.get("results")))
        elif kind == "article":
            steps.append(TrailStep(at, "article", str(entry.get("title") or entry.get("slug") or ""),
                                   slug=entry.get("slug")))
        elif kind == "flow":
            flow = entry.get("flow")
            name = str(FLOW_NAMES.get(flow, flow or ""))
            # Words, not the codes the trail stores: "Rücksendung: abgeschickt → Angemeldet".
            steps.append(TrailStep(at, "flow", f"{name}: {flow_step(entry.get('step'))}".strip(": "),
                                   outcome=flow_outcome(entry.get("outcome")), order=entry.get("order")))
    return steps
