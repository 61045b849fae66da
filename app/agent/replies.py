"""Reply templates (Textbausteine) with placeholders such as {name} filled from the case.

Filling is one pass of plain text replacement, never str.format: an unknown placeholder (or one the
case has no value for) stays visible for the agent to fill in, and braces in a customer's name or in
a value are copied as they are — nothing is looked up through attributes or indexes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.agent.context import proven_order
from app.cases.models import Case
from app.shop.carriers import CARRIERS
from app.tracking.status import build_tracking

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


# "Sendungsstatus mitteilen" says what the parcel is really doing (the tracking page's advice state for the
# order): a delayed, stuck, delivered or lost parcel is never "unterwegs" as planned. The on-time text is
# the template above; an unknown state (or no verified order) gets the neutral one that promises nothing.
SHIPMENT_BODIES = {
    "processing": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} wird gerade gepackt und ist noch nicht beim Zusteller. "
        "Sobald sie unterwegs ist, erhalten Sie eine Versandbestätigung mit der Sendungsnummer.\n\nViele Grüße\n"
        "{agent_name}\nKundenservice {shop}"),
    "delayed": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} ist leider später dran als angekündigt. Wir haben beim "
        "Zusteller nachgefragt und melden uns, sobald wir mehr wissen. Den aktuellen Stand sehen Sie hier: "
        "{tracking_url}\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "overdue": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} ist deutlich überfällig. Das tut uns leid! Wir lassen "
        "das Paket beim Zusteller suchen und schicken Ihnen bei Bedarf Ersatz – Sie hören in Kürze von uns."
        "\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "delivered": _l(
        "Hallo {name},\n\nlaut Zusteller wurde Ihre Bestellung {order_number} am {delivered_on} zugestellt. "
        "Den Zustellnachweis sehen Sie hier: {tracking_url}\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "partially_delivered": _l(
        "Hallo {name},\n\nein Teil Ihrer Bestellung {order_number} ist schon bei Ihnen, der Rest kommt in einem "
        "weiteren Paket. Den aktuellen Stand sehen Sie hier: {tracking_url}\n\nViele Grüße\n{agent_name}\n"
        "Kundenservice {shop}"),
    "delivery_failed": _l(
        "Hallo {name},\n\nder Zusteller konnte Ihre Bestellung {order_number} leider nicht zustellen. Wo das Paket "
        "jetzt ist und wie es weitergeht, sehen Sie hier: {tracking_url}\n\nViele Grüße\n{agent_name}\n"
        "Kundenservice {shop}"),
    "ready_for_pickup": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} liegt zur Abholung bereit. Wo, sehen Sie hier: "
        "{tracking_url}\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "lost": _l(
        "Hallo {name},\n\nder Zusteller hat Ihre Bestellung {order_number} leider als verloren gemeldet. Das tut "
        "uns leid! Wir kümmern uns um Ersatz oder Erstattung und melden uns in Kürze.\n\nViele Grüße\n"
        "{agent_name}\nKundenservice {shop}"),
    "damaged": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} wurde auf dem Transport beschädigt. Das tut uns leid! "
        "Bitte heben Sie Karton und Inhalt noch auf; wir kümmern uns um Ersatz oder Erstattung.\n\nViele Grüße\n"
        "{agent_name}\nKundenservice {shop}"),
    "returned": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} ist auf dem Weg zurück zu uns. Sobald sie angekommen ist, "
        "melden wir uns mit einer Lösung.\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "cancelled": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} wurde storniert und wird nicht verschickt. Falls Sie "
        "schon bezahlt haben, erstatten wir den Betrag.\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
}
SHIPMENT_BODIES.update({
    "address_incomplete": _l(
        "Hallo {name},\n\nder Zusteller konnte Ihre Bestellung {order_number} nicht zustellen, weil die Anschrift "
        "unvollständig ist. Bitte nennen Sie uns die vollständige Adresse (mit Hausnummer und gegebenenfalls "
        "Namen am Briefkasten), dann veranlassen wir die Zustellung.\n\nViele Grüße\n{agent_name}\n"
        "Kundenservice {shop}"),
    "held_at_depot": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} liegt derzeit im Depot des Zustellers. Wie es weitergeht, "
        "sehen Sie hier: {tracking_url}\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
    "refused": _l(
        "Hallo {name},\n\ndie Annahme Ihrer Bestellung {order_number} wurde verweigert; das Paket geht an uns "
        "zurück. Sobald es angekommen ist, melden wir uns mit einer Lösung.\n\nViele Grüße\n{agent_name}\n"
        "Kundenservice {shop}"),
    "to_pickup_point": _l(
        "Hallo {name},\n\nIhre Bestellung {order_number} wird an eine Abholstelle gebracht. Sobald sie dort "
        "abholbereit ist, benachrichtigt Sie der Zusteller. Den aktuellen Stand sehen Sie hier: {tracking_url}"
        "\n\nViele Grüße\n{agent_name}\nKundenservice {shop}"),
})
SHIPMENT_BODIES["stuck"] = SHIPMENT_BODIES["delayed"]
SHIPMENT_NEUTRAL = _l(
    "Hallo {name},\n\nden aktuellen Stand Ihrer Bestellung {order_number} sehen Sie hier: {tracking_url}\n\n"
    "Viele Grüße\n{agent_name}\nKundenservice {shop}")


@dataclass(frozen=True)
class ShipmentNews:
    """What the order's parcels are doing now, as the tracking page tells the customer."""

    state: str
    delivered_on: dt.date | None


def shipment_news(case: Case, today: dt.date, region: str) -> ShipmentNews | None:
    """The tracking advice's state for the case's verified order (None without one)."""
    order = proven_order(case)
    if order is None:
        return None
    view = build_tracking(order, today, region)
    return ShipmentNews(view.advice.state, view.delivered_on)


def template(key: str | None, news: ShipmentNews | None = None) -> ReplyTemplate | None:
    """The template; the shipment one with the text for the parcel's actual state."""
    chosen = next((t for t in TEMPLATES if t.key == key), None)
    if chosen is None or chosen.key != "sendung":
        return chosen
    if news is not None and news.state == "on_time":
        return chosen
    body = SHIPMENT_BODIES.get(news.state, SHIPMENT_NEUTRAL) if news is not None else SHIPMENT_NEUTRAL
    return ReplyTemplate(chosen.key, chosen.title, body)


def placeholder_values(case: Case, agent_name: str | None, news: ShipmentNews | None = None) -> dict[str, str]:
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
    if news is not None and news.delivered_on is not None:
        values["delivered_on"] = format_date(news.delivered_on, "long")  # in the customer's language (force_locale)
    return {key: value for key, value in values.items() if value}


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known {placeholders} in one pass; everything else is left exactly as written."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), str(text))
