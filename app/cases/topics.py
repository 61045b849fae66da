"""The contact topics as a small tree, with what each one needs the customer to tell us."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Topic:
    slug: str
    label: str
    group: str
    needs_order: bool = False
    needs_items: bool = False
    asks_outcome: bool = False


@dataclass(frozen=True)
class TopicGroup:
    slug: str
    label: str
    topics: tuple[Topic, ...]


def _group(slug, label, *topics):
    return TopicGroup(slug, label, tuple(Topic(group=slug, **t) for t in topics))


TOPIC_GROUPS = (
    _group("bestellung", _l("Bestellung"),
           dict(slug="bestellung-aendern", label=_l("Bestellung ändern"), needs_order=True),
           dict(slug="bestellung-stornieren", label=_l("Bestellung stornieren"), needs_order=True, needs_items=True),
           dict(slug="bestellung", label=_l("Andere Frage zur Bestellung"), needs_order=True)),
    _group("lieferung", _l("Lieferung"),
           dict(slug="lieferung-verspaetet", label=_l("Lieferung verspätet"), needs_order=True),
           dict(slug="lieferung-nicht-erhalten", label=_l("Paket als zugestellt gemeldet, aber nicht erhalten"),
                needs_order=True, asks_outcome=True),
           dict(slug="lieferung-beschaedigt", label=_l("Paket oder Artikel beschädigt"), needs_order=True,
                needs_items=True, asks_outcome=True),
           dict(slug="lieferung-verloren", label=_l("Paket verloren"), needs_order=True, asks_outcome=True),
           dict(slug="lieferung-teillieferung", label=_l("Artikel fehlt im Paket"), needs_order=True, needs_items=True,
                asks_outcome=True),
           dict(slug="lieferung", label=_l("Andere Frage zur Lieferung"), needs_order=True)),
    _group("ruecksendung", _l("Rücksendung"),
           dict(slug="ruecksendung", label=_l("Frage zur Rücksendung"), needs_order=True, needs_items=True)),
    _group("erstattung", _l("Erstattung"),
           dict(slug="erstattung", label=_l("Erstattung noch nicht erhalten oder falsch"), needs_order=True)),
    _group("zahlung", _l("Zahlung & Rechnung"),
           dict(slug="zahlung-rechnung", label=_l("Rechnung oder Mahnung")),
           dict(slug="zahlung", label=_l("Frage zur Zahlung"))),
    _group("kundenkonto", _l("Kundenkonto"),
           dict(slug="kundenkonto", label=_l("Frage zum Kundenkonto"))),
    _group("reklamation", _l("Reklamation & Garantie"),
           dict(slug="reklamation", label=_l("Artikel defekt oder falsch geliefert"), needs_order=True,
                needs_items=True, asks_outcome=True)),
    _group("sonstiges", _l("Sonstiges"),
           dict(slug="sonstiges", label=_l("Etwas anderes"))),
)

TOPICS = {topic.slug: topic for group in TOPIC_GROUPS for topic in group.topics}
GROUPS = {group.slug: group for group in TOPIC_GROUPS}

OUTCOMES = {
    "ersatz": _l("Ersatz schicken"),
    "erstattung": _l("Geld zurück"),
    "reparatur": _l("Reparatur"),
    "rueckmeldung": _l("Erst einmal Ihre Einschätzung"),
}


def resolve_topic(value: str | None) -> Topic | None:
    """A topic by its slug; a group's slug means that group's general topic (e.g. 'lieferung')."""
    if not value:
        return None
    if value in TOPICS:
        return TOPICS[value]
    group = GROUPS.get(value)
    return group.topics[-1] if group else None
