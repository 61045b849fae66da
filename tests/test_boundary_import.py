"""The shop import and the TOML files as tables of odd input: the message names the record (or rule) and the field.

A bad import record is skipped with "SKIPPED orders[0]: items[0]: 'quantity' …" and nothing of it is
written; a bad routing or policy file stops the start with a ConfigError naming the rule and key.
"""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.cases.routing import DEFAULT_FILE as ROUTING_FILE
from app.cases.routing import RoutingConfigError, parse_routing
from app.config import ConfigError
from app.extensions import db
from app.returns.models import ProductVariant
from app.returns.policy import DEFAULT_FILE as POLICY_FILE
from app.returns.policy import PolicyError, load_policy
from app.shop.cli import apply_import
from app.shop.models import Address, Customer, Order, OrderItem, Shipment, ShipmentEvent
from tests.shop_factory import customer, event, order, shipment

DAY = dt.date(2026, 11, 16)


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Customer, Address, Order, OrderItem, Shipment, ShipmentEvent, ProductVariant))


def _order(**change):
    doc = order("100001", shipments=[shipment("00340434161111111111", "in_transit", [event(DAY, "in_transit")])])
    return {**doc, **change}


def _item(**change):
    return [{**_order()["items"][0], **change}]


def _shipment(**change):
    return [{**_order()["shipments"][0], **change}]


def _event(**change):
    return _shipment(events=[{**event(DAY, "in_transit"), **change}])


def _product(**change):
    return {"code": "JKT-1", "name": "Jacke", "variants": [{"sku": "NL-J-1", "size": "M", "stock": 3}], **change}


def _variant(**change):
    return _product(variants=[{"sku": "NL-J-1", "size": "M", "stock": 3, **change}])


TEXT_VALUES = [("nul", "a\x00b"), ("escape", "a\x1bb"), ("c1", "a\x85b"), ("bidi-free but DEL", "a\x7fb"),
               ("list", ["a"]), ("object", {"a": "b"}), ("float", 1.5), ("true", True)]

# (section, builder of a record with the odd value, where the message must point)
TEXT_FIELDS = [
    ("customers", lambda v: customer(first=v), "'first_name'"),
    ("customers", lambda v: {**customer(), "phone": v}, "'phone'"),
    ("customers", lambda v: {**customer(), "email": v}, "'email'"),
    ("customers", lambda v: {**customer(), "addresses": [{**customer()["addresses"][0], "city": v}]},
     "addresses[0]: 'city'"),
    ("orders", lambda v: _order(number=v), "'number'"),
    ("orders", lambda v: _order(shipping_address={**_order()["shipping_address"], "street": v}),
     "shipping_address: 'street'"),
    ("orders", lambda v: _order(items=_item(name=v)), "items[0]: 'name'"),
    ("orders", lambda v: _order(items=_item(colour=v)), "items[0]: 'colour'"),
    ("orders", lambda v: _order(shipments=_shipment(tracking_number=v)), "shipments[0]: 'tracking_number'"),
    ("orders", lambda v: _order(shipments=_shipment(pickup_location=v)), "shipments[0]: 'pickup_location'"),
    ("orders", lambda v: _order(shipments=_event(text=v)), "shipments[0].events[0]: 'text'"),
    ("orders", lambda v: _order(shipments=_event(location=v)), "shipments[0].events[0]: 'location'"),
    ("products", lambda v: _product(name=v), "'name'"),
    ("products", lambda v: _variant(colour=v), "variants[0]: 'colour'"),
]


@pytest.mark.parametrize("section,build,where", TEXT_FIELDS, ids=[w for _s, _b, w in TEXT_FIELDS])
def test_odd_text_in_every_import_field_is_skipped_with_its_place(app, section, build, where):
    with app.app_context():
        before = _counts()
        for label, value in TEXT_VALUES:
            doc = {"customers": [customer()]} if section == "orders" else {}
            doc.setdefault(section, []).append(build(value))
            report = apply_import(doc)
            position = f"{section}[{len(doc[section]) - 1}]"
            reasons = dict(report.errors)
            assert position in reasons, (label, report.errors)
            assert reasons[position].startswith(where), (label, reasons[position])
            db.session.rollback()
        # The good customer of the orders documents landed once; nothing of the bad records did.
        extra = (1, 1, 0, 0, 0, 0, 0) if section == "orders" else (0,) * 7
        assert _counts() == tuple(b + e for b, e in zip(before, extra))


