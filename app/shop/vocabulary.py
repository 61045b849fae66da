"""Codes the shop sends and the words customers read for them."""
from flask_babel import lazy_gettext as _l

ORDER_STATUSES = {
    "processing": _l("In Bearbeitung"),
    "shipped": _l("Versandt"),
    "out_for_delivery": _l("In Zustellung"),
    "delivered": _l("Zugestellt"),
    "delayed": _l("Verspätet"),
    "delivery_failed": _l("Zustellversuch gescheitert"),
    "ready_for_pickup": _l("Abholbereit in Packstation/Filiale"),
    "lost": _l("Verloren"),
    "damaged": _l("Beschädigt"),
    "partially_delivered": _l("Teilweise geliefert"),
    "cancelled": _l("Storniert"),
}

SHIPMENT_STATUSES = {
    "label_created": _l("Versand angekündigt"),
    "in_transit": _l("Unterwegs"),
    "out_for_delivery": _l("In Zustellung"),
    "delivered": _l("Zugestellt"),
    "delivery_failed": _l("Zustellversuch gescheitert"),
    "ready_for_pickup": _l("Abholbereit"),
    "lost": _l("Verloren"),
    "damaged": _l("Beschädigt"),
    "returned": _l("Zurück an Absender"),
}

PAYMENT_METHODS = {
    "paypal": _l("PayPal"),
    "credit_card": _l("Kreditkarte"),
    "invoice": _l("Kauf auf Rechnung"),
    "direct_debit": _l("SEPA-Lastschrift"),
    "apple_pay": _l("Apple Pay"),
    "google_pay": _l("Google Pay"),
    "prepayment": _l("Vorkasse"),
}

ADDRESS_KINDS = ("shipping", "billing")
