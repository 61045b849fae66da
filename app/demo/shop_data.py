"""The Nordlicht demo shop as a shop import document, every date counted back from a given day.

`build_demo_shop(today)` returns about 30 customers and 150 orders in every order status, with parcels
at DHL, Hermes, DPD, GLS and UPS, and every product's variants with stock (app/demo/products.py), in the
format of `flask shop import` (docs: shop import format).
Parcels move on carrier days (Monday to Saturday without public holidays); the warehouse ships and
promises delivery windows in working days (Monday to Friday without Hamburg's public holidays), the
days the help center counts. No scan lies after today, and none on a Sunday: only parcels loaded into
the delivery van today have a scan from today, before 07:00. The same (today, seed) gives the same document.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.demo import catalog
from app.demo.products import ascii_fold, demo_products, sku_of

SHOP_TIMEZONE = ZoneInfo("Europe/Berlin")
SHIPPING_CENTS, FREE_SHIPPING_FROM_CENTS = 495, 5000
PICKUP_DAYS = 7
FIRST_ORDER_NUMBER = 100101

PRODUCTS_BY_CODE = {product.code: product for product in catalog.PRODUCTS}


# Calendar ---------------------------------------------------------------------------------------

def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@functools.lru_cache(maxsize=16)
def public_holidays(year: int) -> frozenset[dt.date]:
    """Germany's nationwide public holidays plus Reformationstag, a holiday in Hamburg."""
    easter = easter_sunday(year)
    fixed = [dt.date(year, month, day) for month, day in ((1, 1), (5, 1), (10, 3), (10, 31), (12, 25), (12, 26))]
    return frozenset(fixed + [easter + dt.timedelta(days=n) for n in (-2, 1, 39, 50)])


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def is_carrier_day(day: dt.date) -> bool:
    return day.weekday() < 6 and day not in public_holidays(day.year)


def shift(day: dt.date, count: int, carrier: bool = False) -> dt.date:
    """The day `count` working days (carrier days: with Saturdays) after day; before it if count < 0."""
    valid = is_carrier_day if carrier else is_working_day
    step = dt.timedelta(days=1 if count > 0 else -1)
    for _ in range(abs(count)):
        day += step
        while not valid(day):
            day += step
    return day


# Small helpers ----------------------------------------------------------------------------------

def _cents(price: str) -> int:
    euros, cents = price.split(".")
    return int(euros) * 100 + int(cents)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _item(product: catalog.Product, size: str | None, colour: str | None, quantity: int) -> dict:
    item = {"sku": sku_of(product, size, colour), "name": product.name, "category": product.category}
    if size:
        item["size"] = size
    if colour:
        item["colour"] = colour
    item.update(quantity=quantity, unit_price=product.price,
                returnable=product.category not in catalog.NON_RETURNABLE_CATEGORIES)
    return item


def _spread(shares: dict[str, int]) -> list[str]:
    return [name for name, count in shares.items() for _ in range(count)]


@dataclass
class _Customer:
    record: dict
    address: dict
    city: catalog.City


@dataclass
class _Plan:
    status: str
    customer: _Customer
    carrier: str
    payment: str
    items: list[dict]
    options: dict = field(default_factory=dict)


class _Parcel:
    """One shipment being written: its scans in order and its fields in the import format."""

    def __init__(self, carrier: str, tracking_number: str, city: catalog.City, skus: list[str]):
        self.carrier, self.city = carrier, city
        self.fields = {"carrier": carrier, "tracking_number": tracking_number, "status": None}
        self.skus = skus
        self.events: list[tuple[dt.datetime, str, str | None, str]] = []

    def scan(self, when: dt.datetime, status: str, text: str, location: str | None = None) -> None:
        self.events.append((when, status, location, text))

    def hub(self, city_name: str | None = None) -> str:
        """The carrier's hub in city_name, by default the one serving the recipient."""
        if city_name is None:
            city_name = self.city.dhl_hub if self.carrier == "DHL" else self.city.name
        return catalog.HUB_NAMES[self.carrier].format(city_name)

    def as_dict(self) -> dict:
        events = [{"time": when.isoformat(), "status": status, **({"location": location} if location else {}),
                   "text": text} for when, status, location, text in self.events]
        return {**self.fields, "status": self.events[-1][1], "skus": self.skus, "events": events}


# The generator ----------------------------------------------------------------------------------

