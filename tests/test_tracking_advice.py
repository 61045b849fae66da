"""Expected delivery and the next step for every state, on a fixed calendar."""
import datetime as dt

import pytest

from app.extensions import db
from app.shop.cli import apply_import
from app.shop.orders import order_by_number
from app.tracking.calendar import add_working_days, is_working_day, working_days_between
from app.tracking.status import build_tracking
from tests.shop_factory import customer, document, event, order, shipment

MONDAY = dt.date(2026, 11, 16)


@pytest.mark.parametrize("start,count,state,expected", [
    (dt.date(2026, 11, 13), 1, "HH", dt.date(2026, 11, 16)),   # Friday + 1 → Monday
    (dt.date(2026, 12, 23), 1, "HH", dt.date(2026, 12, 24)),   # Christmas Eve is a working day
    (dt.date(2026, 12, 24), 1, "HH", dt.date(2026, 12, 28)),   # 25th, 26th and Sunday skipped
    (dt.date(2026, 10, 30), 1, "HH", dt.date(2026, 11, 2)),    # Reformationstag (Sat 31.10.) – weekend anyway
    (dt.date(2026, 5, 13), 1, "HH", dt.date(2026, 5, 15)),     # Christi Himmelfahrt 14.05.
    (dt.date(2026, 6, 3), 1, "BY", dt.date(2026, 6, 5)),       # Fronleichnam in Bavaria …
    (dt.date(2026, 6, 3), 1, "HH", dt.date(2026, 6, 4)),       # … but not in Hamburg
    (dt.date(2026, 4, 2), 1, "HH", dt.date(2026, 4, 7)),       # Karfreitag and Ostermontag
    (dt.date(2026, 11, 14), 0, "HH", dt.date(2026, 11, 16)),   # Saturday, 0 days → next working day
])
def test_working_days_across_weekends_and_holidays(start, count, state, expected):
    assert add_working_days(start, count, state) == expected


def test_counting_working_days():
    assert working_days_between(dt.date(2026, 12, 23), dt.date(2026, 12, 29), "HH") == 3  # 24., 28., 29.
    assert working_days_between(MONDAY, MONDAY, "HH") == 0
    assert not is_working_day(dt.date(2026, 10, 3), "HH") and is_working_day(dt.date(2026, 11, 18), "HH")
    assert not is_working_day(dt.date(2026, 11, 18), "SN")  # Buß- und Bettag in Saxony


def _tracking(app, shipments, status="shipped", today=MONDAY, placed=None):
    with app.test_request_context():
        apply_import(document([customer()], [order("200001", status=status, shipments=shipments,
                                                    placed=placed or today - dt.timedelta(days=4))]))
        view = build_tracking(order_by_number("200001"), today, "HH")
        result = (view.advice.state, view.advice.text, view.advice.next_step, view.expected)
        db.session.rollback()
        return result


def d(offset: int) -> dt.date:
    return MONDAY + dt.timedelta(days=offset)


def test_processing_expects_delivery_after_handling(app):
    state, text, step, expected = _tracking(app, [], status="processing", placed=dt.date(2026, 11, 13))
    assert state == "processing" and step is None
    assert expected == (dt.date(2026, 11, 17), dt.date(2026, 11, 19))
    assert "Wir packen Ihre Bestellung" in text


def test_on_time_says_when_it_comes(app):
    state, text, step, expected = _tracking(app, [shipment("T1", "in_transit", [event(d(-1), "in_transit")],
                                                           promised=(d(1), d(2)))])
    assert state == "on_time" and expected == (d(1), d(2))
    assert "kommt voraussichtlich zwischen Dienstag, 17. November und Mittwoch, 18. November" in text
    assert step.url.startswith("https://www.dhl.de/")


def test_window_from_carrier_transit_days_when_nothing_was_promised(app):
    _, _, _, expected = _tracking(app, [shipment("T1", "in_transit", [event(d(-3), "in_transit")], carrier="Hermes",
                                                 shipped=dt.date(2026, 11, 13))])
    assert expected == (dt.date(2026, 11, 17), dt.date(2026, 11, 18))  # Fri + 2..3 working days


def test_out_for_delivery_comes_today(app):
    state, text, _, _ = _tracking(app, [shipment("T1", "out_for_delivery", [event(MONDAY, "out_for_delivery")],
                                                 promised=(MONDAY, MONDAY))])
    assert state == "on_time" and "heute in der Zustellung" in text


def test_delayed_says_until_when_to_wait(app):
    state, text, step, _ = _tracking(app, [shipment("T1", "in_transit", [event(d(-3), "in_transit"), event(d(-1), "in_transit")],
                                                    promised=(d(-4), d(-3)))])
    assert state == "delayed"
    assert "Bitte warten Sie bis Dienstag, 17. November" in text
    assert "dhl.de" in step.url


def test_overdue_leads_into_the_contact_form(app):
    state, _, step, _ = _tracking(app, [shipment("T1", "in_transit", [event(d(-10), "in_transit")], promised=(d(-9), d(-8)))])
    assert state == "overdue"
    assert step.url == "/kontakt?order=200001&topic=lieferung-verspaetet"


def test_stuck_without_scan_for_three_working_days(app):
    state, text, _, _ = _tracking(app, [shipment("T1", "in_transit", [event(d(-5), "in_transit")], promised=(d(1), d(2)))])
    assert state == "stuck" and "nicht mehr gescannt" in text


def test_delivered_offers_the_not_received_checklist(app):
    state, text, step, expected = _tracking(app, [shipment("T1", "delivered", [event(d(-2), "in_transit"),
                                                                             event(d(-1), "delivered", "Zugestellt")])],
                                            status="delivered")
    assert state == "delivered" and expected is None
    assert "am Sonntag, 15. November zugestellt" in text
    assert step.url == "/sendungsverfolgung/200001/nicht-erhalten"


@pytest.mark.parametrize("shipment_status,advice,topic", [
    ("lost", "lost", "lieferung-verloren"),
    ("damaged", "damaged", "lieferung-beschaedigt"),
])
def test_lost_and_damaged_go_to_contact_with_topic(app, shipment_status, advice, topic):
    state, _, step, _ = _tracking(app, [shipment("T1", shipment_status, [event(d(-1), shipment_status)])], status=shipment_status)
    assert state == advice and step.url == f"/kontakt?order=200001&topic={topic}"


def test_failed_attempt_and_pickup(app):
    state, text, step, _ = _tracking(app, [shipment("T1", "delivery_failed", [event(d(-1), "delivery_failed")])])
    assert state == "delivery_failed" and "Benachrichtigungskarte" in text and "dhl.de" in step.url
    state, text, _, _ = _tracking(app, [shipment("T1", "ready_for_pickup", [event(d(-1), "ready_for_pickup")],
                                                 pickup_location="Packstation 123, 20457 Hamburg",
                                                 pickup_deadline=d(6).isoformat())])
    assert state == "ready_for_pickup"
    assert "Packstation 123, 20457 Hamburg" in text and "bis Sonntag, 22. November" in text


def test_partial_delivery_and_cancelled(app):
    state, text, _, expected = _tracking(app, [
        shipment("T1", "delivered", [event(d(-1), "delivered")]),
        shipment("T2", "in_transit", [event(d(-1), "in_transit")], promised=(d(1), d(1))),
    ], status="partially_delivered")
    assert state == "partially_delivered" and expected == (d(1), d(1))
    state, _, step, _ = _tracking(app, [], status="cancelled")
    assert state == "cancelled" and step.url == "/kontakt?order=200001&topic=bestellung"
