"""The return label PDF read back: texts, metadata, the Code 128 barcode decoded from the drawing, the QR codes."""
from __future__ import annotations

import datetime
import io
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import segno
from flask_babel import force_locale
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics.barcode import code128

from app.returns.label import (LabelAddress, LabelData, LabelItem, render_label_pdf, render_qr_png,
                               render_qr_svg)

QR_PAYLOAD = "https://hilfe.nordlicht.example/retoure/R-2026-000042"


def label_data(**changes) -> LabelData:
    values = dict(
        return_number="R-2026-000042", order_number="100234", carrier_code="dhl", carrier_name="DHL",
        sender=LabelAddress("Jörg Weißmüller", "Hauptstraße 12a", "20095", "Hamburg"),
        recipient=LabelAddress("Nordlicht Mode GmbH – Retouren", "Lagerstraße 5", "24103", "Kiel"),
        items=(
            LabelItem("Strickpullover „Föhr“", "NL-PUL-0815-M", 1, "Größe M, Navy", "Passt nicht (zu groß)"),
            LabelItem("Regenjacke Sylt", "NL-JAC-0042-L", 2, "", "Gefällt mir nicht"),
        ),
        created_on=datetime.date(2026, 12, 2), shop_name="Nordlicht Mode", qr_payload=QR_PAYLOAD,
        drop_off_hint="in jeder DHL-Filiale oder an einer Packstation in Ihrer Nähe",
    )
    values.update(changes)
    return LabelData(**values)


def render(app, data=None, lang=None) -> PdfReader:
    with app.test_request_context():
        if lang:
            with force_locale(lang):
                pdf = render_label_pdf(data or label_data())
        else:
            pdf = render_label_pdf(data or label_data())
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_label_shows_addresses_numbers_and_items(app):
    reader = render(app)
    text = page_text(reader)

    assert len(reader.pages) == 1
    assert reader.metadata.title == "R-2026-000042"
    assert text.count("R-2026-000042") >= 2  # under the barcode and on the packing slip
    for expected in ("100234", "Jörg Weißmüller", "Hamburg", "Nordlicht Mode GmbH – Retouren", "Kiel", "24103",
                     "Empfänger", "Absender", "Rücksendeschein", "Hier abtrennen und auf das Paket kleben", "DHL",
                     "02.12.2026", "Strickpullover „Föhr“", "NL-PUL-0815-M", "Größe M, Navy", "Passt nicht (zu groß)",
                     "Regenjacke Sylt", "NL-JAC-0042-L", "Artikel", "Art.-Nr.", "Menge", "Grund",
                     "Packstation in Ihrer Nähe"):
        assert expected in text, expected
    fragments = _positioned_text(reader.pages[0])
    for sku, quantity in (("NL-PUL-0815-M", "1"), ("NL-JAC-0042-L", "2")):
        row = next(y for text, _x, y in fragments if text == sku)
        assert [text for text, _x, y in fragments if y == row and text.isdigit()] == [quantity]


def test_label_in_english(app):
    text = page_text(render(app, lang="en"))

    assert "Return slip" in text
    assert "Recipient" in text and "Empfänger" not in text
    assert "Dec 2, 2026" in text


def test_so_gehts_names_each_carriers_drop_off_in_one_sentence(app):
    from app.returns.policy import DEFAULT_FILE, load_policy

    carriers = load_policy(DEFAULT_FILE).carriers.values()
    assert carriers
    for carrier in carriers:
        where = carrier.drop_off_texts["de"]
        text = " ".join(page_text(render(app, label_data(carrier_code=carrier.code, carrier_name=carrier.name,
                                                          drop_off_hint=where))).split())
        assert f"Geben Sie das Paket {where} ab." in text, (carrier.code, text)
        assert "Filiale oder einem Paketshop von" not in text


def test_barcode_in_the_drawing_decodes_to_the_return_number(app):
    reader = render(app)
    bars = _barcode_bars(reader.pages[0])

    symbols = _symbols_from_bars(bars)
    assert _decode_code128(symbols) == "R-2026-000042"
    reference = code128.Code128("R-2026-000042")
    reference.validate()
    assert symbols == reference.encode()


def test_qr_code_in_the_drawing_is_the_one_shown_on_screen(app):
    reader = render(app)
    drawn = _qr_matrix(reader.pages[0])

    assert drawn == [[bool(module) for module in row] for row in segno.make(QR_PAYLOAD, error="m").matrix]


def test_outside_winansi_letters_lose_their_accent_instead_of_showing_boxes(app):
    data = label_data(sender=LabelAddress("Łukasz Şahin", "Ulica 1", "00-001", "Warszawa", "PL"))
    text = page_text(render(app, data))

    assert "Lukasz Sahin" in text
    assert "Polen" in text  # the foreign sender's country is named
    assert "DEUTSCHLAND" in text  # and so is the recipient's


def test_long_texts_are_cut_not_overlapping(app):
    data = label_data(recipient=LabelAddress("Nordlicht Mode GmbH " * 8, "Lagerstraße 5", "24103", "Kiel"))
    text = page_text(render(app, data))

    assert "Nordlicht Mode GmbH Nordlicht" in text and "…" in text


