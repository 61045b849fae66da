"""A DHL label in a real browser, at desktop width and on a 360 px phone: DHL (a local fake) is down when the
customer sends the return, the page says "Etikett wird erstellt" and asks again by itself; once the retry job fetched
the label, the page shows DHL's QR code and shipment number."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.returns.labels import retry_due
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import SHIPPED_CONTENT
from tests.dhl_fake import ORDERS, created, dhl_config, qr_png
from tests.fake_http import FakeHTTPService
from tests.test_return_labels import dhl_policy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dhl_fake():
    with FakeHTTPService() as fake:
        yield fake


@pytest.fixture(scope="module")
def dhl_shop(tmp_path_factory, shipped_index, dhl_fake):
    """The demo shop with DHL labels from the (fake) DHL returns API, served by a real HTTP server."""
    from sqlalchemy import select

    from app.demo.loader import load_demo
    from app.shop.models import Customer, Order

    tmp = tmp_path_factory.mktemp("dhl-live")
    app = create_app({
        "SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'helpcenter.db'}",
        "HELPCENTER_CONTENT_DIR": str(SHIPPED_CONTENT), "HELPCENTER_INDEX_DIR": str(shipped_index),
        "RATELIMIT_STORAGE_URI": "memory://", "HELPCENTER_RETURNS_POLICY_FILE": dhl_policy(tmp),
        "HELPCENTER_LABEL_SUBMIT_TIMEOUT": 1.0, **dhl_config(dhl_fake.url)})
    with app.app_context():
        upgrade()
        load_demo()
        app.anna_order = db.session.scalar(
            select(Order.number).join(Customer).where(Customer.email == "anna.schmidt@example.com",
                                                      Order.status == "delivered").order_by(Order.placed_at.desc()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app, server.url = app, f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("width", "height", "shipment", "item"),
                         [(1280, 900, "999991587211", "Steppjacke Hamburg"),
                          (360, 740, "999991587212", "Strickpullover Merino")], ids=["desktop", "phone"])
def test_dhls_qr_code_and_shipment_number_after_an_outage(browser, dhl_shop, dhl_fake, width, height, shipment,
                                                          item):
    dhl_fake.reset()
    dhl_fake.answer("POST", ORDERS, 503, json={"title": "Service Unavailable", "status": 503}, times=1)
    dhl_fake.answer("POST", ORDERS, 201, json=created(shipment))
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, dhl_shop.url, "anna.schmidt@example.com", "demo-kunde")
        page.goto(dhl_shop.url + f"/retouren/bestellung/{dhl_shop.app.anna_order}")
        row = page.locator("[data-return-item]").filter(has_text=item)
        row.get_by_role("checkbox").check()
        row.get_by_label("Grund").select_option(label="Zu groß")
        page.get_by_label("Geld zurück auf das ursprüngliche Zahlungsmittel").check()
        page.get_by_label("DHL").check()
        page.get_by_role("button", name="Rücksendung anmelden").click()

        expect(page.get_by_role("heading", name="Etikett wird erstellt")).to_be_visible()
        expect(page.get_by_text("Wir holen Ihr Versandetikett bei DHL ab")).to_be_visible()
        expect(page.locator("[data-carrier-qr], .qr-code svg")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
        assert_accessible(page)

        with dhl_shop.app.app_context():
            report = retry_due(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2))
        assert report.ready == 1

        # The page asks the return's JSON and shows itself again: DHL's QR code and shipment number.
        qr = page.get_by_role("img", name=f"QR-Code von DHL für Sendung {shipment}")
        expect(qr).to_be_visible(timeout=20_000)
        expect(page.locator("[data-tracking-number]").first).to_have_text(shipment)
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
        image = page.request.get(dhl_shop.url + qr.get_attribute("src"))
        assert image.body() == qr_png(shipment)
        expect(page.get_by_role("link", name="Rücksendeetikett herunterladen (PDF)")).to_be_visible()
        assert re.search(r"/retouren/R-\d{4}-\d{6}$", page.url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
        assert_accessible(page)
        assert len(dhl_fake.requests_to("POST", ORDERS)) == 2
    finally:
        context.close()
