"""Where an order is, when it comes, and what the customer can do next — one clear step per state."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace

from flask_babel import format_date
from flask_babel import gettext as _

from app.i18n import date_pattern
from app.shop.carriers import carrier
from app.shop.fields import local_date
from app.shop.models import Order, Shipment
from app.shop.vocabulary import ORDER_STATUSES, SHIPMENT_STATUSES
from app.tracking import scans
from app.tracking.calendar import add_working_days, working_days_between

OPEN_STATUSES = ("label_created", "in_transit", "out_for_delivery")
# What a carrier's code can show about a parcel its status still calls on the way: a failed attempt (and why), or
# that it already waits at a pickup point. Only codes count here, not the wording: "Die Sendung ist in der
# Zustellbasis eingetroffen" or "… in einer Filiale eingeliefert" are ordinary scans on the way.
_FAILED_MEANINGS = (scans.ADDRESS_INCOMPLETE, scans.REFUSED, scans.RETURNED_TO_SENDER, scans.HELD_AT_DEPOT,
                    scans.NOT_MET)
STUCK_AFTER_WORKING_DAYS = 3
# After the promised window a parcel may still come; we ask customers to wait this long before reporting it.
GRACE_WORKING_DAYS = 2
HANDLING_WORKING_DAYS = 1


@dataclass(frozen=True)
class NextStep:
    label: str
    url: str


@dataclass(frozen=True)
class Advice:
    state: str
    text: str
    next_step: NextStep | None
    solved: bool = False


@dataclass(frozen=True)
class ShipmentView:
    shipment: Shipment
    status_label: str
    tracking_url: str
    contact_url: str
    carrier_name: str
    expected: tuple[dt.date, dt.date] | None
    items: list[str]


@dataclass(frozen=True)
class TrackingView:
    order: Order
    status: str
    status_label: str
    expected: tuple[dt.date, dt.date] | None
    shipments: list[ShipmentView]
    advice: Advice
    delivered_on: dt.date | None = None
    notices: list[str] = field(default_factory=list)


def scan_meaning(shipment: Shipment) -> str | None:
    """What the latest scan means: its carrier's code where we know it, else its wording."""
    if not shipment.events:
        return None
    latest = shipment.events[-1]
    return scans.meaning(latest.text, latest.code, shipment.carrier)


def advised_status(shipment: Shipment) -> str:
    """The status the advice follows: the carrier's, unless the latest scan's code shows it is out of date.

    An "in_transit" parcel whose latest code says "returned to sender" is not coming, and one whose code says
    "stored in the ParcelShop" waits to be picked up; a pickup that went back to the sender is no pickup.
    """
    found = scans.code_meaning(shipment.events[-1].code, shipment.carrier) if shipment.events else None
    # Before the carrier has it, a pickup-point scan is the sender dropping the parcel off there, not our customer's
    # pickup.
    if shipment.status in ("in_transit", "out_for_delivery") and found == scans.AT_PICKUP_POINT:
        return "ready_for_pickup"
    if shipment.status in OPEN_STATUSES and found in _FAILED_MEANINGS:
        return "delivery_failed"
    if shipment.status == "ready_for_pickup" and found == scans.RETURNED_TO_SENDER:
        return "delivery_failed"
    return shipment.status


def contact_url(order: Order, topic: str) -> str:
    return f"/kontakt?order={order.number}&topic={topic}"


def expected_window(shipment: Shipment, state: str) -> tuple[dt.date, dt.date] | None:
    """The promised window, else shipping day plus the carrier's transit days in working days."""
    if advised_status(shipment) not in OPEN_STATUSES:
        return None
    if shipment.promised_from and shipment.promised_to:
        return shipment.promised_from, shipment.promised_to
    if shipment.shipped_at is None:
        return None
    fastest, slowest = carrier(shipment.carrier).transit_days
    shipped = local_date(shipment.shipped_at)
    return add_working_days(shipped, fastest, state), add_working_days(shipped, slowest, state)


def _processing_window(order: Order, state: str) -> tuple[dt.date, dt.date]:
    placed = local_date(order.placed_at)
    return (add_working_days(placed, HANDLING_WORKING_DAYS + 1, state),
            add_working_days(placed, HANDLING_WORKING_DAYS + 3, state))


def _last_scan(shipment: Shipment) -> dt.datetime | None:
    return shipment.events[-1].occurred_at if shipment.events else shipment.shipped_at


def is_stuck(shipment: Shipment, today: dt.date, state: str) -> bool:
    last = _last_scan(shipment)
    return (advised_status(shipment) in ("label_created", "in_transit") and last is not None
            and working_days_between(local_date(last), today, state) >= STUCK_AFTER_WORKING_DAYS)


def is_late(shipment: Shipment, today: dt.date, state: str) -> bool:
    window = expected_window(shipment, state)
    return window is not None and today > window[1]


def _upcoming(window: tuple[dt.date, dt.date] | None, today: dt.date) -> tuple[dt.date, dt.date] | None:
    if window is None or window[1] < today:
        return None
    return max(window[0], today), window[1]


