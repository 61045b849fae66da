"""Tracking advice follows what the latest scan means, never asks to wait until today or a past day, never shows a
window that starts in the past; 'Paket nicht erhalten' keeps the help article's time limits."""
import datetime as dt

import pytest

from app.demo import catalog
from app.tracking import scans
from app.tracking.not_received import report_timing
from tests.conftest import login
from tests.shop_factory import customer, document, event, order, shipment
from tests.test_tracking_advice import MONDAY, _tracking, d

ADDRESS = "Die Zustellung war nicht möglich, da die Anschrift unvollständig ist. Die Anschrift wird geprüft."


@pytest.mark.parametrize("text,meaning", [
    (ADDRESS, scans.ADDRESS_INCOMPLETE),
    ("Die Annahme der Sendung wurde verweigert.", scans.REFUSED),
    ("Die Sendung wird an den Absender zurückgeschickt.", scans.RETURNED_TO_SENDER),
    (catalog.TEXT_FAILED_TO_PICKUP.format(target="in einen Hermes PaketShop"), scans.AT_PICKUP_POINT),
    ("Die Sendung wurde im Depot eingelagert.", scans.HELD_AT_DEPOT),
    (catalog.TEXTS_FAILED[0], scans.NOT_MET),
    ("Scan", None),
])
def test_scan_texts_have_meanings(text, meaning):
    assert scans.meaning(text) == meaning


def test_every_failed_scan_of_the_demo_data_has_a_meaning():
    assert {scans.meaning(text) for text in catalog.TEXTS_FAILED} == {scans.NOT_MET, scans.ADDRESS_INCOMPLETE}


@pytest.mark.parametrize("text,state,says,step", [
    (ADDRESS, "address_incomplete", "weil die Anschrift unvollständig ist", "/kontakt?order=200001&topic=lieferung"),
    ("Die Annahme der Sendung wurde verweigert.", "refused", "Die Annahme des Pakets wurde verweigert.",
     "/kontakt?order=200001&topic=lieferung"),
    ("Die Sendung wird an den Absender zurückgeschickt.", "returned", "auf dem Weg zurück zu uns",
     "/kontakt?order=200001&topic=lieferung"),
    (catalog.TEXT_FAILED_TO_PICKUP.format(target="in eine Filiale"), "to_pickup_point", "bringt das Paket in eine "
     "Abholstelle", "https://www.dhl.de/"),
    ("Die Sendung wurde im Depot eingelagert.", "held_at_depot", "im Depot", "https://www.dhl.de/"),
    (catalog.TEXTS_FAILED[0], "delivery_failed", "nicht angetroffen", "https://www.dhl.de/"),
])
def test_a_failed_attempt_is_advised_by_what_the_scan_says(app, text, state, says, step):
    found, advice, next_step, _ = _tracking(app, [shipment("T1", "delivery_failed", [
        event(d(-2), "in_transit"), event(d(-1), "delivery_failed", text)])])
    assert found == state and says in advice and next_step.url.startswith(step)
    if state != "delivery_failed":
        assert "nicht angetroffen" not in advice or state == "to_pickup_point"



def test_on_the_last_day_of_waiting_the_customer_reports_it(app):
    # Window ended Friday 13th; two working days' grace end Tuesday 17th. On Monday: wait until Tuesday.
    state, text, _, _ = _tracking(app, [shipment("T1", "in_transit", [event(d(-3), "in_transit")],
                                                 promised=(d(-4), d(-3)))], today=MONDAY)
    assert state == "delayed" and "Bitte warten Sie bis Dienstag, 17. November" in text
    # On Tuesday "bis Dienstag" would be "until today": it is overdue and can be reported.
    state, text, step, _ = _tracking(app, [shipment("T1", "in_transit", [event(d(-3), "in_transit")],
                                                    promised=(d(-4), d(-3)))], today=d(1))
    assert state == "overdue" and "warten" not in text
    assert step.url == "/kontakt?order=200001&topic=lieferung-verspaetet"


def test_a_window_never_starts_in_the_past(app):
    state, text, _, expected = _tracking(app, [shipment("T1", "in_transit", [event(d(-1), "in_transit")],
                                                        promised=(d(-2), d(1)))])
    assert state == "on_time" and expected == (MONDAY, d(1))
    assert "zwischen Montag, 16. November und Dienstag, 17. November" in text and "Samstag" not in text


def test_packing_longer_than_its_window_shows_no_window_but_a_way_to_ask(app):
    state, text, step, expected = _tracking(app, [], status="processing", placed=d(-14))
    assert state == "processing" and expected is None and "voraussichtlich" not in text
    assert step.url == "/kontakt?order=200001&topic=bestellung"


def test_a_shipment_row_never_shows_a_window_that_started_before_today(app, client, make_user, monkeypatch):
    monkeypatch.setattr("app.tracking.views.shop_today", lambda: MONDAY)
    with app.app_context():
        from app.shop.cli import apply_import
        apply_import(document([customer()], [order("200002", status="shipped", placed=d(-5), shipments=[
            shipment("T2", "in_transit", [event(d(-1), "in_transit")], promised=(d(-2), d(1)))])]))
    make_user(customer_ref="K-1")
    login(client)
    page = client.get("/sendungsverfolgung/200002").get_data(as_text=True)
    assert "Sa., 14. Nov." not in page and "Samstag, 14. November" not in page
    assert "Mo., 16. Nov. – Di., 17. Nov." in page


@pytest.mark.parametrize("today,state", [
    (dt.date(2026, 11, 13), "wait"),   # delivered Friday 13th: it may still come on Monday
    (dt.date(2026, 11, 14), "wait"),
    (dt.date(2026, 11, 16), "open"),   # the next working day itself: report it (never "wait until today")
    (dt.date(2026, 11, 20), "open"),
    (dt.date(2026, 11, 21), "late"),   # more than 7 days after the delivery date, as the help article says
])
def test_not_received_follows_the_articles_limits(today, state):
    timing = report_timing(dt.date(2026, 11, 13), today, "HH")
    assert timing.state == state
    assert timing.wait_until == dt.date(2026, 11, 16) and timing.last_day == dt.date(2026, 11, 20)


def _delivered_order(app, make_user, delivered):
    with app.app_context():
        from app.shop.cli import apply_import
        parcel = shipment("T3", "delivered", [event(delivered, "delivered", "Zugestellt")])
        apply_import(document([customer()], [order("200003", status="delivered",
                                                    placed=delivered - dt.timedelta(days=3), shipments=[parcel])]))
    make_user(customer_ref="K-1")


@pytest.mark.parametrize("today,title,link", [
    (dt.date(2026, 11, 14), "Bitte warten Sie noch bis Montag, 16. November", None),
    (dt.date(2026, 11, 17), "Wir kümmern uns darum", "topic=lieferung-nicht-erhalten"),
    (dt.date(2026, 11, 25), "Die Frist für eine Nachforschung ist vorbei", "topic=lieferung\""),
])
def test_the_report_page_keeps_the_articles_limits(app, client, make_user, monkeypatch, today, title, link):
    monkeypatch.setattr("app.tracking.views.shop_today", lambda: today)
    _delivered_order(app, make_user, dt.date(2026, 11, 13))
    login(client)
    page = client.get("/sendungsverfolgung/200003/nicht-erhalten?schritt=ende").get_data(as_text=True)
    assert title in page
    if link:
        assert link in page
    else:
        assert "topic=lieferung-nicht-erhalten" not in page
    if today.day == 25:
        assert "bis Freitag, 20. November" in page and "Freitag, 13. November" in page
