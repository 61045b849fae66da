"""'Vertrag widerrufen' in a real browser: a guest from the footer link to the receipt."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.shop.cli import apply_import
from app.shop.fields import shop_today
from tests.browser.conftest import assert_accessible
from tests.shop_factory import customer, document, order

pytestmark = pytest.mark.browser
TODAY = shop_today()


@pytest.fixture(scope="module")
def shop(live_server):
    with live_server.app.app_context():
        apply_import(document(
            [customer("K-88", "lena.test@example.com", "Lena", "Test", "20095")],
            [order("800001", cid="K-88", placed=TODAY - dt.timedelta(days=3), status="delivered")]))
    return live_server


def test_guest_withdraws_from_the_footer_link_to_the_receipt(browser, shop):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(shop.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Vertrag widerrufen").click()
    expect(page.get_by_role("heading", name="Vertrag widerrufen")).to_be_visible()
    expect(page.get_by_text("Sie müssen keinen Grund angeben")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Bestellnummer").fill("800001")
    page.get_by_label("Ihr Name").fill("Lena Test")
    page.get_by_label("Ihre E-Mail-Adresse").fill("lena.test@example.com")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    expect(page.get_by_role("heading", name="Bitte prüfen Sie Ihren Widerruf")).to_be_visible()
    declaration = page.locator("[data-declaration]")
    expect(declaration).to_contain_text("Hiermit widerrufe ich den von mir abgeschlossenen Vertrag")
    expect(declaration).to_contain_text("Bestellnummer: 800001")
    assert_accessible(page)

    page.get_by_role("button", name="Widerruf bestätigen").click()
    expect(page.get_by_role("heading", name="Ihr Widerruf ist bei uns eingegangen")).to_be_visible()
    expect(page.locator("[data-withdrawal-number]")).to_have_text(re.compile(r"^W-\d{4}-\d{6}$"))
    expect(page.get_by_role("link", name="Rücksendeetikett erstellen")).to_have_attribute("href",
                                                                                        "/retouren?order=800001")
    assert_accessible(page)
    context.close()


@pytest.fixture(scope="module")
def registered_return(demo_shop):
    """Anna has already registered the return of her jacket (label and QR code waiting) before she withdraws."""
    from sqlalchemy import select

    from app.extensions import db
    from app.returns.models import ReturnItem, ReturnRequest
    from app.shop.models import Order

    with demo_shop.app.app_context():
        shop_order = db.session.scalar(select(Order).where(Order.number == demo_shop.anna_order))
        jacket = next(item for item in shop_order.items if item.name == "Steppjacke Hamburg")
        ret = ReturnRequest(number="R-2026-900001", order_id=shop_order.id, customer_id=shop_order.customer_id,
                            status="registered", resolution="refund", carrier="dhl")
        ret.items.append(ReturnItem(order_item_id=jacket.id, sku=jacket.sku, name=jacket.name,
                                    category=jacket.category, quantity=1, unit_price_cents=jacket.unit_price_cents,
                                    reason="gefaellt-nicht"))
        db.session.add(ret)
        db.session.commit()
    yield demo_shop
    # The demo data outlives this module: the jacket must be returnable again for the returns journey.
    with demo_shop.app.app_context():
        db.session.delete(db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == "R-2026-900001")))
        db.session.commit()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)], ids=["desktop", "phone"])
def test_withdrawal_leads_to_the_label_of_the_return_already_registered(page, registered_return, width, height):
    from tests.browser.conftest import sign_in

    shop, number = registered_return, registered_return.anna_order
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, shop.url, "anna.schmidt@example.com", "demo-kunde")
    page.goto(shop.url + "/widerruf")
    jacket = page.get_by_label(re.compile("^Steppjacke Hamburg"))
    expect(jacket).to_be_hidden()  # nothing is listed before the order is chosen
    page.get_by_label("Bestellnummer").select_option(number)
    expect(jacket).to_be_visible()
    expect(page.locator("input[name=skus]:checked")).to_have_count(0)
    expect(page.get_by_role("button", name="Artikel dieser Bestellung anzeigen")).to_be_hidden()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    jacket.check()
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    expect(page.locator("[data-declaration]")).to_contain_text("Steppjacke Hamburg")
    page.get_by_role("button", name="Widerruf bestätigen").click()

    expect(page.get_by_role("heading", name="Ihr Widerruf ist bei uns eingegangen")).to_be_visible()
    expect(page.get_by_text("Für diese Artikel haben Sie schon eine Rücksendung angemeldet.")).to_be_visible()
    expect(page.get_by_role("link", name="Rücksendeetikett erstellen")).to_have_count(0)
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="Rücksendung R-2026-900001: Etikett und QR-Code").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Rücksendung ist angemeldet")
    expect(page.get_by_role("img", name="QR-Code der Rücksendung R-2026-900001")).to_be_visible()
    expect(page.get_by_role("link", name="Rücksendeschein herunterladen (PDF)")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