def _items_in(shipment: Shipment, order: Order) -> list[str]:
    skus = json.loads(shipment.skus) if shipment.skus else None
    return [item.name for item in order.items if skus is None or item.sku in skus]


def _fmt(day: dt.date) -> str:
    return format_date(day, date_pattern("day"))


def _window_text(window: tuple[dt.date, dt.date]) -> str:
    start, end = window
    if start == end:
        return _("am %(date)s", date=_fmt(end))
    return _("zwischen %(start)s und %(end)s", start=_fmt(start), end=_fmt(end))


def _failed_attempt(order: Order, shipment: Shipment, track: NextStep | None) -> Advice:
    """A failed attempt, by what the latest scan says happened (never "nicht angetroffen" for a wrong address)."""
    found = scan_meaning(shipment)
    if found == scans.ADDRESS_INCOMPLETE:
        return Advice("address_incomplete", _("Der Zusteller konnte Ihr Paket nicht zustellen, weil die Anschrift "
                                              "unvollständig ist. Bitte schreiben Sie uns Ihre vollständige "
                                              "Anschrift (mit Hausnummer und dem Namen am Briefkasten) – wir geben "
                                              "sie an den Zusteller weiter."),
                      NextStep(_("Anschrift korrigieren"), contact_url(order, "lieferung")))
    if found == scans.REFUSED:
        return Advice("refused", _("Die Annahme des Pakets wurde verweigert. Es geht an uns zurück. Wollten Sie "
                                   "es doch haben, oder war das ein Versehen? Schreiben Sie uns."),
                      NextStep(_("Frage zur Lieferung"), contact_url(order, "lieferung")))
    if found == scans.RETURNED_TO_SENDER:
        return Advice("returned", _("Ihr Paket ist auf dem Weg zurück zu uns. Wir melden uns, sobald es "
                                    "angekommen ist."),
                      NextStep(_("Frage zur Lieferung"), contact_url(order, "lieferung")))
    if found == scans.AT_PICKUP_POINT:
        return Advice("to_pickup_point", _("Der Zusteller hat Sie nicht angetroffen und bringt das Paket in eine "
                                           "Abholstelle. Wo es liegt und bis wann Sie es abholen können, steht auf "
                                           "der Benachrichtigungskarte und in der Sendungsverfolgung des "
                                           "Zustellers."), track)
    if found == scans.HELD_AT_DEPOT:
        return Advice("held_at_depot", _("Ihr Paket liegt beim Zusteller im Depot. Über die Sendungsverfolgung des "
                                         "Zustellers können Sie eine neue Zustellung oder eine Abholstelle wählen."),
                      track)
    return Advice("delivery_failed", _("Der Zusteller hat Sie nicht angetroffen. Meist liegt eine "
                                       "Benachrichtigungskarte in Ihrem Briefkasten: Ab dem nächsten Werktag "
                                       "können Sie das Paket dort abholen, oder der Zusteller versucht es erneut. "
                                       "Über die Sendungsverfolgung des Zustellers können Sie einen neuen Termin "
                                       "oder eine Abholstelle wählen."),
                  track)


