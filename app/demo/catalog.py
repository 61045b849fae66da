"""Data tables for the Nordlicht demo shop: people, places, products, parcel services and scan texts."""
from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    name: str
    area_code: str          # landline area code without the leading 0
    dhl_hub: str            # the DHL Paketzentrum that serves the city
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]  # typical streets of the city, mixed with COMMON_STREETS
    weight: int             # how many customers live there, roughly


class Product(NamedTuple):
    code: str
    name: str
    category: str
    price: str
    sizes: str | None       # key of SIZES
    colours: tuple[str, ...] | None


FEMALE_FIRST_NAMES = (
    "Julia", "Lea", "Laura", "Sarah", "Katharina", "Lena", "Sophie", "Marie", "Hannah", "Lisa", "Johanna",
    "Emma", "Charlotte", "Claudia", "Sabine", "Petra", "Monika", "Birgit", "Susanne", "Franziska", "Jana",
    "Nina", "Ute", "Merle", "Anke",
)
MALE_FIRST_NAMES = (
    "Lukas", "Jonas", "Felix", "Maximilian", "Paul", "Leon", "Tim", "Jan", "Tobias", "Stefan", "Michael",
    "Thomas", "Andreas", "Markus", "Christian", "Daniel", "Florian", "Sebastian", "Matthias", "Jürgen",
    "Klaus", "Uwe", "Niklas", "Moritz", "Hans-Peter", "Ole",
)
LAST_NAMES = (
    "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer",
    "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
    "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Herrmann", "König", "Walter",
    "Huber", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich",
    "Günther", "Berger", "Lorenz", "Baumann", "Albrecht", "Jäger", "Sommer", "Groß", "Brandt", "Petersen",
    "Jansen", "Dietrich", "Kühn",
)
MOBILE_PREFIXES = ("151", "152", "157", "160", "162", "170", "171", "172", "173", "175", "176", "178", "179")

COMMON_STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Goethestraße", "Schillerstraße",
    "Mozartstraße", "Lindenallee", "Birkenweg", "Ahornweg", "Rosenstraße", "Bergstraße", "Kirchweg",
    "Am Mühlenbach", "Eichendorffstraße", "Feldstraße", "Kastanienweg", "Friedrich-Ebert-Straße",
    "Beethovenstraße", "Am Stadtpark",
)

