"""A costly defect becomes a complaint case in the agents' queue instead of an automatic label."""
from __future__ import annotations

import datetime as dt
import json

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.cases.availability import answer_due
from app.cases.models import Case
from app.cases.numbering import next_case_number
from app.cases.routing import RoutingConfig
from app.extensions import db
from app.privacy.redaction import mask_card_numbers
from app.returns.models import ReturnRequest
from app.returns.vocabulary import REASONS
from app.shop.fields import SHOP_TIMEZONE


def complaint_message(ret: ReturnRequest) -> str:
    lines = [_("Reklamation aus dem Retourenportal zu Rücksendung %(number)s:", number=ret.number)]
    for item in ret.items:
        line = f"- {item.quantity} × {item.name} ({item.sku}): {REASONS[item.reason]}"
        if item.comment:
            line += f" – {item.comment}"
        if item.photos:
            line += " " + _("(%(n)d Fotos)", n=len(item.photos))
        lines.append(line)
    return "\n".join(lines)


def open_complaint_case(ret: ReturnRequest, routing: RoutingConfig, now: dt.datetime, trail=None) -> Case:
    """Create the case in the same transaction as the return; the return's confirmation mail names it."""
    customer = ret.customer
    order_value = ret.order.total_cents / 100
    route = routing.route("email", "reklamation", True, order_value)
    created = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    # Service hours only, as for every case (app/cases/availability.py answer_due).
    state = current_app.config["HELPCENTER_FEDERAL_STATE"]
    due = answer_due(routing, now, route.queue.sla_minutes, state).astimezone(dt.timezone.utc).replace(tzinfo=None)
    with force_locale("de"):
        # Agents read German; the customer's language is kept on the case for the reply.
        message = complaint_message(ret)
    case = Case(
        number=next_case_number(now.astimezone(SHOP_TIMEZONE).year), topic="reklamation",
        message=mask_card_numbers(message), desired_outcome=None, channel="email", queue=route.queue.slug,
        priority=route.priority, sla_due_at=due, verified=True, user_id=ret.user_id,
        customer_id=customer.id, order_id=ret.order_id, order_number_given=ret.order.number,
        skus=json.dumps([item.sku for item in ret.items]), contact_name=customer.name,
        contact_email=customer.email.lower(), contact_phone=customer.phone, lang=ret.lang, created_at=created,
        trail=json.dumps(trail[-40:]) if trail else None,
    )
    db.session.add(case)
    db.session.flush()
    ret.complaint_case_id = case.id
    return case
