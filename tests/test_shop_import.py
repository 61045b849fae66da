"""`flask shop import`: idempotent upserts, bad records reported by position and skipped."""
import datetime as dt
import json

from sqlalchemy import func, select

from app.extensions import db
from app.shop.cli import apply_import
from app.shop.models import Customer, Order, OrderItem, Shipment, ShipmentEvent
from tests.shop_factory import customer, document, event, order, shipment

DAY = dt.date(2026, 11, 16)


def sample():
    return document(
        [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
        [order("100001", shipments=[shipment("00340434161111111111", "in_transit",
                                             [event(DAY, "label_created", "Angekündigt"),
                                              event(DAY, "in_transit", "Im Paketzentrum", hour=18)],
                                             promised=(DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=3)))]),
         order("100002", "K-2", status="processing", postcode="10115")],
    )


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Customer, Order, OrderItem, Shipment, ShipmentEvent))


def test_import_creates_everything_and_a_second_import_changes_nothing(app, tmp_path):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(sample()), encoding="utf-8")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["shop", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "4 created, 0 updated, 0 unchanged, 0 skipped" in first.output
    with app.app_context():
        assert counts() == (2, 2, 2, 1, 2)
        stored = db.session.scalar(select(Order).where(Order.number == "100001"))
        assert stored.total_cents == 8490 and stored.customer.email == "kim.berg@example.com"
        assert stored.placed_at == dt.datetime(2026, 11, 2, 8, 0)  # 09:00 Berlin = 08:00 UTC
        updated_at = stored.updated_at
    second = runner.invoke(args=["shop", "import", str(path)])
    assert "0 created, 0 updated, 4 unchanged, 0 skipped" in second.output
    with app.app_context():
        assert counts() == (2, 2, 2, 1, 2)
        assert db.session.scalar(select(Order).where(Order.number == "100001")).updated_at == updated_at


def test_changed_records_are_updated(app):
    with app.app_context():
        apply_import(sample())
        changed = sample()
        changed["orders"][0]["status"] = "delivered"
        changed["orders"][0]["items"][0]["quantity"] = 2
        changed["orders"][0]["shipments"][0]["events"].append(event(DAY + dt.timedelta(days=2), "delivered", "Zugestellt"))
        changed["orders"][0]["shipments"][0]["status"] = "delivered"
        report = apply_import(changed)
        assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
        stored = db.session.scalar(select(Order).where(Order.number == "100001"))
        assert stored.status == "delivered" and stored.items[0].quantity == 2
        assert [e.status for e in stored.shipments[0].events] == ["label_created", "in_transit", "delivered"]


def test_bad_records_are_reported_by_position_and_the_good_ones_land(app, tmp_path):
    doc = sample()
    doc["customers"].append({"id": "K-3", "email": "kein-at-zeichen", "first_name": "A", "last_name": "B"})
    doc["orders"].insert(0, order("100003", cid="K-404"))
    bad_money = order("100004")
    bad_money["total"] = "12.345"
    doc["orders"].append(bad_money)
    bad_status = order("100005", status="unterwegs")
    doc["orders"].append(bad_status)
    bad_event = order("100006", shipments=[shipment("X1", "in_transit", [{"time": "gestern", "status": "in_transit", "text": "x"}])])
    doc["orders"].append(bad_event)
    stolen = order("100007", shipments=[shipment("00340434161111111111", "in_transit", [])])
    doc["orders"].append(stolen)
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["shop", "import", str(path)])
    assert result.exit_code == 1
    assert "SKIPPED customers[2]: 'email' is not an e-mail address" in result.output
    assert "SKIPPED orders[0]: unknown customer_id 'K-404'" in result.output
    assert "SKIPPED orders[3]: 'total' must be an amount" in result.output
    assert "SKIPPED orders[4]: 'status' must be one of" in result.output
    assert "SKIPPED orders[5]: shipments[0].events[0]: 'time' must be an ISO 8601 time" in result.output
    assert "SKIPPED orders[6]: tracking number 00340434161111111111 belongs to another order" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Order.number))) == ["100001", "100002"]
        assert db.session.scalar(select(func.count()).select_from(Shipment)) == 1


def test_import_of_something_that_is_not_json(app, tmp_path):
    path = tmp_path / "kaputt.json"
    path.write_text("{nicht json", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["shop", "import", str(path)])
    assert result.exit_code == 1 and "is not valid JSON" in result.output
    path.write_text("[1, 2]", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["shop", "import", str(path)])
    assert "SKIPPED document: must be a JSON object" in result.output