CITIES = (
    City("Hamburg", "40", "Hamburg", ("20095", "20144", "20249", "20357", "22081", "22765", "21073"),
         ("Eppendorfer Weg", "Osterstraße", "Mühlenkamp", "Grindelallee", "Barmbeker Straße"), 7),
    City("Berlin", "30", "Börnicke", ("10115", "10245", "10437", "10551", "10627", "10961", "12043", "13353"),
         ("Kastanienallee", "Schönhauser Allee", "Bergmannstraße", "Sonnenallee", "Kantstraße"), 5),
    City("München", "89", "Aschheim", ("80331", "80339", "80469", "80796", "81369", "81667"),
         ("Leopoldstraße", "Schleißheimer Straße", "Lindwurmstraße", "Rosenheimer Straße"), 4),
    City("Köln", "221", "Köln", ("50667", "50674", "50733", "50823", "51063"),
         ("Venloer Straße", "Aachener Straße", "Severinstraße", "Neusser Straße"), 3),
    City("Frankfurt am Main", "69", "Rodgau", ("60311", "60316", "60318", "60385", "60486", "60594"),
         ("Berger Straße", "Leipziger Straße", "Schweizer Straße", "Eckenheimer Landstraße"), 3),
    City("Stuttgart", "711", "Köngen", ("70173", "70176", "70178", "70190", "70372"),
         ("Hölderlinstraße", "Olgastraße", "Marktstraße", "Rotebühlstraße"), 2),
    City("Düsseldorf", "211", "Krefeld", ("40210", "40211", "40219", "40477", "40545"),
         ("Nordstraße", "Lorettostraße", "Kölner Landstraße", "Luegallee"), 2),
    City("Leipzig", "341", "Radefeld", ("04103", "04107", "04109", "04229", "04275", "04315"),
         ("Karl-Liebknecht-Straße", "Eisenbahnstraße", "Karl-Heine-Straße", "Gohliser Straße"), 2),
    City("Dresden", "351", "Ottendorf-Okrilla", ("01067", "01069", "01097", "01099", "01309"),
         ("Louisenstraße", "Königsbrücker Straße", "Bautzner Straße", "Schandauer Straße"), 2),
    City("Hannover", "511", "Lehrte", ("30159", "30161", "30163", "30173", "30451"),
         ("Lister Meile", "Limmerstraße", "Podbielskistraße", "Hildesheimer Straße"), 2),
    City("Bremen", "421", "Bremen", ("28195", "28203", "28209", "28211", "28217"),
         ("Ostertorsteinweg", "Schwachhauser Heerstraße", "Vor dem Steintor", "Waller Heerstraße"), 2),
    City("Nürnberg", "911", "Feucht", ("90402", "90403", "90429", "90459", "90489"),
         ("Fürther Straße", "Gostenhofer Hauptstraße", "Pirckheimerstraße", "Allersberger Straße"), 2),
    City("Münster", "251", "Greven", ("48143", "48145", "48149", "48151"),
         ("Hammer Straße", "Wolbecker Straße", "Warendorfer Straße"), 1),
    City("Kiel", "431", "Neumünster", ("24103", "24105", "24114", "24116"),
         ("Holtenauer Straße", "Knooper Weg", "Feldstraße"), 1),
    City("Mainz", "6131", "Saulheim", ("55116", "55118", "55122"),
         ("Kaiserstraße", "Boppstraße", "Gonsenheimer Straße"), 1),
    City("Freiburg im Breisgau", "761", "Lahr", ("79098", "79100", "79102", "79104"),
         ("Wilhelmstraße", "Habsburgerstraße", "Günterstalstraße"), 1),
    City("Augsburg", "821", "Augsburg", ("86150", "86152", "86159"),
         ("Maximilianstraße", "Jakoberstraße", "Haunstetter Straße"), 1),
    City("Dortmund", "231", "Dortmund", ("44135", "44137", "44139"),
         ("Kaiserstraße", "Rheinische Straße", "Hohe Straße"), 1),
)

SIZES = {
    "women": ("XS", "S", "M", "L", "XL"),
    "women_de": ("34", "36", "38", "40", "42", "44"),
    "men": ("S", "M", "L", "XL", "XXL"),
    "men_de": ("46", "48", "50", "52", "54"),
    "shoes": ("37", "38", "39", "40", "41", "42", "43", "44", "45"),
    "kids": ("98", "104", "110", "116", "122", "128"),
    "bra": ("75B", "75C", "80B", "80C", "85B"),
}

