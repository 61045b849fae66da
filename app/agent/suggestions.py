"""A suggested solution for a case from simple rules, so the agent starts with an answer.

The rules: a lost parcel is re-shipped (or refunded when an item is out of stock or the customer
asked for their money); a parcel shown as delivered but missing is traced with the carrier first; a
low-value defect is refunded without a return (sending it back would cost more than it is worth);
and the return window of a delivered order is always in view.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_currency, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from app.agent.context import proven_order
from app.cases.models import Case
from app.extensions import db
from app.returns.eligibility import item_eligibility
from app.returns.models import ProductVariant
from app.returns.policy import ReturnsPolicy
from app.shop.models import Order

DEFECT_TOPICS = ("reklamation", "lieferung-beschaedigt")


@dataclass(frozen=True)
class Suggestion:
    key: str  # reship, refund, trace, refund_without_return, return_window, return_window_over
    title: str
    text: str
    amount_cents: int | None = None
    deadline: dt.date | None = None


def affected_items(order: Order, skus: list[str]):
    chosen = [item for item in order.items if item.sku in skus]
    return chosen or list(order.items)


def _in_stock(skus: list[str]) -> bool | None:
    """True/False when the shop's stock of every SKU is known, None when any is not."""
    stock = dict(db.session.execute(select(ProductVariant.sku, ProductVariant.stock)
                                    .where(ProductVariant.sku.in_(skus))).all())
    if set(stock) != set(skus):
        return None
    return all(value > 0 for value in stock.values())


def _money(cents: int, currency: str) -> str:
    return format_currency(cents / 100, currency)


def _lost(case: Case, order: Order, items) -> Suggestion:
    value = sum(i.unit_price_cents * i.quantity for i in items)
    stock = _in_stock([i.sku for i in items])
    if case.desired_outcome == "erstattung" or stock is False:
        why = (_("Die Kundin/der Kunde wünscht das Geld zurück.") if case.desired_outcome == "erstattung"
               else _("Mindestens ein Artikel ist nicht vorrätig."))
        return Suggestion("refund", _("Erstatten: Paket verloren"),
                          _("Das Paket gilt als verloren. %(why)s Erstatten Sie %(amount)s und melden Sie den "
                            "Verlust beim Zusteller.", why=why, amount=_money(value, order.currency)), value)
    return Suggestion("reship", _("Neu versenden: Paket verloren"),
                      _("Das Paket gilt als verloren. Schicken Sie die Artikel kostenlos neu (Wert %(amount)s) "
                        "und melden Sie den Verlust beim Zusteller; ist etwas nicht vorrätig, erstatten Sie es.",
                        amount=_money(value, order.currency)), value)


def suggest(case: Case, policy: ReturnsPolicy, today: dt.date, skus: list[str] | None = None) -> list[Suggestion]:
    """The rules that apply to this case, most specific first (none without an order).

    Return window and the value below which nothing is sent back come from the returns policy.
    """
    order = proven_order(case)
    if order is None:
        return []
    items = affected_items(order, skus or [])
    suggestions = []
    shipment_states = {s.status for s in order.shipments}
    windows = [e for e in item_eligibility(order, policy, today) if e.item in items and e.delivered_on]
    delivered = max((e.delivered_on for e in windows), default=None)
    if case.topic == "lieferung-verloren" or "lost" in shipment_states or order.status == "lost":
        suggestions.append(_lost(case, order, items))
    elif case.topic == "lieferung-nicht-erhalten" and delivered is not None:
        suggestions.append(Suggestion(
            "trace", _("Nachforschung beim Zusteller, dann neu versenden oder erstatten"),
            _("Laut Zusteller zugestellt am %(day)s. Die Checkliste (Nachbarn, Packstation, Briefkasten) hat die "
              "Kundin/der Kunde schon durchlaufen, siehe Verlauf. Beantragen Sie den Zustellnachweis; "
              "findet sich das Paket nicht, gilt es als verloren: neu versenden oder erstatten.",
              day=format_date(delivered, "long"))))
    if case.topic in DEFECT_TOPICS:
        value = sum(i.unit_price_cents * i.quantity for i in items)
        if value <= policy.returnless_max_cents:
            suggestions.append(Suggestion(
                "refund_without_return", _("Erstatten ohne Rücksendung"),
                _("Geringer Warenwert (%(amount)s): Eine Rücksendung kostet mehr, als der Artikel wert ist. "
                  "Erstatten Sie den Betrag, ohne den Artikel zurückzufordern.",
                  amount=_money(value, order.currency)), value))
    if delivered is not None:
        deadline = max(e.window_ends for e in windows)
        days_left = (deadline - today).days
        if days_left >= 0:
            suggestions.append(Suggestion(
                "return_window", _("Rückgabefrist läuft noch"),
                _("Zugestellt am %(day)s: Eine Rücksendung ist bis %(deadline)s möglich (noch %(n)d Tage).",
                  day=format_date(delivered, "long"), deadline=format_date(deadline, "long"),
                  n=days_left), deadline=deadline))
        else:
            suggestions.append(Suggestion(
                "return_window_over", _("Rückgabefrist abgelaufen"),
                _("Zugestellt am %(day)s: Die Rückgabefrist endete am %(deadline)s. Eine Rücksendung geht nur "
                  "noch aus Kulanz oder als Reklamation (Gewährleistung).",
                  day=format_date(delivered, "long"), deadline=format_date(deadline, "long")),
                deadline=deadline))
    return suggestions