def test_many_items_continue_on_a_second_page(app):
    items = tuple(LabelItem(f"Socken Nr. {n}", f"NL-SOC-{n:04d}", 1, "", "Zu klein") for n in range(30))
    reader = render(app, label_data(items=items))
    text = page_text(reader)

    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text()
    assert "Fortsetzung ab Seite 2" in first
    assert "Rücksendeschein – Fortsetzung" in reader.pages[1].extract_text()
    assert "Seite 2 von 2" in text
    for n in range(30):
        assert f"NL-SOC-{n:04d}" in text
    assert text.count("NL-SOC-0007") == 1


def test_label_refuses_what_cannot_be_printed(app):
    with app.test_request_context():
        with pytest.raises(ValueError):
            render_label_pdf(label_data(items=()))
        with pytest.raises(ValueError):
            render_label_pdf(label_data(return_number="R-2026-00004ä"))
        with pytest.raises(ValueError):
            render_label_pdf(label_data(return_number="R-" + "9" * 200))


def test_qr_svg_is_accessible_scalable_and_escapes_the_title():
    title = 'Rücksendecode <script>alert(1)</script> & "Co"'
    svg = render_qr_svg("R-2026-000042", title)

    root = ET.fromstring(svg)
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root.get("viewBox") == "0 0 29 29"  # 21 modules and a quiet zone of 4 on each side
    assert root.get("width") is None and root.get("height") is None
    assert [child.text for child in root if child.tag.endswith("title")] == [title]
    assert "<script" not in svg.lower()
    paths = [child for child in root if child.tag.endswith("path")]
    assert paths[0].get("fill") == "#fff" and paths[1].get("stroke") == "#000"


def test_qr_png():
    png = render_qr_png(QR_PAYLOAD)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.size[0] == image.size[1] and image.size[0] % 8 == 0


def test_qr_refuses_an_empty_payload():
    with pytest.raises(ValueError):
        render_qr_svg("", "QR")


# Reading the drawing back: the texts and the filled rectangles of a page with their positions.

def _positioned_text(page) -> list[tuple[str, float, float]]:
    found = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            found.append((text.strip(), round(tm[4] * cm[0] + tm[5] * cm[2] + cm[4], 1),
                          round(tm[4] * cm[1] + tm[5] * cm[3] + cm[5], 1)))

    page.extract_text(visitor_text=visit)
    return found


def _rectangles(page) -> list[tuple[float, float, float, float]]:
    content = ContentStream(page.get_contents(), page.pdf)
    return [tuple(round(float(v), 3) for v in operands) for operands, operator in content.operations
            if operator == b"re"]


def _barcode_bars(page) -> list[tuple[float, float]]:
    """The bars as (x, width): the largest group of tall rectangles standing on one line."""
    groups = Counter((y, h) for x, y, w, h in _rectangles(page) if h > 30)
    (y, h), count = groups.most_common(1)[0]
    assert count > 20, "no barcode on the page"
    return sorted((x, w) for x, ry, w, rh in _rectangles(page) if (ry, rh) == (y, h))


def _symbols_from_bars(bars) -> list[int]:
    module = min(width for _x, width in bars)
    elements = []
    for (x, width), following in zip(bars, bars[1:] + [None]):
        elements.append(round(width / module))
        if following:
            elements.append(round((following[0] - x - width) / module))
    patterns = {_widths(pattern): value for value, pattern in code128._patterns.items()}
    symbols = [patterns[tuple(elements[i:i + 6])] for i in range(0, len(elements) - 7, 6)]
    return symbols + [patterns[tuple(elements[-7:])]]


def _widths(pattern: str) -> tuple[int, ...]:
    return tuple(ord(c.lower()) - ord("a") + 1 for c in pattern)


def _decode_code128(symbols: list[int]) -> str:
    """Decode code sets B and C and check the checksum: an independent reading of the bars."""
    start, *data, check, stop = symbols
    assert stop == 106
    assert (start + sum(i * v for i, v in enumerate(data, start=1))) % 103 == check
    code_set = {104: "B", 105: "C"}[start]
    text = ""
    for value in data:
        if value == 99:
            code_set = "C"
        elif value == 100 and code_set == "C":
            code_set = "B"
        elif code_set == "B":
            assert value < 95
            text += chr(value + 32)
        else:
            assert value < 100
            text += f"{value:02d}"
    return text


def _qr_matrix(page) -> list[list[bool]]:
    """The QR modules from the drawing: the commonest rectangle height is one module."""
    rectangles = _rectangles(page)
    box = Counter(h for _x, _y, _w, h in rectangles).most_common(1)[0][0]
    runs = [(x, y, w) for x, y, w, h in rectangles if h == box]
    left, top = min(x for x, _y, _w in runs), max(y for _x, y, _w in runs)
    size = round((max(x + w for x, _y, w in runs) - left) / box)
    matrix = [[False] * size for _row in range(size)]
    for x, y, w in runs:
        row, column = round((top - y) / box), round((x - left) / box)
        for offset in range(round(w / box)):
            matrix[row][column + offset] = True
    return matrix