PRODUCTS = (
    Product("JKT-0042", "Steppjacke Hamburg", "Damenmode", "79.95", "women", ("Navy", "Schwarz", "Oliv")),
    Product("PUL-0108", "Strickpullover Merino", "Damenmode", "59.95", "women", ("Creme", "Salbei", "Anthrazit")),
    Product("KLD-0215", "Blusenkleid Sommerwind", "Damenmode", "49.95", "women_de", ("Dunkelblau", "Terrakotta")),
    Product("JNS-0317", "Jeans Slim Fit", "Damenmode", "69.95", "women_de", ("Blue Denim", "Schwarz")),
    Product("MAN-0420", "Trenchcoat Alster", "Damenmode", "129.00", "women_de", ("Beige", "Navy")),
    Product("SHT-0133", "T-Shirt Basic, 2er-Pack", "Damenmode", "19.95", "women", ("Weiß", "Schwarz", "Marine")),
    Product("JKT-1011", "Regenjacke Friesennerz", "Herrenmode", "89.95", "men", ("Gelb", "Navy")),
    Product("HMD-1104", "Oxford-Hemd Regular Fit", "Herrenmode", "39.95", "men", ("Hellblau", "Weiß")),
    Product("HOS-1206", "Chino Regular Fit", "Herrenmode", "54.95", "men_de", ("Sand", "Navy", "Oliv")),
    Product("SWT-1302", "Kapuzenpullover Nordlicht", "Herrenmode", "44.95", "men", ("Grau meliert", "Dunkelgrün")),
    Product("MAN-1410", "Wollmantel Elbe", "Herrenmode", "159.00", "men_de", ("Anthrazit", "Camel")),
    Product("SNK-2001", "Sneaker Hafenkante", "Schuhe", "79.95", "shoes", ("Weiß", "Navy")),
    Product("BOT-2105", "Chelsea Boots Leder", "Schuhe", "119.00", "shoes", ("Braun", "Schwarz")),
    Product("GST-2203", "Gummistiefel Watt", "Schuhe", "39.95", "shoes", ("Gelb", "Dunkelblau")),
    Product("LFS-2310", "Laufschuh Deichläufer", "Schuhe", "99.95", "shoes", ("Schwarz", "Petrol")),
    Product("KMH-3004", "Matschhose", "Kinder", "24.95", "kids", ("Rot", "Blau")),
    Product("KRJ-3012", "Kinder-Regenjacke Möwe", "Kinder", "34.95", "kids", ("Gelb", "Blau")),
    Product("KSA-3107", "Schlafanzug Leuchtturm", "Kinder", "22.95", "kids", ("Blau-Weiß",)),
    Product("BTW-4002", "Bettwäsche Renforcé 135 x 200 cm", "Wohnen", "49.95", None, ("Salbei", "Weiß", "Taupe")),
    Product("KIS-4010", "Kissenhülle Leinen 50 x 50 cm", "Wohnen", "19.95", None, ("Natur", "Rost", "Grau")),
    Product("DCK-4021", "Wolldecke Skandi", "Wohnen", "69.95", None, ("Grau", "Senf")),
    Product("BCH-4105", "Keramikbecher, 4er-Set", "Wohnen", "29.95", None, ("Sand", "Blau")),
    Product("HTU-4117", "Frottier-Handtuch-Set, 4-teilig", "Wohnen", "34.95", None, ("Weiß", "Petrol")),
    Product("LMP-4203", "Stehleuchte Bogen", "Wohnen", "149.00", None, ("Messing", "Schwarz")),
    Product("KRZ-4301", "Duftkerze Seeluft", "Wohnen", "12.95", None, None),
    Product("KHR-5001", "Bluetooth-Kopfhörer NL Sound", "Elektronik", "89.00", None, ("Schwarz", "Sand")),
    Product("PWB-5012", "Powerbank 10.000 mAh", "Elektronik", "29.99", None, None),
    Product("SSD-5020", "Smarte Steckdose, 2er-Set", "Elektronik", "24.99", None, None),
    Product("WKO-5104", "Wasserkocher Edelstahl 1,7 l", "Elektronik", "39.99", None, None),
    Product("LSP-5110", "Bluetooth-Lautsprecher Outdoor", "Elektronik", "59.99", None, ("Schwarz", "Blau")),
    Product("HCR-6001", "Handcreme Sanddorn 75 ml", "Kosmetik", "7.95", None, None),
    Product("GPF-6010", "Gesichtscreme Meeresalge 50 ml", "Kosmetik", "24.95", None, None),
    Product("DSG-6022", "Duschgel-Set Nordsee, 3 x 250 ml", "Kosmetik", "14.95", None, None),
    Product("BOX-7003", "Boxershorts, 3er-Pack", "Unterwäsche", "29.95", "men", ("Schwarz", "Navy")),
    Product("BHS-7101", "Bügel-BH Spitze", "Unterwäsche", "34.95", "bra", ("Schwarz", "Puder")),
    Product("SLP-7110", "Slips Baumwolle, 5er-Pack", "Unterwäsche", "24.95", "women", ("Weiß", "Bunt")),
    Product("SWO-8001", "Office-Paket Home, 1 Jahr", "Software", "69.99", None, None),
    Product("SWF-8010", "Fotobearbeitung Pro", "Software", "49.99", None, None),
    Product("GUT-0025", "Geschenkgutschein 25 €", "Gutscheine", "25.00", None, None),
    Product("GUT-0050", "Geschenkgutschein 50 €", "Gutscheine", "50.00", None, None),
    Product("GUT-0100", "Geschenkgutschein 100 €", "Gutscheine", "100.00", None, None),
    Product("FMT-9001", "Fußmatte mit Wunschtext", "Sonderanfertigung", "39.95", None, ("Anthrazit", "Natur")),
    Product("FKS-9010", "Fotokissen mit eigenem Motiv", "Sonderanfertigung", "29.95", None, None),
    Product("RLL-9020", "Rollo nach Maß", "Sonderanfertigung", "74.95", None, ("Weiß", "Grau")),
)
CATEGORY_WEIGHTS = {
    "Damenmode": 10, "Herrenmode": 8, "Schuhe": 8, "Kinder": 6, "Wohnen": 6, "Elektronik": 6, "Kosmetik": 4,
    "Unterwäsche": 5, "Software": 2, "Gutscheine": 2, "Sonderanfertigung": 2,
}
# Hygiene items, made-to-order/personalised items, software and gift cards cannot be returned.
NON_RETURNABLE_CATEGORIES = frozenset({"Unterwäsche", "Kosmetik", "Software", "Gutscheine", "Sonderanfertigung"})

