"""The demo shop data: complete, plausible and consistent on whatever day it is loaded."""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections import Counter
from decimal import Decimal

import holidays
import pytest

from app.demo.shop_data import SHOP_TIMEZONE, build_demo_shop, public_holidays
from app.shop.carriers import CARRIERS
from app.shop.vocabulary import ADDRESS_KINDS, ORDER_STATUSES, PAYMENT_METHODS, SHIPMENT_STATUSES
from app.tracking.calendar import add_working_days, is_working_day, working_days_between

CHRISTMAS_EVE = dt.date(2026, 12, 24)      # a Thursday, two public holidays ahead
A_MONDAY = dt.date(2026, 11, 16)
DAYS = (CHRISTMAS_EVE, A_MONDAY,
        dt.date(2026, 6, 7),                # a Sunday
        dt.date(2026, 12, 28),              # the Monday after Christmas
        dt.date(2027, 3, 30))               # the Tuesday after Easter
STATE = "HH"

NON_RETURNABLE = {"Unterwäsche", "Kosmetik", "Software", "Gutscheine", "Sonderanfertigung"}
TRACKING_FORMATS = {
    "DHL": re.compile(r"^00340434\d{12}$"),
    "Hermes": re.compile(r"^\d{14}$"),
    "DPD": re.compile(r"^0\d{13}$"),
    "GLS": re.compile(r"^\d{11,12}$"),
    "UPS": re.compile(r"^1Z[0-9A-Z]{16}$"),
}
POSTCODE_AREAS = {
    "Hamburg": ("20", "21", "22"), "Berlin": ("10", "12", "13"), "München": ("80", "81"), "Köln": ("50", "51"),
    "Frankfurt am Main": ("60",), "Stuttgart": ("70",), "Düsseldorf": ("40",), "Leipzig": ("04",),
    "Dresden": ("01",), "Hannover": ("30",), "Bremen": ("28",), "Nürnberg": ("90",), "Münster": ("48",),
    "Kiel": ("24",), "Mainz": ("55",), "Freiburg im Breisgau": ("79",), "Augsburg": ("86",), "Dortmund": ("44",),
}
# Which shipment states go with which order state (partially delivered is checked on its own).
SHIPMENT_STATES_OF = {
    "shipped": {"label_created", "in_transit"}, "out_for_delivery": {"out_for_delivery"},
    "delivered": {"delivered"}, "delayed": {"in_transit"}, "delivery_failed": {"delivery_failed"},
    "ready_for_pickup": {"ready_for_pickup"}, "lost": {"lost"}, "damaged": {"damaged"},
}


@functools.lru_cache(maxsize=None)
def demo(today: dt.date) -> dict:
    return build_demo_shop(today)


def time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def last_scan(shipment: dict) -> dt.datetime:
    return time(shipment["events"][-1]["time"])


def orders_of(doc: dict, status: str) -> list[dict]:
    return [order for order in doc["orders"] if order["status"] == status]


def is_stuck(shipment: dict, today: dt.date) -> bool:
    return (shipment["status"] in ("label_created", "in_transit")
            and working_days_between(last_scan(shipment).date(), today, STATE) >= 3)


def test_same_day_and_seed_give_the_same_document():
    first, second = build_demo_shop(A_MONDAY), build_demo_shop(A_MONDAY)
    assert json.dumps(first) == json.dumps(second)
    assert build_demo_shop(A_MONDAY, seed=8) != first
    assert build_demo_shop(A_MONDAY + dt.timedelta(days=1))["orders"] != first["orders"]


@pytest.mark.parametrize("today", DAYS)
def test_everything_is_json_serialisable(today):
    doc = demo(today)
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc


def test_about_30_customers_and_150_orders_with_unique_keys():
    doc = demo(A_MONDAY)
    customers, orders = doc["customers"], doc["orders"]
    assert 28 <= len(customers) <= 32
    assert 145 <= len(orders) <= 155
    assert len({c["id"] for c in customers}) == len({c["email"] for c in customers}) == len(customers)
    assert len({o["number"] for o in orders}) == len(orders)
    assert all(re.fullmatch(r"\d{6}", o["number"]) for o in orders)
    ids = {c["id"] for c in customers}
    assert {o["customer_id"] for o in orders} == ids  # every customer has ordered


