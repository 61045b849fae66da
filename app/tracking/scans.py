"""What a carrier's scan means for the customer: its event code where the carrier documents one, else its wording.

The status alone says too little: "delivery_failed" covers a recipient who was not met as well as an address the
driver could not find, and the advice for them is opposite (wait for the next attempt vs. correct the address).
A scan may carry the carrier's event code (EventRecord.code); a code from the tables below decides, because the
texts vary and can mislead ("Zustellung nicht möglich" says nothing about why). Without a known code the wording
decides: each meaning lists the phrases DHL, Hermes, DPD, GLS and UPS use for it. The first meaning that matches
wins, so the more specific ones come first ("nicht angetroffen … in eine Filiale gebracht" is a pickup point, not
a second attempt).
"""
from __future__ import annotations

import re

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
                          "hausnummer fehlt", "adressklärung", "adresse wird geprüft", "anschrift wird geprüft",
                          "adresse ist fehlerhaft", "anschrift ist fehlerhaft")),
    (REFUSED, ("annahme verweigert", "annahme wurde verweigert", "verweigert")),
    (RETURNED_TO_SENDER, ("rücksendung an den absender", "zurück an den absender", "an den absender zurück",
                          "rückversand", "wird an den absender", "zum absender zurück")),
    (AT_PICKUP_POINT, ("paketshop", "filiale", "packstation", "access point", "pickup", "abholstelle",
                       "zur abholung")),
    (HELD_AT_DEPOT, ("im depot", "ins depot", "eingelagert", "zurückgehalten", "lagert", "zustellbasis")),
    (NOT_MET, ("nicht angetroffen", "nicht anwesend", "niemand angetroffen")),
)

# --- the carriers' codes ----------------------------------------------------------------------------
# Only codes we found documented, and only those that decide one of the meanings above: a code that merely
# says "exception" or "failure" decides nothing, so the wording does. Keys in upper case; numeric codes
# without leading zeros (see _normalized).

# DHL: none. The Shipment Tracking Unified API's statusCode is only pre-transit / transit / delivered /
# failure / unknown, and "failure" covers a wrong address, a move, customs, an expired pickup and a return alike
# (developer.dhl.com support article 47001197243). For the Parcel DE tracking's event codes (ice / ric /
# standard-event-code) we found examples (DLVRD/ZU delivered; LDTMV/AA, ULFMV/EE on the way) but no documented
# list of the failure codes. DHL scans are read by their wording. The polling adapter (app/carriers/dhl_tracking.py)
# stores the Unified API's statusCode as the scan's code ("transit", "failure" …): it decides the status, never a
# meaning, so it is not listed here; the German texts it fetches (language=de, service=parcel-de) are DHL's
# Sendungsverfolgung texts, whose failure wordings the phrases above cover ("… zum Absender zurückgesendet",
# "Die Adresse ist fehlerhaft" added for them).
_DHL: dict[str, str] = {}

# Hermes Germany: parcelStatus of the public tracking (api.my-deliveries.de, behind myhermes.de) as recorded by
# the open-source clients ha-parcel-integrations/ha-hermes and a Hermes Germany tracker on the same protocol;
# Hermes publishes no code table. DELIVERY_FAILED and NOT_DELIVERABLE do not say why: left to the wording.
_HERMES = {
    "RETURN_TO_SENDER": RETURNED_TO_SENDER,
    "RETURN": RETURNED_TO_SENDER,
    "RETURN_DELIVERED_TO_SENDER": RETURNED_TO_SENDER,
    "RETOURE_DELIVERED": RETURNED_TO_SENDER,
    "READY_FOR_COLLECTION": AT_PICKUP_POINT,
    "READY_FOR_PICKUP": AT_PICKUP_POINT,
    "PARCELSHOP_ITEMS_FOR_COLLECTION": AT_PICKUP_POINT,
}

