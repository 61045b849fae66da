"""What a carrier's scan means for the customer, read from its wording (the carriers' German scan texts).

The status alone says too little: "delivery_failed" covers a recipient who was not met as well as an address the
driver could not find, and the advice for them is opposite (wait for the next attempt vs. correct the address).
The shop import and the carrier webhook carry no event codes yet, so the wording is what we have; each meaning
lists the phrases DHL, Hermes, DPD, GLS and UPS use for it. The first meaning that matches wins, so the more
specific ones come first ("nicht angetroffen … in eine Filiale gebracht" is a pickup point, not a second attempt).
"""
from __future__ import annotations

ADDRESS_INCOMPLETE = "address_incomplete"
REFUSED = "refused"
RETURNED_TO_SENDER = "returned_to_sender"
AT_PICKUP_POINT = "at_pickup_point"
HELD_AT_DEPOT = "held_at_depot"
NOT_MET = "not_met"

_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (ADDRESS_INCOMPLETE, ("anschrift unvollständig", "anschrift ist unvollständig", "adresse unvollständig",
                          "adresse ist unvollständig", "anschrift fehlerhaft", "adresse fehlerhaft",
                          "anschrift unzureichend", "adresse unzureichend", "empfänger unbekannt",
                          "hausnummer fehlt", "adressklärung", "adresse wird geprüft", "anschrift wird geprüft")),
    (REFUSED, ("annahme verweigert", "annahme wurde verweigert", "verweigert")),
    (RETURNED_TO_SENDER, ("rücksendung an den absender", "zurück an den absender", "an den absender zurück",
                          "rückversand", "wird an den absender")),
    (AT_PICKUP_POINT, ("paketshop", "filiale", "packstation", "access point", "pickup", "abholstelle",
                       "zur abholung")),
    (HELD_AT_DEPOT, ("im depot", "ins depot", "eingelagert", "zurückgehalten", "lagert", "zustellbasis")),
    (NOT_MET, ("nicht angetroffen", "nicht anwesend", "niemand angetroffen")),
)


def meaning(text: str | None) -> str | None:
    """The meaning of one scan text, or None when its wording says nothing beyond its status."""
    words = (text or "").casefold()
    for name, phrases in _PHRASES:
        if any(phrase in words for phrase in phrases):
            return name
    return None