def test_the_first_customer_is_anna_schmidt_in_hamburg():
    anna = demo(A_MONDAY)["customers"][0]
    assert (anna["id"], anna["first_name"], anna["last_name"], anna["email"]) == (
        "K-10001", "Anna", "Schmidt", "anna.schmidt@example.com")
    assert anna["addresses"] == [{"kind": "shipping", "name": "Anna Schmidt", "street": "Lindenstraße 12",
                                  "postcode": "20095", "city": "Hamburg", "country": "DE"}]


def test_customers_have_german_names_phones_and_addresses():
    doc = demo(A_MONDAY)
    umlauts = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    cities, with_billing = set(), 0
    for customer in doc["customers"]:
        expected = f"{customer['first_name']}.{customer['last_name']}@example.com".lower().translate(umlauts)
        assert customer["email"] == expected
        assert re.fullmatch(r"\+49 [1-9]\d{1,3} [1-9]\d{4,7}", customer["phone"]), customer["phone"]
        kinds = [address["kind"] for address in customer["addresses"]]
        assert kinds[0] == "shipping" and set(kinds) <= set(ADDRESS_KINDS)
        with_billing += "billing" in kinds
        for address in customer["addresses"]:
            assert address["name"] == f"{customer['first_name']} {customer['last_name']}"
            assert re.fullmatch(r"[A-ZÄÖÜa-zäöüß. -]+ \d{1,3}[a-z]?", address["street"]), address["street"]
            assert re.fullmatch(r"\d{5}", address["postcode"])
            assert address["postcode"][:2] in POSTCODE_AREAS[address["city"]], address
            assert address["country"] == "DE"
            cities.add(address["city"])
    assert with_billing >= 3
    assert len(cities) >= 10
    shipping = {c["id"]: c["addresses"][0] for c in doc["customers"]}
    for order in doc["orders"]:
        assert {"kind": "shipping", **order["shipping_address"]} == shipping[order["customer_id"]]


@pytest.mark.parametrize("today", DAYS)
def test_every_order_status_occurs_at_least_four_times(today):
    counts = Counter(order["status"] for order in demo(today)["orders"])
    assert set(counts) == set(ORDER_STATUSES)
    assert min(counts.values()) >= 4, counts
    assert counts["delivered"] + counts["shipped"] > sum(counts.values()) / 2
    assert counts["delivered"] == max(counts.values())


@pytest.mark.parametrize("today", DAYS)
def test_shipments_fit_the_order_status(today):
    for order in demo(today)["orders"]:
        shipments, status = order["shipments"], order["status"]
        if status in ("processing", "cancelled"):
            assert shipments == []
        elif status == "partially_delivered":
            assert sorted(s["status"] for s in shipments) == ["delivered", "in_transit"]
            parcels = [sku for s in shipments for sku in s["skus"]]
            assert sorted(parcels) == sorted(item["sku"] for item in order["items"])
            assert all(s["skus"] for s in shipments)
        else:
            assert len(shipments) == 1 and shipments[0]["status"] in SHIPMENT_STATES_OF[status], order["number"]
        for shipment in shipments:
            if shipment["status"] == "ready_for_pickup":
                assert shipment["pickup_location"] == shipment["events"][-1]["location"]
                assert re.search(r"\b\d{5} \w", shipment["pickup_location"])
                assert dt.date.fromisoformat(shipment["pickup_deadline"]) > today
            if shipment["status"] in ("in_transit", "label_created", "out_for_delivery") and status != "delayed":
                if not is_stuck(shipment, today):
                    assert dt.date.fromisoformat(shipment["promised_to"]) >= today  # not late yet


@pytest.mark.parametrize("today", DAYS)
def test_delayed_and_stuck_orders(today):
    doc = demo(today)
    for order in orders_of(doc, "delayed"):
        shipment, = order["shipments"]
        assert dt.date.fromisoformat(shipment["promised_to"]) < today
        assert not is_stuck(shipment, today)
    stuck = [order for order in orders_of(doc, "shipped") if is_stuck(order["shipments"][0], today)]
    assert len(stuck) >= 3
    for order in stuck:
        shipment, = order["shipments"]
        assert shipment["status"] == "in_transit"
        assert 4 <= working_days_between(last_scan(shipment).date(), today, STATE) <= 6
        assert working_days_between(dt.date.fromisoformat(shipment["promised_to"]), today, STATE) <= 2
    if is_working_day(today, STATE):  # the help center shows these as stuck, not as late
        assert sum(dt.date.fromisoformat(o["shipments"][0]["promised_to"]) >= today for o in stuck) >= 3