# Share of orders per carrier (the carrier depends on the item and warehouse; DHL carries most).
CARRIER_SHARES = {"DHL": 64, "Hermes": 26, "DPD": 20, "GLS": 14, "UPS": 20}
PAYMENT_SHARES = {"paypal": 40, "invoice": 28, "credit_card": 24, "direct_debit": 14, "apple_pay": 14,
                  "google_pay": 12, "prepayment": 12}
UPS_SHIPPER_NUMBER = "A8V9E4"   # Nordlicht's UPS account, part of every UPS tracking number

# Where each carrier's scans happen; DHL uses the city's Paketzentrum (City.dhl_hub).
HUB_NAMES = {"DHL": "Paketzentrum {}", "Hermes": "Hermes Verteilzentrum {}", "DPD": "DPD Depot {}",
             "GLS": "GLS Depot {}", "UPS": "UPS Paketzentrum {}"}
WAREHOUSE_CITY = "Hamburg"

# Pickup points: (how the place is written, where the failed-delivery scan sends the parcel, ready text)
PICKUP_POINTS = {
    "Packstation": ("Packstation {number}, {street}, {postcode} {city}", "in eine Packstation",
                    "Die Sendung liegt in der Packstation zur Abholung bereit. "
                    "Der Abholcode wurde per E-Mail und in der Post & DHL App versendet."),
    "Filiale": ("Postfiliale {number}, {street}, {postcode} {city}", "in eine Filiale",
                "Die Sendung liegt in der Filiale zur Abholung bereit."),
    "Hermes": ("Hermes PaketShop ({shop}), {street}, {postcode} {city}", "in einen Hermes PaketShop",
               "Die Sendung liegt im Hermes PaketShop zur Abholung bereit."),
    "DPD": ("DPD Pickup Paketshop ({shop}), {street}, {postcode} {city}", "in einen DPD Pickup Paketshop",
            "Die Sendung liegt im DPD Pickup Paketshop zur Abholung bereit."),
    "GLS": ("GLS PaketShop ({shop}), {street}, {postcode} {city}", "in einen GLS PaketShop",
            "Die Sendung liegt im GLS PaketShop zur Abholung bereit."),
    "UPS": ("UPS Access Point ({shop}), {street}, {postcode} {city}", "zu einem UPS Access Point",
            "Die Sendung liegt im UPS Access Point zur Abholung bereit."),
}
PARCEL_SHOPS = ("Kiosk am Markt", "Schreibwaren Krause", "Tabak & Lotto Yilmaz", "Blumen Hansen",
                "Textilreinigung Sauber", "Getränkemarkt Ost", "Copyshop Ecke")

# Scan texts, in the carriers' German wording.
TEXT_LABEL = "Die Sendung wurde elektronisch angekündigt."
TEXT_START_HUB = "Die Sendung wurde im Start-Paketzentrum bearbeitet."
TEXT_DESTINATION_HUB = "Die Sendung wurde im Ziel-Paketzentrum bearbeitet."
TEXT_LOADED = "Die Sendung wurde in das Zustellfahrzeug geladen."
TEXTS_DELIVERED = (
    "Die Sendung wurde dem Empfänger erfolgreich zugestellt.",
    "Die Sendung wurde dem Empfänger erfolgreich zugestellt.",
    "Die Sendung wurde dem Empfänger erfolgreich zugestellt.",
    "Die Sendung wurde beim Nachbarn zugestellt.",
    "Die Sendung wurde am vereinbarten Ablageort zugestellt.",
)
TEXTS_FAILED = (
    "Der Empfänger wurde nicht angetroffen. Eine Benachrichtigungskarte wurde eingeworfen. "
    "Die Sendung wird am nächsten Werktag erneut zugestellt.",
    "Die Zustellung war nicht möglich, da die Anschrift unvollständig ist. Die Anschrift wird geprüft.",
)
TEXT_FAILED_TO_PICKUP = ("Der Empfänger wurde nicht angetroffen. Eine Benachrichtigungskarte wurde eingeworfen. "
                         "Die Sendung wird {target} gebracht.")