# DPD: event types of DPD's shipper web services as documented for the DPD Netherlands integration
# (viya.me/integrations/dpd-nl-webservices/docs/tracking): "ParcelShop – at a pickup point", "Warehouse – held at
# warehouse for consolidation/rerouting", "ReturningFromDelivery – returned to delivery depot". DeliveryFailure
# gives no reason, and the Parcel Life Cycle states (ACCEPTED … DELIVERED) are only the status.
_DPD = {
    "PARCELSHOP": AT_PICKUP_POINT,
    "WAREHOUSE": HELD_AT_DEPOT,
    "RETURNINGFROMDELIVERY": HELD_AT_DEPOT,
}

# GLS: status codes of the MyGLS API, appendix G, as listed in dfoddav2/shopickup-integration-layer
# (packages/adapters/GLS, tracking mapper). Delay, customs and damage codes are no meaning of ours.
_GLS = {
    "6": HELD_AT_DEPOT,        # stored in parcel center
    "7": HELD_AT_DEPOT,        # stored in parcel center
    "9": HELD_AT_DEPOT,        # stored for new delivery date
    "11": NOT_MET,             # consignee on holidays
    "12": NOT_MET,             # consignee absent
    "17": REFUSED,             # recipient refused
    "18": ADDRESS_INCOMPLETE,  # address information needed
    "20": ADDRESS_INCOMPLETE,  # wrong/incomplete address
    "23": RETURNED_TO_SENDER,  # returned to sender
    "34": REFUSED,             # refused acceptance due to delayed delivery
    "36": NOT_MET,             # consignee was not in, contact card couldn't be left
    "40": RETURNED_TO_SENDER,  # returned to sender
    "56": AT_PICKUP_POINT,     # stored in GLS ParcelShop
}

# UPS: status type of the UPS Track API. "RS" is Returned to Shipper (listed beside D delivered, I in transit,
# X exception, M manifest, P pickup by several UPS Track API clients); "X" is any exception and decides nothing.
_UPS = {
    "RS": RETURNED_TO_SENDER,
}

CODES: dict[str, dict[str, str]] = {"DHL": _DHL, "Hermes": _HERMES, "DPD": _DPD, "GLS": _GLS, "UPS": _UPS}

# AfterShip Tracking's delivery sub-statuses ("subtag", e.g. Exception_010), whatever the carrier: AfterShip maps
# every carrier's checkpoints to them (aftership.com/docs/tracking/2025-04/enum/delivery-sub-statuses). Stored as
# the scan's code by POST /api/shipments/aftership; the form <Tag>_<three digits> is no carrier's own code.
_AFTERSHIP = {
    "ATTEMPTFAIL_001": NOT_MET,            # business closed
    "ATTEMPTFAIL_002": NOT_MET,            # recipient not available at home
    "AVAILABLEFORPICKUP_001": AT_PICKUP_POINT,
    "EXCEPTION_002": ADDRESS_INCOMPLETE,   # customer moved
    "EXCEPTION_003": REFUSED,              # customer refused delivery
    "EXCEPTION_007": ADDRESS_INCOMPLETE,   # incorrect address
    "EXCEPTION_010": RETURNED_TO_SENDER,   # returning to sender
    "EXCEPTION_011": RETURNED_TO_SENDER,   # returned to sender
}
_AFTERSHIP_SUBTAG = re.compile(r"^[A-Z][A-Za-z]+_\d{3}$")


def _normalized(code: str) -> str:
    # Carriers pad numeric codes differently ("017" and "17" are the same GLS code) and mix cases.
    code = code.strip().upper()
    if code.isascii() and code.isdigit():
        return code.lstrip("0") or "0"
    return code


def code_meaning(code: str | None, carrier: str | None) -> str | None:
    """The meaning a carrier's documented code gives a scan; None for no code, an unknown code or carrier."""
    if not code:
        return None
    if _AFTERSHIP_SUBTAG.match(code.strip()):
        return _AFTERSHIP.get(code.strip().upper())
    if not carrier:
        return None
    return CODES.get(carrier, {}).get(_normalized(code))


def meaning(text: str | None, code: str | None = None, carrier: str | None = None) -> str | None:
    """The meaning of one scan: a known code of its carrier decides, else its wording; None if neither says more."""
    found = code_meaning(code, carrier)
    if found is not None:
        return found
    words = (text or "").casefold()
    for name, phrases in _PHRASES:
        if any(phrase in words for phrase in phrases):
            return name
    return None