class _DemoShop:
    def __init__(self, today: dt.date, seed: int):
        self.today, self.seed = today, seed
        self.rng = random.Random(seed)
        self.tracking_numbers: set[str] = set()

    def at(self, day: dt.date, start: float, end: float) -> dt.datetime:
        """A time on day between the hours start and end (shop time)."""
        minute = self.rng.randrange(int(start * 60), int(end * 60))
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=SHOP_TIMEZONE)

    # People

    def customers(self) -> list[_Customer]:
        hamburg = next(city for city in catalog.CITIES if city.name == "Hamburg")
        anna = {**catalog.ANNA, "addresses": [{"kind": "shipping", **catalog.ANNA_ADDRESS}]}
        customers = [_Customer(anna, catalog.ANNA_ADDRESS, hamburg)]
        first_names = self.rng.sample(catalog.FEMALE_FIRST_NAMES + catalog.MALE_FIRST_NAMES, 29)
        last_names = self.rng.sample(catalog.LAST_NAMES, 29)
        with_billing = set(self.rng.sample(range(29), 4))
        weights = [city.weight for city in catalog.CITIES]
        for n, (first, last) in enumerate(zip(first_names, last_names)):
            city = self.rng.choices(catalog.CITIES, weights)[0]
            address = self.address(f"{first} {last}", city)
            addresses = [{"kind": "shipping", **address}]
            if n in with_billing:
                other_city = self.rng.choices(catalog.CITIES, weights)[0]
                addresses.append({"kind": "billing", **self.address(f"{first} {last}", other_city)})
            record = {"id": f"K-{10002 + n}", "email": f"{ascii_fold(first)}.{ascii_fold(last)}@example.com".lower(),
                      "first_name": first, "last_name": last, "phone": self.phone(city), "addresses": addresses}
            customers.append(_Customer(record, address, city))
        return customers

    def street(self, city: catalog.City) -> str:
        names = city.streets if self.rng.random() < 0.5 else catalog.COMMON_STREETS
        number = str(self.rng.randint(1, 120)) + ("a" if self.rng.random() < 0.1 else "")
        return f"{self.rng.choice(names)} {number}"

    def address(self, name: str, city: catalog.City) -> dict:
        return {"name": name, "street": self.street(city), "postcode": self.rng.choice(city.postcodes),
                "city": city.name, "country": "DE"}

    def phone(self, city: catalog.City) -> str:
        if self.rng.random() < 0.4:
            return f"+49 {self.rng.choice(catalog.MOBILE_PREFIXES)} {self.rng.randint(1_000_000, 99_999_999)}"
        digits = self.rng.choice((9, 10)) - len(city.area_code)
        return f"+49 {city.area_code} {self.rng.randint(10 ** (digits - 1), 10 ** digits - 1)}"

    # Goods and orders

    def items(self, count: int) -> list[dict]:
        weights = [catalog.CATEGORY_WEIGHTS[product.category] for product in catalog.PRODUCTS]
        products: list[catalog.Product] = []
        while len(products) < count:
            product = self.rng.choices(catalog.PRODUCTS, weights)[0]
            if product not in products:
                products.append(product)
        items = []
        for product in products:
            size = self.rng.choice(catalog.SIZES[product.sizes]) if product.sizes else None
            colour = self.rng.choice(product.colours) if product.colours else None
            cheap = _cents(product.price) < 3000 and product.category != "Gutscheine"
            items.append(_item(product, size, colour, 2 if cheap and self.rng.random() < 0.2 else 1))
        return items

    def plans(self, customers: list[_Customer]) -> list[_Plan]:
        plans = [_Plan(status, customers[0], carrier, payment,
                       [_item(PRODUCTS_BY_CODE[code], size, colour, qty) for code, size, colour, qty in lines], options)
                 for status, carrier, payment, lines, options in catalog.ANNA_ORDERS]
        statuses, carriers = _spread(catalog.STATUS_COUNTS), _spread(catalog.CARRIER_SHARES)
        payments = _spread(catalog.PAYMENT_SHARES)
        for values in (statuses, carriers, payments):
            self.rng.shuffle(values)
        others = customers[1:]
        loyalty = [self.rng.uniform(0.3, 3.0) for _ in others]
        buyers = others + self.rng.choices(others, loyalty, k=len(statuses) - len(others))
        self.rng.shuffle(buyers)
        quiet_days = itertools.cycle(catalog.STUCK_QUIET_DAYS)
        for status, carrier, payment, buyer in zip(statuses, carriers, payments, buyers, strict=True):
            count = self.rng.choices(*zip(*catalog.ITEM_COUNT_WEIGHTS.items()))[0]
            if status == "partially_delivered":
                count = max(2, count)
            options = {"quiet_days": next(quiet_days)} if status == "stuck" else {}
            plans.append(_Plan(status, buyer, carrier, payment, self.items(count), options))
        return plans

    def build(self) -> dict:
        customers = self.customers()
        built = []
        for plan in self.plans(customers):
            placed_at, parcels = getattr(self, f"_{plan.status}")(plan)
            built.append((placed_at, plan, parcels))
        built.sort(key=lambda entry: entry[0])
        orders, number = [], FIRST_ORDER_NUMBER
        for placed_at, plan, parcels in built:
            orders.append(self.order(str(number), placed_at, plan, parcels))
            number += self.rng.randint(1, 6)  # orders from the other sales channels in between
        return {"customers": [customer.record for customer in customers], "orders": orders,
                "products": demo_products(self.seed)}

    def order(self, number: str, placed_at: dt.datetime, plan: _Plan, parcels: list[_Parcel]) -> dict:
        subtotal = sum(_cents(item["unit_price"]) * item["quantity"] for item in plan.items)
        shipping = SHIPPING_CENTS if subtotal < FREE_SHIPPING_FROM_CENTS else 0
        return {
            "number": number, "customer_id": plan.customer.record["id"], "placed_at": placed_at.isoformat(),
            "status": "shipped" if plan.status == "stuck" else plan.status,
            "total": _money(subtotal + shipping), "currency": "EUR", "payment_method": plan.payment,
            "shipping_address": dict(plan.customer.address), "items": plan.items,
            "shipments": [parcel.as_dict() for parcel in parcels],
        }

    # Parcels

    def tracking_number(self, carrier: str) -> str:
        def digits(n: int) -> str:
            return f"{self.rng.randrange(10 ** n):0{n}d}"

        formats = {
            "DHL": lambda: "00340434" + digits(12),
            "Hermes": lambda: str(self.rng.randint(1, 9)) + digits(13),
            "DPD": lambda: "0" + digits(13),
            "GLS": lambda: str(self.rng.randint(1, 9)) + digits(self.rng.choice((10, 11))),
            # 1Z, the shop's shipper number, service code 11 (UPS Standard), the package number
            "UPS": lambda: "1Z" + catalog.UPS_SHIPPER_NUMBER + "11" + digits(8),
        }
        while True:
            number = formats[carrier]()
            if number not in self.tracking_numbers:
                self.tracking_numbers.add(number)
                return number

    def parcel(self, plan: _Plan, skus: list[str] | None = None, carrier: str | None = None) -> _Parcel:
        carrier = carrier or plan.carrier
        skus = skus if skus is not None else [item["sku"] for item in plan.items]
        return _Parcel(carrier, self.tracking_number(carrier), plan.customer.city, skus)

    def dispatch(self, plan: _Plan, ship: dt.date, window: tuple[int, int], **parcel_options) -> _Parcel:
        """A parcel shipped on ship, promised `window` working days later: label, then the hub in Hamburg."""
        parcel = self.parcel(plan, **parcel_options)
        parcel.scan(self.at(ship, 10, 15), "label_created", catalog.TEXT_LABEL)
        handed_over = self.at(ship, 15, 18)
        parcel.scan(handed_over, "in_transit", catalog.TEXT_START_HUB, parcel.hub(catalog.WAREHOUSE_CITY))
        parcel.fields["shipped_at"] = handed_over.isoformat()
        self.promise(parcel, ship, *window)
        return parcel

    def promise(self, parcel: _Parcel, ship: dt.date, first: int, last: int) -> None:
        parcel.fields["promised_from"] = shift(ship, first).isoformat()
        parcel.fields["promised_to"] = shift(ship, last).isoformat()

    def reach_hub(self, parcel: _Parcel, day: dt.date) -> None:
        parcel.scan(self.at(day, 18.5, 21), "in_transit", catalog.TEXT_DESTINATION_HUB, parcel.hub())

    def arrive(self, parcel: _Parcel, day: dt.date) -> None:
        """At the destination hub the evening before, into the delivery van on day (today: before 07:00)."""
        self.reach_hub(parcel, shift(day, -1, carrier=True))
        start, end = (6.1, 6.9) if day == self.today else (7, 9.5)
        parcel.scan(self.at(day, start, end), "out_for_delivery", catalog.TEXT_LOADED, parcel.city.name)

    def placed_before(self, ship: dt.date, payment: str) -> dt.datetime:
        days = self.rng.randint(2, 4) if payment == "prepayment" else self.rng.choice((0, 0, 1, 1, 2))
        if days == 0:
            return self.at(ship, 6, 10)
        return self.at(ship - dt.timedelta(days=days), 7, 23.5)

    def transit(self) -> int:
        return self.rng.choice((1, 1, 1, 2, 2, 3))

    def window(self, first: int) -> tuple[int, int]:
        """A promised window of one or two working days, starting `first` working days after shipping."""
        return first, first + self.rng.randint(0, 1)

    def deliver(self, parcel: _Parcel, day: dt.date) -> None:
        self.arrive(parcel, day)
        parcel.scan(self.at(day, 10, 19), "delivered", self.rng.choice(catalog.TEXTS_DELIVERED), parcel.city.name)

    # One method per kind of order: (placed_at, parcels)

    def _processing(self, plan: _Plan):
        days = plan.options.get("days_back") or self.rng.randint(1, 4 if plan.payment == "prepayment" else 2)
        return self.at(self.today - dt.timedelta(days=days), 7, 23.5), []

    def _cancelled(self, plan: _Plan):
        days = plan.options.get("days_back") or self.rng.randint(3, 60)
        return self.at(self.today - dt.timedelta(days=days), 7, 23.5), []

    def _delivered(self, plan: _Plan):
        recent = self.rng.random() < 0.6
        days = plan.options.get("days_back") or (self.rng.randint(1, 15) if recent else self.rng.randint(16, 70))
        day = shift(self.today, -days, carrier=True)
        ship = shift(day, -(plan.options.get("transit") or self.transit()))
        parcel = self.dispatch(plan, ship, self.window(self.rng.randint(1, 2)))
        self.deliver(parcel, day)
        return self.placed_before(ship, plan.payment), [parcel]

    def _shipped(self, plan: _Plan):
        days = self.rng.randint(1, 2)
        ship = shift(self.today, -days)
        window = self.window(days + self.rng.randint(0, 1))  # not over yet
        if self.rng.random() < 0.2:  # label printed, parcel not yet handed to the carrier
            parcel = self.parcel(plan)
            parcel.scan(self.at(ship, 14, 18), "label_created", catalog.TEXT_LABEL)
            self.promise(parcel, ship, *window)
        else:
            parcel = self.dispatch(plan, ship, window)
            if days == 2:
                self.reach_hub(parcel, shift(ship, 1, carrier=True))
        return self.placed_before(ship, plan.payment), [parcel]

    def _stuck(self, plan: _Plan):
        latest = self.today if is_working_day(self.today) else shift(self.today, -1)
        ship = shift(latest, -plan.options["quiet_days"])  # no scan since shipping
        parcel = self.dispatch(plan, ship, (3, 4))  # ends on the latest working day, or one or two before
        return self.placed_before(ship, plan.payment), [parcel]

    def _out_for_delivery(self, plan: _Plan):
        day = self.today if is_carrier_day(self.today) else shift(self.today, -1, carrier=True)
        days = self.rng.randint(1, 2)
        ship = shift(day, -days)
        parcel = self.dispatch(plan, ship, self.window(days))
        self.arrive(parcel, day)
        return self.placed_before(ship, plan.payment), [parcel]

    def _delayed(self, plan: _Plan):
        ship = shift(self.today, -(plan.options.get("ship_back") or self.rng.randint(4, 6)))
        last_scan = shift(self.today, -(plan.options.get("scan_back") or self.rng.randint(1, 2)), carrier=True)
        if (self.today - last_scan).days > 2:
            last_scan = shift(self.today, -1, carrier=True)
        window = self.window(self.rng.randint(1, 2))
        parcel = self.dispatch(plan, ship, plan.options.get("window") or window)  # over before today
        self.reach_hub(parcel, shift(ship, 1, carrier=True))
        parcel.scan(self.at(last_scan, 8, 18), "in_transit", self.rng.choice(catalog.TEXTS_DELAYED), parcel.hub())
        return self.placed_before(ship, plan.payment), [parcel]

    def _delivery_failed(self, plan: _Plan):
        day = shift(self.today, -1, carrier=True)
        days = self.rng.randint(1, 2)
        ship = shift(day, -days)
        parcel = self.dispatch(plan, ship, self.window(days))
        self.arrive(parcel, day)
        parcel.scan(self.at(day, 10, 18.5), "delivery_failed", self.rng.choice(catalog.TEXTS_FAILED),
                    parcel.city.name)
        return self.placed_before(ship, plan.payment), [parcel]

    def _ready_for_pickup(self, plan: _Plan):
        options, city = plan.options, plan.customer.city
        ready_day = shift(self.today, -(options.get("days_back") or self.rng.randint(1, 3)), carrier=True)
        kind = plan.carrier
        if kind == "DHL":
            kind = options.get("pickup") or self.rng.choice(("Packstation", "Filiale"))
        place, target, ready_text = catalog.PICKUP_POINTS[kind]
        location = options.get("location") or place.format(
            number=self.rng.randint(101, 699), shop=self.rng.choice(catalog.PARCEL_SHOPS), street=self.street(city),
            postcode=self.rng.choice(city.postcodes), city=city.name)
        # A Packstation takes the parcel the same day; a Filiale or parcel shop the next morning.
        attempt_day = ready_day if kind == "Packstation" else shift(ready_day, -1, carrier=True)
        days = self.rng.randint(1, 2)
        ship = shift(attempt_day, -days)
        parcel = self.dispatch(plan, ship, (days, days))
        self.arrive(parcel, attempt_day)
        parcel.scan(self.at(attempt_day, 10, 13), "delivery_failed",
                    catalog.TEXT_FAILED_TO_PICKUP.format(target=target), city.name)
        ready_at = self.at(ready_day, 14, 19) if kind == "Packstation" else self.at(ready_day, 9, 13)
        parcel.scan(ready_at, "ready_for_pickup", ready_text, location)
        parcel.fields["pickup_location"] = location
        parcel.fields["pickup_deadline"] = (ready_day + dt.timedelta(days=PICKUP_DAYS)).isoformat()
        return self.placed_before(ship, plan.payment), [parcel]

    def _lost(self, plan: _Plan):
        note_day = shift(self.today, -self.rng.randint(1, 8))
        ship = shift(note_day, -self.rng.randint(10, 14))
        parcel = self.dispatch(plan, ship, (1, 2))
        self.reach_hub(parcel, shift(ship, 1, carrier=True))
        parcel.scan(self.at(note_day, 9, 16), "lost", catalog.TEXT_LOST)  # after weeks without a scan
        return self.placed_before(ship, plan.payment), [parcel]

    def _damaged(self, plan: _Plan):
        day = shift(self.today, -self.rng.randint(1, 6), carrier=True)
        days = self.rng.randint(1, 2)
        ship = shift(day, -days)
        parcel = self.dispatch(plan, ship, self.window(days))
        if self.rng.random() < 0.5:
            parcel.scan(self.at(day, 6, 12), "damaged", catalog.TEXT_DAMAGED_HUB, parcel.hub())
        else:
            self.arrive(parcel, day)
            parcel.scan(self.at(day, 10, 18.5), "damaged", catalog.TEXT_DAMAGED_DELIVERED, parcel.city.name)
        return self.placed_before(ship, plan.payment), [parcel]

    def _partially_delivered(self, plan: _Plan):
        skus = [item["sku"] for item in plan.items]
        split = len(skus) // 2
        day = shift(self.today, -self.rng.randint(1, 5), carrier=True)
        ship = shift(day, -self.transit())
        first = self.dispatch(plan, ship, (1, 2), skus=skus[:split])
        self.deliver(first, day)
        # The rest comes later from another warehouse, often with another carrier.
        later = shift(self.today, -1)
        carrier = self.rng.choice(tuple(catalog.CARRIER_SHARES))
        second = self.dispatch(plan, later, self.window(1), skus=skus[split:], carrier=carrier)
        return self.placed_before(min(ship, later), plan.payment), [first, second]


def build_demo_shop(today: dt.date, seed: int = 7) -> dict:
    """A complete shop import document for the demo shop Nordlicht, its dates counted back from today."""
    return _DemoShop(today, seed).build()