@pytest.mark.parametrize("today", DAYS)
def test_annas_orders(today):
    orders = [order for order in demo(today)["orders"] if order["customer_id"] == "K-10001"]
    assert 4 <= len(orders) <= 6
    by_status = {}
    for order in orders:
        by_status.setdefault(order["status"], []).append(order)
        assert order["shipping_address"]["postcode"] == "20095"

    delivered = sorted(by_status["delivered"], key=lambda o: o["placed_at"])
    old, recent = delivered[0], delivered[-1]
    delivered_on = last_scan(recent["shipments"][0]).date()
    assert 2 <= (today - delivered_on).days <= 9
    assert (today - time(old["placed_at"]).date()).days >= 40
    assert (today - last_scan(old["shipments"][0]).date()).days >= 40

    late, = by_status["delayed"]
    shipment, = late["shipments"]
    assert shipment["status"] == "in_transit"
    assert dt.date.fromisoformat(shipment["promised_to"]) < today
    scanned = last_scan(shipment).date()
    before = [today - dt.timedelta(days=n) for n in range(1, 6)]
    carrier_days = [day for day in before if day.weekday() < 6 and day not in public_holidays(day.year)]
    if carrier_days[0] >= today - dt.timedelta(days=2):
        assert 1 <= (today - scanned).days <= 2
    else:  # after Sundays and holidays: the last day parcels moved
        assert scanned == carrier_days[0]

    assert by_status["processing"][0]["shipments"] == []

    pickup, = by_status["ready_for_pickup"]
    shipment, = pickup["shipments"]
    assert shipment["carrier"] == "DHL" and shipment["pickup_location"].startswith("Packstation ")
    assert dt.date.fromisoformat(shipment["pickup_deadline"]) > today


def test_tracking_numbers_are_unique_and_in_each_carriers_format():
    for today in DAYS:
        shipments = [s for order in demo(today)["orders"] for s in order["shipments"]]
        numbers = [s["tracking_number"] for s in shipments]
        assert len(set(numbers)) == len(numbers)
        for shipment in shipments:
            assert TRACKING_FORMATS[shipment["carrier"]].match(shipment["tracking_number"]), shipment
        carriers = Counter(s["carrier"] for s in shipments)
        assert set(carriers) == set(CARRIERS)
        assert carriers.most_common(1)[0][0] == "DHL"


@pytest.mark.parametrize("today", DAYS)
def test_events_are_past_in_order_and_in_working_hours(today):
    hamburg_holidays = holidays.Germany(subdiv=STATE, years=range(today.year - 1, today.year + 1))
    start_of_today = dt.datetime.combine(today, dt.time(0), tzinfo=SHOP_TIMEZONE)
    for order in demo(today)["orders"]:
        placed = time(order["placed_at"])
        assert placed < start_of_today
        for shipment in order["shipments"]:
            times = [time(event["time"]) for event in shipment["events"]]
            assert times == sorted(times) and len(set(times)) == len(times), order["number"]
            assert times[0] > placed
            assert shipment["events"][0]["status"] == "label_created"
            assert shipment["status"] == shipment["events"][-1]["status"]
            if "shipped_at" in shipment:
                assert shipment["shipped_at"] == shipment["events"][1]["time"]
            for event, when in zip(shipment["events"], times):
                assert event["status"] in SHIPMENT_STATUSES
                assert when.utcoffset() == when.astimezone(SHOP_TIMEZONE).utcoffset()
                assert when.weekday() != 6 and when.date() not in hamburg_holidays, event
                assert dt.time(6) <= when.time() < dt.time(21), event
                assert when.date() <= today
                if when.date() == today:  # only the morning's loading into the van
                    assert event["status"] == "out_for_delivery" and when.time() < dt.time(7)


@pytest.mark.parametrize("today", DAYS)
def test_promised_windows_are_one_or_two_days_soon_after_shipping(today):
    for order in demo(today)["orders"]:
        for shipment in order["shipments"]:
            first = dt.date.fromisoformat(shipment["promised_from"])
            last = dt.date.fromisoformat(shipment["promised_to"])
            assert is_working_day(first, STATE) and is_working_day(last, STATE)
            assert working_days_between(first, last, STATE) in (0, 1)
            shipped = time(shipment["events"][0]["time"]).date()
            assert add_working_days(shipped, 1, STATE) <= first and last <= add_working_days(shipped, 4, STATE)


