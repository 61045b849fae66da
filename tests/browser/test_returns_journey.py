"""The returns center in a real browser: the demo customer sends a jacket back and downloads the label."""
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnRequest
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_demo_customer_returns_an_item_and_downloads_the_label(page, demo_shop):
    sign_in(page, demo_shop.url, "anna.schmidt@example.com", "demo-kunde")

    page.goto(demo_shop.url + "/")
    page.get_by_role("link", name=re.compile("Artikel zurücksenden")).first.click()
    expect(page).to_have_url(re.compile(r"/retouren$"))
    assert_accessible(page)
    number = demo_shop.anna_order
    page.get_by_role("link", name=f"Artikel wählen {number}").click()
    expect(page).to_have_url(re.compile(rf"/retouren/bestellung/{number}$"))
    assert_accessible(page)

    item = page.locator("[data-return-item]").filter(has_text="Steppjacke Hamburg")
    details = item.locator("[data-item-details]")
    expect(details).to_be_hidden()
    item.get_by_role("checkbox").check()
    expect(details).to_be_visible()
    item.get_by_label("Grund").select_option(label="Zu groß")
    expect(item.locator("[data-photos]")).to_be_hidden()
    expect(item.locator("[data-exchange]")).to_be_hidden()
    page.get_by_label("Geld zurück auf das ursprüngliche Zahlungsmittel").check()
    page.get_by_label("DHL").check()
    page.get_by_role("button", name="Rücksendung anmelden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Rücksendung ist angemeldet")
    return_number = page.locator("[data-return-number]").inner_text()
    assert re.fullmatch(r"R-\d{4}-\d{6}", return_number)
    expect(page.get_by_role("img", name=f"QR-Code der Rücksendung {return_number}")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Rücksendeschein herunterladen (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"Ruecksendeetikett-{return_number}.pdf"
    with open(download.path(), "rb") as file:
        pdf = PdfReader(io.BytesIO(file.read()))
    text = pdf.pages[0].extract_text()
    assert return_number in text and "Steppjacke Hamburg" in text and "DHL" in text

    with demo_shop.app.app_context():
        ret = db.session.scalar(select(ReturnRequest).where(ReturnRequest.number == return_number))
        assert ret.order.number == number and ret.carrier == "dhl"
        assert [(i.name, i.reason) for i in ret.items] == [("Steppjacke Hamburg", "zu-gross")]


def test_exchange_offers_the_sizes_in_stock(page, demo_shop):
    sign_in(page, demo_shop.url, "anna.schmidt@example.com", "demo-kunde")
    page.goto(demo_shop.url + f"/retouren/bestellung/{demo_shop.anna_order}")
    item = page.locator("[data-return-item]").filter(has_text="Strickpullover Merino")
    item.get_by_role("checkbox").check()
    item.get_by_label("Grund").select_option(label="Zu klein")
    page.get_by_label("Umtausch gegen andere Größe oder Farbe").check()
    exchange = item.locator("[data-exchange] select")
    expect(exchange).to_be_visible()
    exchange.select_option(label="Größe L, Salbei")
    page.get_by_label("Hermes").check()
    page.get_by_role("button", name="Rücksendung anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Rücksendung ist angemeldet")
    expect(page.get_by_role("cell", name="Strickpullover Merino, Größe L, Salbei")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("NL-PUL-0108")  # words, never a SKU