NUMBERS = [
    (lambda: _order(items=_item(quantity=2 ** 64)), "items[0]: 'quantity' must be a whole number from 1 to 999"),
    (lambda: _order(items=_item(quantity=10 ** 30)), "items[0]: 'quantity' must be a whole number from 1 to 999"),
    (lambda: _order(items=_item(quantity=1.5)), "items[0]: 'quantity' must be a whole number from 1 to 999"),
    (lambda: _order(items=_item(quantity="1")), "items[0]: 'quantity' must be a whole number from 1 to 999"),
    (lambda: _order(items=_item(quantity=[1])), "items[0]: 'quantity' must be a whole number from 1 to 999"),
    (lambda: _order(items=_item(unit_price=10 ** 30)), "items[0]: 'unit_price' must be an amount"),
    (lambda: _order(items=_item(unit_price="1e30")), "items[0]: 'unit_price' must be an amount"),
    (lambda: _order(items=_item(unit_price="NaN")), "items[0]: 'unit_price' must be an amount"),
    (lambda: _order(items=_item(unit_price=[1])), "items[0]: 'unit_price' must be an amount"),
    (lambda: _order(total=-1), "'total' must be an amount"),
    (lambda: _order(total={"eur": 1}), "'total' must be an amount"),
    (lambda: _order(items=_item(returnable="yes")), "items[0]: 'returnable' must be true or false"),
    (lambda: _order(number=10 ** 50), "'number' is too long"),
    (lambda: _order(items=[]), "'items' must not be empty"),
    (lambda: _order(items="NL-1"), "'items' must be a list"),
    (lambda: _order(items=["NL-1"]), "items[0] must be an object"),
    (lambda: _order(shipments=_shipment(skus=[1.5])), "shipments[0].skus[0] must be text"),
    (lambda: _order(shipments=_shipment(promised_from="2026-02-30")), "shipments[0]: 'promised_from' must be a date"),
    (lambda: _order(shipments=_shipment(promised_from="0001-01-01")), "shipments[0]: 'promised_from' must be a date"),
    (lambda: _order(shipments=_shipment(pickup_deadline=20261122)), "shipments[0]: 'pickup_deadline' must be a date"),
]


def test_numbers_and_shapes_the_import_cannot_store(app):
    with app.app_context():
        apply_import({"customers": [customer()]})
        before = _counts()
        for build, message in NUMBERS:
            report = apply_import({"orders": [build()]})
            assert report.errors and report.errors[0][1].startswith(message), (message, report.errors)
        assert _counts() == before


STOCK = [2 ** 64, 10 ** 30, -1, 1.5, "3", True, None, [3]]


def test_stock_must_be_a_whole_number_in_range(app):
    with app.app_context():
        for value in STOCK:
            report = apply_import({"products": [_variant(stock=value)]})
            assert report.errors == [("products[0]", "variants[0]: 'stock' must be a whole number from 0 to 1000000")]
        assert _counts() == (0,) * 7