def test_totals_are_the_items_plus_shipping_below_50_euros():
    for today in (CHRISTMAS_EVE, A_MONDAY):
        for order in demo(today)["orders"]:
            assert 1 <= len(order["items"]) <= 4
            assert len({item["sku"] for item in order["items"]}) == len(order["items"])
            subtotal = sum(Decimal(item["unit_price"]) * item["quantity"] for item in order["items"])
            shipping = Decimal("4.95") if subtotal < 50 else Decimal("0")
            assert re.fullmatch(r"\d+\.\d\d", order["total"])
            assert Decimal(order["total"]) == subtotal + shipping, order["number"]
            assert order["currency"] == "EUR"


def test_items_have_skus_categories_and_the_right_returnable_flag():
    items = [item for order in demo(A_MONDAY)["orders"] for item in order["items"]]
    categories = Counter(item["category"] for item in items)
    assert {"Damenmode", "Herrenmode", "Schuhe", "Kinder", "Wohnen", "Elektronik", "Kosmetik",
            "Unterwäsche"} <= set(categories)
    assert len(set(categories) & {"Software", "Gutscheine", "Sonderanfertigung"}) >= 2
    for item in items:
        assert item["sku"].startswith("NL-") and re.fullmatch(r"[A-Z0-9-]+", item["sku"])
        assert item["returnable"] is (item["category"] not in NON_RETURNABLE), item
        assert re.fullmatch(r"\d+\.\d\d", item["unit_price"]) and Decimal(item["unit_price"]) > 0
        assert isinstance(item["quantity"], int) and 1 <= item["quantity"] <= 3
        if item["category"] in ("Damenmode", "Herrenmode", "Schuhe", "Kinder"):
            assert item["size"] and item["colour"]


def test_payment_methods_are_spread_over_all_kinds():
    counts = Counter(order["payment_method"] for order in demo(A_MONDAY)["orders"])
    assert set(counts) == set(PAYMENT_METHODS)
    assert min(counts.values()) >= 5


def test_holiday_calendar_matches_hamburgs_public_holidays():
    for year in range(2025, 2032):
        assert public_holidays(year) == set(holidays.Germany(subdiv=STATE, years=year))


def test_every_product_comes_with_all_its_sizes_and_colours_and_their_stock():
    from app.demo.catalog import PRODUCTS, SIZES

    doc = demo(A_MONDAY)
    products = {product["code"]: product for product in doc["products"]}
    assert list(products) == [product.code for product in PRODUCTS]
    variants = [variant for product in doc["products"] for variant in product["variants"]]
    for product in PRODUCTS:
        listed = products[product.code]
        assert listed["name"] == product.name
        combinations = {(size, colour) for size in (SIZES[product.sizes] if product.sizes else (None,))
                        for colour in product.colours or (None,)}
        assert {(v.get("size"), v.get("colour")) for v in listed["variants"]} == combinations
    assert len({variant["sku"] for variant in variants}) == len(variants)
    assert all(isinstance(v["stock"], int) and 0 <= v["stock"] <= 999 for v in variants)
    sold_out = sum(variant["stock"] == 0 for variant in variants)
    assert 0.05 * len(variants) <= sold_out <= 0.25 * len(variants)
    by_sku = {variant["sku"]: variant for variant in variants}
    for order in doc["orders"]:  # every ordered article is a variant with the same size and colour
        for item in order["items"]:
            assert (by_sku[item["sku"]].get("size"), by_sku[item["sku"]].get("colour")) == (
                item.get("size"), item.get("colour"))


@pytest.mark.parametrize("today", DAYS)
def test_the_stock_for_annas_first_delivered_order_is_fixed(today):
    doc = demo(today)
    stock = {variant["sku"]: variant["stock"] for product in doc["products"] for variant in product["variants"]}
    # The first delivered order of her plan (catalog.ANNA_ORDERS), delivered days ago: still returnable.
    delivered = [order for order in doc["orders"]
                 if order["customer_id"] == "K-10001" and order["status"] == "delivered"]
    latest = max(delivered, key=lambda order: order["placed_at"])
    assert [item["sku"] for item in latest["items"]] == ["NL-JKT-0042-M-NAVY", "NL-PUL-0108-M-SALBEI"]
    assert (stock["NL-JKT-0042-L-NAVY"], stock["NL-JKT-0042-M-SCHWARZ"], stock["NL-JKT-0042-S-NAVY"]) == (4, 6, 0)
    assert (stock["NL-PUL-0108-M-SALBEI"], stock["NL-PUL-0108-L-SALBEI"]) == (3, 5)
    assert doc["products"] == demo(A_MONDAY)["products"]  # the same stock on every day