TEXTS_DELAYED = (
    "Die Sendung verzögert sich aufgrund eines hohen Sendungsaufkommens. Sie wird schnellstmöglich zugestellt.",
    "Die Sendung konnte nicht wie geplant weitergeleitet werden. Sie wird schnellstmöglich zugestellt.",
)
TEXT_DAMAGED_HUB = "Die Verpackung der Sendung ist beschädigt. Die Sendung wird geprüft und nachverpackt."
TEXT_DAMAGED_DELIVERED = "Die Sendung wurde beschädigt zugestellt. Der Schaden wurde vom Zusteller dokumentiert."
TEXT_LOST = ("Die Sendung konnte nicht gefunden werden. Die Nachforschung wurde abgeschlossen, "
             "die Sendung gilt als verloren.")

# Orders of the other customers per kind; "stuck" ones are shipped orders without a scan for days.
STATUS_COUNTS = {
    "delivered": 66, "shipped": 17, "stuck": 5, "processing": 10, "out_for_delivery": 8, "delayed": 6,
    "delivery_failed": 6, "ready_for_pickup": 6, "lost": 4, "damaged": 4, "partially_delivered": 6,
    "cancelled": 6,
}
# Working days since the last scan of each stuck parcel: after 4 its promised window ends today.
STUCK_QUIET_DAYS = (4, 4, 4, 5, 6)
ITEM_COUNT_WEIGHTS = {1: 45, 2: 30, 3: 17, 4: 8}

ANNA = {"id": "K-10001", "email": "anna.schmidt@example.com", "first_name": "Anna", "last_name": "Schmidt",
        "phone": "+49 40 1234567"}
ANNA_ADDRESS = {"name": "Anna Schmidt", "street": "Lindenstraße 12", "postcode": "20095", "city": "Hamburg",
                "country": "DE"}
# Anna's orders: status, carrier, payment, items (product code, size, colour, quantity), fixed choices.
ANNA_ORDERS = (
    ("delivered", "DHL", "paypal", (("JKT-0042", "M", "Navy", 1), ("PUL-0108", "M", "Salbei", 1)),
     {"days_back": 3, "transit": 1}),
    ("delayed", "Hermes", "invoice", (("SNK-2001", "39", "Weiß", 1), ("KIS-4010", None, "Natur", 2)),
     {"ship_back": 5, "scan_back": 1, "window": (3, 4)}),
    ("processing", "DHL", "credit_card", (("BTW-4002", None, "Salbei", 1),), {"days_back": 1}),
    ("ready_for_pickup", "DHL", "apple_pay", (("KHR-5001", None, "Sand", 1),),
     {"days_back": 1, "pickup": "Packstation", "location": "Packstation 123, Speicherstadt 5, 20457 Hamburg"}),
    ("delivered", "DHL", "paypal", (("JNS-0317", "38", "Blue Denim", 1), ("HCR-6001", None, None, 2)),
     {"days_back": 40, "transit": 2}),
    ("cancelled", "DHL", "prepayment", (("DCK-4021", None, "Grau", 1),), {"days_back": 18}),
)

# Stock: a share of the variants is sold out; digital goods and gift cards never run out.
SOLD_OUT_SHARE = 0.12
STOCK_RANGE = (1, 30)
UNLIMITED_STOCK_CATEGORIES = frozenset({"Software", "Gutscheine"})
UNLIMITED_STOCK = 999
# What the returns demo offers for Anna's first delivered order (jacket M Navy, pullover M Salbei):
# another size or colour in stock, and one sold out.
ANNA_EXCHANGE_STOCK = {
    ("JKT-0042", "L", "Navy"): 4, ("JKT-0042", "M", "Schwarz"): 6, ("JKT-0042", "S", "Navy"): 0,
    ("PUL-0108", "M", "Salbei"): 3, ("PUL-0108", "L", "Salbei"): 5,
}