TIMES = ["0000-01-01T00:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "10000-01-01T00:00:00",
         "2100-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 1e20, 10 ** 20, 1732000000, "", None, ["2026-11-02"]]


@pytest.mark.parametrize("field,build", [
    ("'placed_at'", lambda v: _order(placed_at=v)),
    ("shipments[0]: 'shipped_at'", lambda v: _order(shipments=_shipment(shipped_at=v))),
    ("shipments[0].events[0]: 'time'", lambda v: _order(shipments=_event(time=v))),
], ids=["placed_at", "shipped_at", "event time"])
def test_times_out_of_range_in_the_import(app, field, build):
    with app.app_context():
        apply_import({"customers": [customer()]})
        before = _counts()
        for value in TIMES:
            if field.endswith("'shipped_at'") and value in ("", None):
                continue  # shipped_at is optional
            report = apply_import({"orders": [build(value)]})
            assert report.errors, value
            assert report.errors[0][1].startswith(f"{field} must be an ISO 8601 time"), (value, report.errors)
        assert _counts() == before


def test_the_cli_prints_each_skipped_record_with_its_place(app, tmp_path):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps({"customers": [customer(), customer("K-2", first="A\x00")],
                                "orders": [_order(items=_item(quantity=2 ** 64))]}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["shop", "import", str(path)])
    assert result.exit_code == 1
    assert "SKIPPED customers[1]: 'first_name' is too long or contains control characters" in result.output
    assert "SKIPPED orders[0]: items[0]: 'quantity' must be a whole number from 1 to 999" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("document,errors", [
    ([1, 2], [("document", "must be a JSON object with 'customers', 'orders' and/or 'products'")]),
    ("text", [("document", "must be a JSON object with 'customers', 'orders' and/or 'products'")]),
    ({"customers": "K-1"}, [("customers", "must be a list")]),
    ({"customers": None, "orders": {"a": 1}}, [("customers", "must be a list"), ("orders", "must be a list")]),
    ({"customers": [None]}, [("customers[0]", "must be an object")]),
    ({"customers": [customer(), customer()]}, []),
])
def test_document_shapes(app, document, errors):
    with app.app_context():
        assert apply_import(document).errors == errors


# --- TOML files --------------------------------------------------------------------------------------

ROUTING = ROUTING_FILE.read_text(encoding="utf-8")
ROUTING_CASES = [
    (ROUTING.replace('queue = "reklamationen"', 'queue = "gibtsnicht"', 1), r"rules\[0\]: unknown queue 'gibtsnicht'"),
    (ROUTING.replace('channels = ["chat"]', 'channels = ["fax"]'), r"rules\[1\]\.channels\[0\]: unknown channel 'fax'"),
    (ROUTING.replace('channels = ["chat"]', 'channels = "chat"'), r"rules\[1\]\.channels: must be a list"),
    (ROUTING.replace('topics = ["reklamation"]', 'topics = ["wetter"]'), r"rules\[0\]\.topics\[0\]: unknown topic"),
    (ROUTING.replace("verified = true", 'verified = "ja"', 1), r"rules\[2\]\.verified: must be true or false"),
    (ROUTING.replace("min_order_value = 300", "min_order_value = -5", 1), r"rules\[2\]\.min_order_value: must be at"),
    (ROUTING.replace("min_order_value = 300", "min_order_value = inf", 1), r"rules\[2\]\.min_order_value"),
    (ROUTING.replace("min_order_value = 300", 'min_order_value = "300"', 1), r"rules\[2\]\.min_order_value: must be"),
    (ROUTING.replace('queue = "reklamationen"', 'queu = "reklamationen"', 1), r"rules\[0\]\.queue: is missing"),
    (ROUTING.replace('queue = "reklamationen"', 'queue = "reklamationen"\nprio = "x"', 1),
     r"rules\[0\]\.prio: is not a known setting"),
    (ROUTING.replace("capacity = 3", "capacity = 0"), r"callbacks\.capacity: must be more than 0"),
    (ROUTING.replace("capacity = 3", "capacity = 99999999999999999"), r"callbacks\.capacity: must be at most"),
    (ROUTING.replace("capacity = 3", "capacity = 2.5"), r"callbacks\.capacity: must be a whole number"),
    (ROUTING.replace("sla_minutes = 5", "sla_minutes = true"), r"queues\.chat\.sla_minutes: must be a whole number"),
    (ROUTING.replace('name = "Chat"', "name = 5"), r"queues\.chat\.name: must be text"),
    (ROUTING.replace('name = "Chat"', 'name = ""'), r"queues\.chat\.name: must not be empty"),
    (ROUTING.replace('mo = "08:00-20:00"', 'mo = "20:00-08:00"'), r"service\.hours: mo: closing must come after"),
    (ROUTING.replace('mo = "08:00-20:00"', 'mo = "25:00-26:00"'), r"service\.hours: mo: hour must be"),
    (ROUTING.replace('mo = "08:00-20:00"', "mo = 8"), r"service\.hours\.mo: must be text"),
    (ROUTING.replace('mo = "08:00-20:00"', 'mo = "8-20"'), r"service\.hours: mo: write it like"),
    (ROUTING.replace('mo = "08:00-20:00"', 'montag = "08:00-20:00"'), r"service\.hours: unknown weekday 'montag'"),
    (ROUTING.replace('# webhook_url = "https://crm.example/hooks/cases"', 'webhook_url = "ftp://x"'),
     r"queues\.reklamationen\.webhook_url: webhook_url must be an http"),
    (ROUTING.replace('[[rules]]\nqueue = "email"', ""), "the last rule must have no conditions"),
    ("[queues", "not valid TOML"),
    ("queues = 5\n[[rules]]\nqueue = 'x'", r"queues: must be a table"),
    ("[[rules]]\nqueue = 'x'", r"queues: is missing"),
]


@pytest.mark.parametrize("text,message", ROUTING_CASES, ids=[str(i) for i in range(len(ROUTING_CASES))])
def test_a_malformed_routing_file_names_the_rule_and_key(text, message):
    with pytest.raises(RoutingConfigError, match=message) as raised:
        parse_routing(text)
    assert isinstance(raised.value, ConfigError)


POLICY = POLICY_FILE.read_text(encoding="utf-8")
POLICY_CASES = [
    (POLICY.replace("window_days = 30", "window_days = 10"), "window_days: must be a whole number of at least 14"),
    (POLICY.replace("window_days = 30", "window_days = 30.5"), "window_days: must be a whole number of at least 14"),
    (POLICY.replace("window_days = 30", 'window_days = "30"'), "window_days: must be a whole number of at least 14"),
    (POLICY.replace("window_days = 30", "window_days = 99999999999999999"), "window_days: must be a whole number"),
    (POLICY.replace("max_value = 10.00", "max_value = -1"), r"returnless\.max_value: must be at least 0"),
    (POLICY.replace("max_value = 10.00", "max_value = nan"), r"returnless\.max_value: must be a finite number"),
    (POLICY.replace("max_value = 10.00", 'max_value = "10"'), r"returnless\.max_value: must be a number"),
    (POLICY.replace("good_standing_max_return_rate = 0.3", "good_standing_max_return_rate = 3"),
     r"returnless\.good_standing_max_return_rate: must be at most 1"),
    (POLICY.replace("good_standing_min_orders = 3", "good_standing_min_orders = 0"),
     r"returnless\.good_standing_min_orders: must be at least 1"),
    (POLICY.replace('"Kosmetik" = "hygiene"', '"Kosmetik" = "dreckig"'),
     r"non_returnable: 'Kosmetik' must map to one of"),
    (POLICY.replace("paperless = true", 'paperless = "ja"', 1), r"carriers\.dhl\.paperless: must be true or false"),
    (POLICY.replace('name = "DHL"', 'name = ""'), r"carriers\.dhl\.name: must not be empty"),
    (POLICY.replace('name = "DHL"', "nam = 'DHL'"), r"carriers\.dhl\.name: is missing"),
    (POLICY.replace('reasons = ["defekt"]', 'reasons = ["kaputt"]'), r"complaints\.reasons: must be among"),
    (POLICY.replace('reasons = ["defekt"]', 'reasons = "defekt"'), r"complaints\.reasons: must be a list"),
    (POLICY.replace("[return_address]", "[ruecksende_adresse]"), "return_address: is missing"),
    (POLICY.replace('city = "Hamburg"', "city = 20095"), r"return_address\.city: must be text"),
    (POLICY.replace("[complaints]", "[complaint]"), r"complaint: is not a known setting"),
    ("window_days = 30\n[return_address]\nname='a'\nstreet='b'\npostcode='c'\ncity='d'\n", r"carriers: is missing"),
    ("window_days = [", "Invalid|Expected|not valid TOML"),
]


@pytest.mark.parametrize("text,message", POLICY_CASES, ids=[str(i) for i in range(len(POLICY_CASES))])
def test_a_malformed_policy_file_names_the_key(tmp_path, text, message):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message) as raised:
        load_policy(path)
    assert isinstance(raised.value, ConfigError) and str(path) in str(raised.value)


def test_a_policy_file_that_is_not_utf8_stops_with_a_config_error(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes(b"window_days = 30\n\xff\xfe")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(path)


def test_a_bad_policy_file_stops_the_app(make_app, fixture_index, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.replace("paperless = true", "paperless = 1", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"carriers\.dhl\.paperless"):
        make_app(index_dir=fixture_index, HELPCENTER_RETURNS_POLICY_FILE=str(path))
