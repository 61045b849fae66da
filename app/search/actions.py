"""Shortcuts from a search into the guided flows: "Bestellung 100411 verfolgen", "Rücksendung starten" …

The intents come from app/search/intents.py; here each becomes a label and a link into its flow with what the query
already says filled in. A signed-in customer's own order (or one a guest proved in this visit) links straight to its
page; any other number goes to the flow's entry page with the number filled in — the link never tells whether an
order exists or whose it is.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _

from app.privacy.redaction import mask_card_numbers
from app.returns.listing import returns_of
from app.search.intents import ADDRESS, CONTACT, REFUND, RETURN, TRACKING, WITHDRAWAL, Intent, detect
from app.shop.orders import has_guest_access, visible_order


@dataclass(frozen=True)
class Action:
    kind: str
    label: str
    url: str


def _own_order(number: str, user):
    """The order if this visitor may already see it (its customer, staff, a guest who proved it), else None."""
    if user is None:
        return None  # without the database nobody's order is looked up
    if not getattr(user, "is_authenticated", False) and not has_guest_access(number):
        return None  # nothing to look up: a guest's number goes to the entry page
    return visible_order(number, user)


def _refund_page(number: str | None, user) -> str | None:
    """Where a signed-in customer sees their returns and refunds: that order's newest return, or the list."""
    returns = returns_of(user)
    if not returns:
        return None
    for ret in returns:
        if number and ret.order is not None and ret.order.number == number:
            return url_for("returns.status", number=ret.number)
    return url_for("returns.start", _anchor="returns-title")


def _tracking(intent: Intent, user, query: str) -> Action:
    if intent.order is None:
        return Action(TRACKING, _("Bestellung verfolgen"), url_for("tracking.start"))
    label = _("Bestellung %(number)s verfolgen", number=intent.order)
    if _own_order(intent.order, user) is not None:
        return Action(TRACKING, label, url_for("tracking.status", number=intent.order))
    return Action(TRACKING, label, url_for("tracking.start", order=intent.order))


def _return(intent: Intent, user, query: str) -> Action:
    # The returns center itself opens the customer's own order and fills the number in for everyone else.
    label = (_("Rücksendung für Bestellung %(number)s starten", number=intent.order) if intent.order
             else _("Rücksendung starten"))
    return Action(RETURN, label, url_for("returns.start", order=intent.order))


def _withdrawal(intent: Intent, user, query: str) -> Action:
    label = (_("Bestellung %(number)s widerrufen", number=intent.order) if intent.order else _("Vertrag widerrufen"))
    return Action(WITHDRAWAL, label, url_for("withdrawal.start", order=intent.order))


def _refund(intent: Intent, user, query: str) -> Action:
    page = _refund_page(intent.order, user) if getattr(user, "is_authenticated", False) else None
    if page is not None:
        return Action(REFUND, _("Stand Ihrer Erstattung ansehen"), page)
    # Without an account the refund's state is in the return's e-mails; the way on is the refund topic.
    return Action(REFUND, _("Nach Ihrer Erstattung fragen"),
                  url_for("contact.contact", topic="erstattung", order=intent.order, frage=query))


def _address(intent: Intent, user, query: str) -> Action:
    label = (_("Änderung der Lieferadresse für Bestellung %(number)s anfragen", number=intent.order) if intent.order
             else _("Änderung der Lieferadresse anfragen"))
    return Action(ADDRESS, label, url_for("contact.contact", topic="bestellung-aendern", order=intent.order,
                                          frage=query))


def _contact(intent: Intent, user, query: str) -> Action:
    labels = {"phone": _("Rückruf vereinbaren"), "chat": _("Mit dem Kundenservice chatten")}
    return Action(CONTACT, labels.get(intent.channel, _("Kundenservice kontaktieren")),
                  url_for("contact.contact", kanal=intent.channel, order=intent.order, frage=query))


_BUILDERS = {TRACKING: _tracking, RETURN: _return, WITHDRAWAL: _withdrawal, REFUND: _refund, ADDRESS: _address,
             CONTACT: _contact}


def shortcuts(query: str, lang: str, user) -> list[Action]:
    """The flows this query asks for, most specific first, as labels and links for this visitor."""
    intents = detect(query, lang, current_app.config["HELPCENTER_ORDER_NUMBER_PATTERN"])
    carried = query_for_contact(query)
    return [_BUILDERS[intent.kind](intent, user, carried) for intent in intents]


def query_for_contact(query: str) -> str:
    """The query as the contact form's message starts: a card number typed into the search never travels on."""
    return mask_card_numbers(query)
