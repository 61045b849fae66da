"""'Wo ist meine Bestellung?' in a real browser: signed in and as a guest."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.extensions import db
from app.shop.cli import apply_import
from app.shop.fields import shop_today
from tests.browser.conftest import assert_accessible
from tests.shop_factory import customer, document, event, order, shipment

pytestmark = pytest.mark.browser
TODAY = shop_today()


@pytest.fixture(scope="module")
def shop(live_server):
    with live_server.app.app_context():
        apply_import(document(
            [customer("K-77", "anna.test@example.com", "Anna", "Test", "20095")],
            [order("700001", cid="K-77", placed=TODAY - dt.timedelta(days=6), status="delivered",
                   shipments=[shipment("00340434167000000001", "delivered",
                                       [event(TODAY - dt.timedelta(days=3), "in_transit", "Im Paketzentrum bearbeitet"),
                                        event(TODAY - dt.timedelta(days=2), "delivered", "Zugestellt am Ablageort Garage")])]),
             order("700002", cid="K-77", placed=TODAY - dt.timedelta(days=1), status="shipped",
                   shipments=[shipment("00340434167000000002", "in_transit",
                                       [event(TODAY, "in_transit", "Im Start-Paketzentrum bearbeitet")],
                                       promised=(TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)))])],
        ))
        user = User(email="anna.test@example.com", name="Anna Test", role="customer")
        user.set_password("browser-passwort-1")
        user.customer_id = user_customer_id("K-77")
        db.session.add(user)
        db.session.commit()
    return live_server


def user_customer_id(ref):
    from app.shop.models import Customer
    return db.session.scalar(db.select(Customer.id).where(Customer.external_id == ref))


def test_signed_in_customer_reports_a_delivered_parcel_missing(page, shop):
    page.goto(shop.url + "/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("anna.test@example.com")
    page.get_by_label("Passwort").fill("browser-passwort-1")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Mein Konto")).to_be_visible()

    page.goto(shop.url + "/")
    expect(page.get_by_text("Ihre letzte Bestellung 700002")).to_be_visible()
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Bestellung verfolgen").click()
    expect(page.get_by_role("heading", name="Welche Bestellung meinen Sie?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Status ansehen 700001").click()
    expect(page.get_by_text("Zugestellt am Ablageort Garage")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Paket nicht erhalten?").click()
    expect(page.get_by_role("heading", name=re.compile("Schritt 1 von 5"))).to_be_visible()
    assert_accessible(page)
    for _ in range(5):
        page.get_by_role("button", name="Nicht gefunden – weiter").click()
    report = page.get_by_role("link", name="Paket als nicht erhalten melden")
    expect(report).to_have_attribute("href", "/kontakt?order=700001&topic=lieferung-nicht-erhalten")
    assert_accessible(page)


def test_guest_tracks_an_order_with_number_and_postcode(browser, shop):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(shop.url + "/sendungsverfolgung")
    page.get_by_label("Bestellnummer").fill("700002")
    page.get_by_label("Postleitzahl der Lieferadresse").fill("99999")
    page.get_by_role("button", name="Sendung anzeigen").click()
    expect(page.get_by_text("haben wir keine Bestellung gefunden")).to_be_visible()
    assert page.get_by_label("Bestellnummer").get_attribute("aria-invalid") == "true"
    assert_accessible(page)

    page.get_by_label("Postleitzahl der Lieferadresse").fill("20095")
    page.get_by_role("button", name="Sendung anzeigen").click()
    expect(page.get_by_role("heading", name="Bestellung 700002")).to_be_visible()
    expect(page.get_by_text("Voraussichtliche Lieferung")).to_be_visible()
    expect(page.get_by_text("Im Start-Paketzentrum bearbeitet")).to_be_visible()
    expect(page.get_by_role("link", name="00340434167000000002")).to_have_attribute("href", re.compile(r"^https://www\.dhl\.de/"))
    assert "Lindenstraße" not in page.content()
    assert_accessible(page)
    context.close()
