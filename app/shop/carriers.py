"""What we know about each carrier: tracking link, where customers reach it, how long it takes."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url_template: str
    contact_url: str
    transit_days: tuple[int, int]

    def tracking_url(self, tracking_number: str) -> str:
        return self.tracking_url_template.format(quote(tracking_number, safe=""))


CARRIERS = {
    "DHL": Carrier("DHL", "DHL", "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={}",
                   "https://www.dhl.de/de/privatkunden/kundenservice.html", (1, 2)),
    "Hermes": Carrier("Hermes", "Hermes", "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#{}",
                      "https://www.myhermes.de/service/kontakt/", (2, 3)),
    "DPD": Carrier("DPD", "DPD", "https://tracking.dpd.de/status/de_DE/parcel/{}",
                   "https://www.dpd.com/de/de/support/", (1, 2)),
    "GLS": Carrier("GLS", "GLS", "https://gls-group.com/DE/de/paketverfolgung?match={}",
                   "https://gls-group.com/DE/de/kontakt/", (1, 3)),
    "UPS": Carrier("UPS", "UPS", "https://www.ups.com/track?loc=de_DE&tracknum={}",
                   "https://www.ups.com/de/de/support/contact-us.page", (1, 2)),
}


def carrier(code: str) -> Carrier:
    return CARRIERS[code]