def _advice(order: Order, views: list[ShipmentView], today: dt.date, state: str,
            expected: tuple[dt.date, dt.date] | None, delivered_on: dt.date | None) -> Advice:
    statuses = {advised_status(v.shipment) for v in views}
    open_views = [v for v in views if advised_status(v.shipment) in OPEN_STATUSES]
    track = NextStep(_("Zur Sendungsverfolgung des Zustellers"), views[0].tracking_url) if views else None

    if order.status == "cancelled":
        return Advice("cancelled", _("Diese Bestellung wurde storniert. Falls Sie bereits bezahlt haben, "
                                     "erstatten wir den Betrag automatisch auf Ihre Zahlungsart."),
                      NextStep(_("Frage zur Stornierung"), contact_url(order, "bestellung")), solved=True)
    if not views and expected is None:  # packing takes longer than planned: no window we could keep
        return Advice("processing", _("Wir packen Ihre Bestellung gerade. Sobald sie unterwegs ist, schicken wir "
                                      "Ihnen die Sendungsnummer."), NextStep(_("Frage zur Bestellung"),
                                                                             contact_url(order, "bestellung")))
    if not views:
        return Advice("processing", _("Wir packen Ihre Bestellung gerade. Sie kommt voraussichtlich %(window)s. "
                                      "Sobald sie unterwegs ist, schicken wir Ihnen die Sendungsnummer.",
                                      window=_window_text(expected)), None, solved=True)
    if "lost" in statuses:
        return Advice("lost", _("Der Zusteller hat Ihr Paket als verloren gemeldet. Das tut uns leid! Wir schicken "
                                "Ihnen die Artikel noch einmal oder erstatten den Betrag – sagen Sie uns, was Ihnen lieber ist."),
                      NextStep(_("Ersatz oder Erstattung anfordern"), contact_url(order, "lieferung-verloren")))
    if "damaged" in statuses:
        return Advice("damaged", _("Ihr Paket wurde beschädigt. Bitte werfen Sie Karton und Inhalt noch nicht weg und "
                                   "machen Sie Fotos davon – damit ersetzen wir beschädigte Artikel schnell."),
                      NextStep(_("Schaden mit Fotos melden"), contact_url(order, "lieferung-beschaedigt")))
    if "delivery_failed" in statuses:
        failed = next(v.shipment for v in views if advised_status(v.shipment) == "delivery_failed")
        return _failed_attempt(order, failed, track)
    if "ready_for_pickup" in statuses:
        pickup = next(v.shipment for v in views if advised_status(v.shipment) == "ready_for_pickup")
        deadline = _(" Bitte holen Sie es bis %(date)s ab, sonst geht es an uns zurück.",
                     date=_fmt(pickup.pickup_deadline)) if pickup.pickup_deadline else ""
        return Advice("ready_for_pickup", _("Ihr Paket liegt abholbereit: %(place)s.", place=pickup.pickup_location
                                            or _("in der Filiale oder Packstation aus der Benachrichtigung"))
                      + deadline + " " + _("Nehmen Sie Ihren Ausweis oder den Abholcode aus der E-Mail des "
                                           "Zustellers mit."), track, solved=True)
    if open_views:
        late = [v for v in open_views if is_late(v.shipment, today, state)]
        stuck = [v for v in open_views if is_stuck(v.shipment, today, state)]
        if late or stuck:
            if late:
                ends = [expected_window(v.shipment, state)[1] for v in late]
                wait_until = add_working_days(max(ends), GRACE_WORKING_DAYS, state)
            else:
                last = max(local_date(_last_scan(v.shipment)) for v in stuck)
                wait_until = add_working_days(last, STUCK_AFTER_WORKING_DAYS + GRACE_WORKING_DAYS, state)
            # "Bitte warten Sie bis heute" is no advice: from the last day of waiting on, report it.
            if today >= wait_until:
                return Advice("overdue", _("Ihr Paket ist deutlich überfällig. Bitte melden Sie es uns – wir lassen "
                                           "es beim Zusteller suchen und schicken bei Bedarf Ersatz."),
                              NextStep(_("Verspätung melden"), contact_url(order, "lieferung-verspaetet")))
            reason = (_("Ihr Paket ist später dran als angekündigt.") if late else
                      _("Ihr Paket wurde seit einigen Werktagen nicht mehr gescannt. Das kommt bei viel Betrieb vor."))
            return Advice("delayed" if late else "stuck",
                          reason + " " + _("Bitte warten Sie bis %(date)s. Ist es dann noch nicht da, melden Sie "
                                           "es uns über diese Seite – wir kümmern uns sofort.", date=_fmt(wait_until)),
                          track)
        if "delivered" in statuses:
            return Advice("partially_delivered", _("Ein Teil Ihrer Bestellung ist schon da, der Rest kommt in einem "
                                                   "weiteren Paket voraussichtlich %(window)s.",
                                                   window=_window_text(expected)), track, solved=True)
        if "out_for_delivery" in statuses:
            return Advice("on_time", _("Ihr Paket ist heute in der Zustellung. Es kommt voraussichtlich im Laufe "
                                       "des Tages."), track, solved=True)
        return Advice("on_time", _("Alles im Plan: Ihr Paket kommt voraussichtlich %(window)s.",
                                   window=_window_text(expected)), track, solved=True)
    if statuses == {"delivered"}:
        return Advice("delivered", _("Ihr Paket wurde am %(date)s zugestellt.", date=_fmt(delivered_on)),
                      NextStep(_("Paket nicht erhalten?"), f"/sendungsverfolgung/{order.number}/nicht-erhalten"),
                      solved=True)
    return Advice("returned", _("Ihr Paket ist auf dem Weg zurück zu uns. Wir melden uns, sobald es angekommen ist."),
                  NextStep(_("Frage zur Lieferung"), contact_url(order, "lieferung")))


def build_tracking(order: Order, today: dt.date, state: str) -> TrackingView:
    """Everything the status page and the API show for one order."""
    views = []
    for shipment in order.shipments:
        info = carrier(shipment.carrier)
        views.append(ShipmentView(
            shipment=shipment, status_label=str(SHIPMENT_STATUSES[shipment.status]),
            tracking_url=info.tracking_url(shipment.tracking_number), contact_url=info.contact_url,
            carrier_name=info.name, expected=expected_window(shipment, state), items=_items_in(shipment, order),
        ))
    windows = [v.expected for v in views if v.expected]
    if not views and order.status != "cancelled":
        expected = _processing_window(order, state)
    elif windows:
        expected = (min(w[0] for w in windows), max(w[1] for w in windows))
    else:
        expected = None
    # A window shown to the customer never starts in the past: from today on, or none once it is over.
    expected = _upcoming(expected, today)
    views = [replace(v, expected=_upcoming(v.expected, today)) for v in views]
    delivered = [local_date(e.occurred_at) for v in views for e in v.shipment.events if e.status == "delivered"]
    delivered_on = max(delivered) if delivered else None
    advice = _advice(order, views, today, state, expected, delivered_on)
    return TrackingView(order=order, status=order.status, status_label=str(ORDER_STATUSES[order.status]),
                        expected=expected, shipments=views, advice=advice, delivered_on=delivered_on)
