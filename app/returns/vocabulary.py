"""Return reasons, resolutions and statuses, and the words customers read for them."""
from flask_babel import lazy_gettext as _l

REASONS = {
    "zu-gross": _l("Zu groß"),
    "zu-klein": _l("Zu klein"),
    "gefaellt-nicht": _l("Gefällt mir nicht"),
    "anders-als-beschrieben": _l("Anders als beschrieben"),
    "defekt": _l("Defekt oder beschädigt"),
    "falscher-artikel": _l("Falscher Artikel geliefert"),
    "zu-spaet": _l("Zu spät geliefert"),
    "doppelt-bestellt": _l("Doppelt bestellt"),
    "sonstiges": _l("Sonstiges"),
}
# Reasons for which photos help us decide (and are accepted).
PHOTO_REASONS = ("defekt", "falscher-artikel")

RESOLUTIONS = {
    "refund": _l("Geld zurück auf das ursprüngliche Zahlungsmittel"),
    "exchange": _l("Umtausch gegen andere Größe oder Farbe"),
}

STATUS_LABELS = {
    "registered": _l("Angemeldet"),
    "in_transit": _l("Unterwegs"),
    "received": _l("Eingegangen"),
    "inspected": _l("Geprüft"),
    "refunded": _l("Erstattet"),
    "exchanged": _l("Umgetauscht"),
    "complaint": _l("Wird vom Kundenservice geprüft"),
    "refused": _l("Abgelehnt"),
    "cancelled": _l("Storniert"),
}
