"""Reply templates (Textbausteine) with placeholders such as {name} filled from the case.

Filling is one pass of plain text replacement, never str.format: an unknown placeholder (or one the
case has no value for) stays visible for the agent to fill in, and braces in a customer's name or in
a value are copied as they are — nothing is looked up through attributes or indexes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.agent.context import proven_order
from app.cases.models import Case
from app.shop.carriers import CARRIERS

PLACEHOLDER = re.compile(r"\{([a-z_]{1,40})\}")


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    title: str
    body: str


TEMPLATES = (
    ReplyTemplate("eingang", _l("Eingang bestätigen"), _l(
        "Hallo {name},\n\nvielen Dank für Ihre Nachricht zu Ihrer Anfrage {case_number}. Wir kümmern uns darum "
        "und melden uns, sobald wir mehr wissen.\n\nViele Grüße\n{agent_name}\nKundenservice {shop}")),
    ReplyTemplate("sendung", _l("Sendungsstatus mitteilen"), _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} ist unterwegs. Den aktuellen Stand sehen Sie hier: "
        "{tracking_url}\n\nViele Grüße\n{agent_name}\nKundenservice {shop}")),
    ReplyTemplate("neuversand", _l("Neuversand zusagen"), _l(
        "Hallo {name},\n\nes tut uns leid, dass Ihre Bestellung {order_number} nicht angekommen ist. Wir schicken "
        "Ihnen die Artikel kostenlos noch einmal; Sie erhalten eine Versandbestätigung mit neuer "
        "Sendungsnummer.\n\nViele Grüße\n{agent_name}\nKundenservice {shop}")),
    ReplyTemplate("erstattung", _l("Erstattung zusagen"), _l(
        "Hallo {name},\n\nwir erstatten Ihnen den Betrag für Ihre Bestellung {order_number}. Das Geld ist in "
        "wenigen Werktagen auf dem Zahlungsweg Ihrer Bestellung zurück. Sie müssen nichts zurückschicken.\n\n"
        "Viele Grüße\n{agent_name}\nKundenservice {shop}")),
    ReplyTemplate("rueckfrage", _l("Rückfrage stellen"), _l(
        "Hallo {name},\n\ndamit wir Ihre Anfrage {case_number} lösen können, brauchen wir noch eine Angabe von "
        "Ihnen: \n\nViele Grüße\n{agent_name}\nKundenservice {shop}")),
)


def template(key: str | None) -> ReplyTemplate | None:
    return next((t for t in TEMPLATES if t.key == key), None)


def placeholder_values(case: Case, agent_name: str | None) -> dict[str, str]:
    """What each placeholder stands for in this case; missing values are left out (and stay visible).

    Nothing of an order is filled in before the customer is verified: the agent checks first."""
    order = proven_order(case)
    values = {"name": case.contact_name, "case_number": case.number, "shop": current_app.config["HELPCENTER_SHOP_NAME"],
              "order_number": order.number if order is not None else None, "agent_name": agent_name}
    if case.verified and order is None:
        values["order_number"] = case.order_number_given
    shipment = order.shipments[-1] if order is not None and order.shipments else None
    if shipment is not None and shipment.carrier in CARRIERS:
        values["tracking_url"] = CARRIERS[shipment.carrier].tracking_url(shipment.tracking_number)
    return {key: value for key, value in values.items() if value}


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known {placeholders} in one pass; everything else is left exactly as written."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), str(text))
