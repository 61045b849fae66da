"""The return label a customer prints (label on top, packing slip below) and the QR code for printer-free drop-off."""
from __future__ import annotations

import datetime
import io
import itertools
import math
import unicodedata
from dataclasses import dataclass

import segno
from flask_babel import format_date, get_locale, ngettext, pgettext
from flask_babel import gettext as _
from markupsafe import escape
from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class LabelAddress:
    name: str
    street: str
    postcode: str
    city: str
    country: str = "DE"


@dataclass(frozen=True)
class LabelItem:
    name: str
    sku: str
    quantity: int
    variant: str  # "Größe M, Navy" or ""
    reason: str  # already translated


@dataclass(frozen=True)
class LabelData:
    return_number: str
    order_number: str
    carrier_code: str
    carrier_name: str
    sender: LabelAddress
    recipient: LabelAddress
    items: tuple[LabelItem, ...]
    created_on: datetime.date
    shop_name: str
    qr_payload: str
    # Where the parcel is dropped off, as policy.toml words it: "in jeder DHL-Filiale, an jeder Packstation …".
    drop_off_hint: str


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_TOP = PAGE_HEIGHT - MARGIN
LABEL_BOTTOM = PAGE_HEIGHT / 2 + 10 * mm
SLIP_TOP = PAGE_HEIGHT / 2 - 10 * mm
PAD = 12
QR_SIZE = 112
BARCODE_HEIGHT = 52
BARCODE_MAX_WIDTH = 330
# Below ~0.25 mm per module handheld scanners at parcel shops start to fail.
BARCODE_MIN_MODULE = 0.72
BARCODE_MAX_MODULE = 1.6
ROW_HEIGHT = 22
HEADER_HEIGHT = 16
CONTINUATION_TABLE_TOP = PAGE_HEIGHT - MARGIN - 52
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#BBBBBB")
SHADE = colors.HexColor("#EEEEEE")
# Letters without a decomposition into a base letter and an accent.
_FALLBACK = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "ŀ": "l", "Ŀ": "L"}


def render_label_pdf(data: LabelData) -> bytes:
    """Render the label and packing slip on one A4 page; items that do not fit continue on further pages."""
    if not data.items:
        raise ValueError("a return label needs at least one item")
    barcode = _barcode(data.return_number)
    buffer = io.BytesIO()
    # invariant: no creation time inside, so the same return always gives the same bytes.
    pdf = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    pdf.setTitle(data.return_number)
    pdf.setAuthor(data.shop_name)
    pdf.setSubject(_("Rücksendeetikett"))

    _draw_label(pdf, data, barcode)
    _draw_cut_line(pdf)
    table_top = _draw_slip_head(pdf, data)
    first_capacity = int((table_top - HEADER_HEIGHT - MARGIN) // ROW_HEIGHT)
    more_capacity = int((CONTINUATION_TABLE_TOP - HEADER_HEIGHT - MARGIN) // ROW_HEIGHT)
    items = list(data.items)
    if len(items) <= first_capacity:
        first, rest = items, []
    else:
        first, rest = items[:first_capacity - 1], items[first_capacity - 1:]
    pages = 1 + math.ceil(len(rest) / more_capacity)
    _draw_items(pdf, first, table_top, overflow=len(rest))
    for page in range(2, pages + 1):
        pdf.showPage()
        start = (page - 2) * more_capacity
        _draw_continuation(pdf, data, rest[start:start + more_capacity], page, pages)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_qr_svg(payload: str, title: str) -> str:
    """Inline SVG of the QR code, scalable through its viewBox, labelled for screen readers."""
    svg = _qr(payload).svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, title=title,
                                  svgclass="qr-code", lineclass=None)
    if not svg.startswith("<svg "):
        raise RuntimeError("unexpected SVG from segno")
    return f'<svg role="img" aria-label="{escape(title)}" ' + svg[len("<svg "):]


def render_qr_png(payload: str) -> bytes:
    """PNG of the QR code for e-mails and downloads."""
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="png", scale=8, border=4, dark="#000", light="#fff")
    return buffer.getvalue()


def _qr(payload: str) -> segno.QRCode:
    if not payload:
        raise ValueError("empty QR payload")
    # Micro QR codes are not read by many phone cameras and parcel shop scanners. Without an ECI marker, scanners
    # guess the charset of non-ASCII text (zbar reads "Jörg" as Shift JIS); ASCII stays unmarked, as every reader
    # understands it.
    ascii_only = payload.isascii()
    return segno.make(payload, error="m", micro=False, encoding=None if ascii_only else "utf-8", eci=not ascii_only)


def _barcode(return_number: str) -> code128.Code128:
    if not return_number or not return_number.isascii() or not return_number.isprintable():
        raise ValueError(f"return number {return_number!r} cannot be put into a Code 128 barcode")
    probe = code128.Code128(return_number, barWidth=1, quiet=False)
    probe._calculate()
    module = min(BARCODE_MAX_MODULE, BARCODE_MAX_WIDTH / probe.width)
    if module < BARCODE_MIN_MODULE:
        raise ValueError(f"return number {return_number!r} is too long for a scannable barcode")
    barcode = code128.Code128(return_number, barWidth=module, barHeight=BARCODE_HEIGHT, quiet=False)
    barcode._calculate()
    return barcode


def _draw_label(pdf: Canvas, data: LabelData, barcode: code128.Code128) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    pdf.setLineWidth(1.5)
    pdf.rect(left, LABEL_BOTTOM, CONTENT_WIDTH, LABEL_TOP - LABEL_BOTTOM)

    # Header: carrier in a black band, "return" and date on the right.
    band_height, band_width = 46, 170
    pdf.rect(left, LABEL_TOP - band_height, band_width, band_height, stroke=0, fill=1)
    _text(pdf, left + PAD, LABEL_TOP - 33, data.carrier_name, "Helvetica-Bold", 28, band_width - 2 * PAD, min_size=14,
          color=colors.white)
    head_width = CONTENT_WIDTH - band_width - 2 * PAD
    _text(pdf, right - PAD, LABEL_TOP - 22, _("Retoure"), "Helvetica-Bold", 16, head_width, align="right")
    _text(pdf, right - PAD, LABEL_TOP - 37, f"{data.shop_name} · {format_date(data.created_on, 'medium')}",
          "Helvetica", 9, head_width, align="right")
    pdf.setLineWidth(1.5)
    pdf.line(left, LABEL_TOP - band_height, right, LABEL_TOP - band_height)

    # Addresses on the left, the QR code on the right.
    address_width = CONTENT_WIDTH - 3 * PAD - QR_SIZE
    y = LABEL_TOP - band_height - 14
    _caption(pdf, left + PAD, y, _("Absender"))
    sender = data.sender
    sender_lines = [sender.name, sender.street, f"{sender.postcode} {sender.city}"]
    if sender.country != data.recipient.country:
        sender_lines.append(_country_name(sender.country))
    for line in sender_lines:
        y -= 11
        _text(pdf, left + PAD, y, line, "Helvetica", 9, address_width)
    y = LABEL_TOP - band_height - 14 - 11 * 5 - 8
    pdf.setLineWidth(0.75)
    pdf.line(left, y, left + PAD + address_width, y)

    y -= 16
    _caption(pdf, left + PAD, y, _("Empfänger"))
    recipient = data.recipient
    rows = [(recipient.name, "Helvetica-Bold", 15), (recipient.street, "Helvetica", 14),
            (f"{recipient.postcode} {recipient.city}", "Helvetica-Bold", 18)]
    if recipient.country != data.sender.country:
        rows.append((_country_name(recipient.country).upper(), "Helvetica-Bold", 13))
    for line, font, size in rows:
        y -= size + 5
        _text(pdf, left + PAD, y, line, font, size, address_width, min_size=size - 4)

    qr_top = LABEL_TOP - band_height - 8
    _draw_qr(pdf, data.qr_payload, right - PAD - QR_SIZE, qr_top - QR_SIZE, QR_SIZE)

    # The barcode with its number readable underneath; white around it is the quiet zone.
    rule_y = LABEL_BOTTOM + BARCODE_HEIGHT + 54
    pdf.setLineWidth(1.5)
    pdf.line(left, rule_y, right, rule_y)
    _caption(pdf, left + PAD, rule_y - 14, _("Retourennummer"))
    bar_x = left + (CONTENT_WIDTH - barcode.width) / 2
    bar_y = LABEL_BOTTOM + 32
    barcode.drawOn(pdf, bar_x, bar_y)
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawCentredString(left + CONTENT_WIDTH / 2, bar_y - 16, data.return_number)
    _text(pdf, left + PAD, LABEL_BOTTOM + 9, _("Bestellung %(number)s", number=data.order_number),
          "Helvetica", 8, CONTENT_WIDTH / 2, color=GREY)
    # Drawn by the help center, not issued by a carrier: for shops that collect their return parcels themselves.
    _text(pdf, right - PAD, LABEL_BOTTOM + 9, _("Rücksendeschein des Shops – kein Paketschein eines Paketdienstes"),
          "Helvetica", 8, CONTENT_WIDTH / 2 - PAD, color=GREY, align="right")


def _draw_qr(pdf: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw the same QR code as on screen (segno: reportlab's QR widget cannot mark UTF-8 with an ECI)."""
    matrix = _qr(payload).matrix
    box = size / (len(matrix) + 8)  # a quiet zone of four modules on each side
    for row, modules in enumerate(matrix):
        column = 0
        for dark, run in itertools.groupby(modules, key=bool):
            length = len(list(run))
            if dark:
                pdf.rect(x + (column + 4) * box, y + size - (row + 5) * box, length * box, box, stroke=0, fill=1)
            column += length


def _draw_cut_line(pdf: Canvas) -> None:
    y = PAGE_HEIGHT / 2
    label = _("Hier abtrennen und auf das Paket kleben")
    width = stringWidth(label, "Helvetica", 8) + 34
    centre = PAGE_WIDTH / 2
    pdf.saveState()
    pdf.setDash(4, 3)
    pdf.setLineWidth(0.75)
    pdf.setStrokeColor(GREY)
    pdf.line(MARGIN / 2, y, centre - width / 2, y)
    pdf.line(centre + width / 2, y, PAGE_WIDTH - MARGIN / 2, y)
    pdf.restoreState()
    pdf.setFont("ZapfDingbats", 11)
    pdf.drawString(centre - width / 2 + 3, y - 4, "\u2702")
    pdf.setFillColor(GREY)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(centre - width / 2 + 20, y - 3, label)
    pdf.setFillColor(colors.black)


def _draw_slip_head(pdf: Canvas, data: LabelData) -> float:
    """Draw title, reference numbers and instructions of the packing slip; return where the item table starts."""
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    y = SLIP_TOP - 14
    _text(pdf, left, y, _("Rücksendeschein"), "Helvetica-Bold", 18, CONTENT_WIDTH * 0.6)
    _text(pdf, right, y, data.shop_name, "Helvetica-Bold", 10, CONTENT_WIDTH * 0.35, align="right")
    _text(pdf, left, y - 16, _("Bitte legen Sie diesen Schein zu den Artikeln in das Paket."), "Helvetica", 9,
          CONTENT_WIDTH)

    facts = [(_("Retourennummer"), data.return_number, "Helvetica-Bold"),
             (_("Bestellnummer"), data.order_number, "Helvetica"),
             (_("Angemeldet am"), format_date(data.created_on, "medium"), "Helvetica"),
             (_("Versand mit"), data.carrier_name, "Helvetica"),
             (_("Absender"), data.sender.name, "Helvetica")]
    facts_y = y - 40
    for label, value, font in facts:
        _text(pdf, left, facts_y, label, "Helvetica", 8.5, 92, color=GREY)
        _text(pdf, left + 95, facts_y, value, font, 9.5, 140)
        facts_y -= 14

    column = left + 250
    width = right - column
    steps_y = y - 40
    _text(pdf, column, steps_y, _("So geht's"), "Helvetica-Bold", 10, width)
    steps = [_("Legen Sie die Artikel und diesen Rücksendeschein in das Paket."),
             _("Schneiden Sie das Etikett oben ab und kleben Sie es gut sichtbar auf das Paket. "
               "Alte Etiketten bitte überkleben."),
             # The carrier's own words from policy.toml complete the sentence ("in jedem Hermes PaketShop").
             _("Geben Sie das Paket %(where)s ab.", where=_clean(data.drop_off_hint)),
             _("Bewahren Sie den Einlieferungsbeleg auf, bis Ihre Rücksendung bei uns angekommen ist.")]
    pdf.setFont("Helvetica", 8.5)
    for number, step in enumerate(steps, start=1):
        lines = simpleSplit(_printable(step), "Helvetica", 8.5, width - 14)
        if len(lines) > 4:
            lines = lines[:3] + [_fit(" ".join(lines[3:]), "Helvetica", 8.5, width - 14)[0]]
        steps_y -= 12
        pdf.drawString(column, steps_y, f"{number}.")
        for index, line in enumerate(lines):
            if index:
                steps_y -= 10.5
            pdf.drawString(column + 14, steps_y, line)
    return min(facts_y, steps_y - 12) - 4


def _draw_items(pdf: Canvas, items: list[LabelItem], top: float, overflow: int = 0) -> None:
    left = MARGIN
    columns = [(pgettext("return slip column", "Artikel"), CONTENT_WIDTH - 285), (_("Art.-Nr."), 90),
               (_("Menge"), 45), (_("Grund"), 150)]
    pdf.setFillColor(SHADE)
    pdf.rect(left, top - HEADER_HEIGHT, CONTENT_WIDTH, HEADER_HEIGHT, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    x = left
    for index, (heading, width) in enumerate(columns):
        right_aligned = index == 2  # the quantity
        _text(pdf, x + width - 4 if right_aligned else x + 4, top - 11, heading, "Helvetica-Bold", 8, width - 8,
              align="right" if right_aligned else "left")
        x += width
    name_w, sku_w, qty_w, reason_w = (width - 8 for _heading, width in columns)
    y = top - HEADER_HEIGHT
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.5)
    for item in items:
        x = left + 4
        _text(pdf, x, y - 10, item.name, "Helvetica-Bold", 9, name_w)
        if item.variant:
            _text(pdf, x, y - 19, item.variant, "Helvetica", 7.5, name_w, color=GREY)
        x += name_w + 8
        _text(pdf, x, y - 13, item.sku, "Helvetica", 8.5, sku_w, min_size=6.5)
        x += sku_w + 8
        _text(pdf, x + qty_w, y - 13, str(item.quantity), "Helvetica-Bold", 9, qty_w, align="right")
        x += qty_w + 8
        reason = simpleSplit(_printable(item.reason), "Helvetica", 8, reason_w)
        if len(reason) == 1:
            _text(pdf, x, y - 13, reason[0], "Helvetica", 8, reason_w)
        elif reason:
            _text(pdf, x, y - 9, reason[0], "Helvetica", 8, reason_w)
            _text(pdf, x, y - 18, " ".join(reason[1:]), "Helvetica", 8, reason_w)
        y -= ROW_HEIGHT
        pdf.line(left, y, left + CONTENT_WIDTH, y)
    if overflow:
        _text(pdf, left + 4, y - 13, ngettext("… und %(num)s weiterer Artikel – Fortsetzung auf Seite 2",
                                              "… und %(num)s weitere Artikel – Fortsetzung ab Seite 2", overflow),
              "Helvetica-Oblique", 9, CONTENT_WIDTH - 8)
    pdf.setStrokeColor(colors.black)


def _draw_continuation(pdf: Canvas, data: LabelData, items: list[LabelItem], page: int, pages: int) -> None:
    y = PAGE_HEIGHT - MARGIN - 16
    _text(pdf, MARGIN, y, _("Rücksendeschein – Fortsetzung"), "Helvetica-Bold", 15, CONTENT_WIDTH * 0.7)
    _text(pdf, PAGE_WIDTH - MARGIN, y, _("Seite %(page)s von %(pages)s", page=page, pages=pages), "Helvetica", 9,
          CONTENT_WIDTH * 0.25, align="right")
    _text(pdf, MARGIN, y - 18, _("Retourennummer %(return_number)s · Bestellnummer %(order_number)s · Bitte ebenfalls "
                                 "in das Paket legen.", return_number=data.return_number,
                                 order_number=data.order_number), "Helvetica", 9, CONTENT_WIDTH)
    _draw_items(pdf, items, CONTINUATION_TABLE_TOP)


def _country_name(code: str) -> str:
    locale = get_locale()
    return (locale.territories.get(code.upper()) if locale else None) or code


def _caption(pdf: Canvas, x: float, y: float, text: str) -> None:
    _text(pdf, x, y, text, "Helvetica-Bold", 7.5, 200, color=GREY)


def _text(pdf: Canvas, x: float, y: float, text: str, font: str, size: float, width: float, *,
          min_size: float | None = None, align: str = "left", color=colors.black) -> None:
    """Draw one line, shrunk down to min_size and then cut with an ellipsis so it never runs into its neighbour."""
    text, size = _fit(text, font, size, width, min_size or size)
    pdf.setFont(font, size)
    pdf.setFillColor(color)
    if align == "right":
        pdf.drawRightString(x, y, text)
    else:
        pdf.drawString(x, y, text)
    pdf.setFillColor(colors.black)


def _fit(text: str, font: str, size: float, width: float, min_size: float | None = None) -> tuple[str, float]:
    text = _printable(text)
    while stringWidth(text, font, size) > width and min_size is not None and size - 0.5 >= min_size:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def _printable(text: str) -> str:
    """Text Helvetica can show: WinAnsi as it is, other letters without their accent (Ł → L, ş → s), the rest as '?'."""
    out = []
    for char in _clean(text):
        if _in_winansi(char):
            out.append(char)
            continue
        base = _FALLBACK.get(char) or "".join(c for c in unicodedata.normalize("NFKD", char)
                                              if not unicodedata.combining(c))
        out.append(base if base and all(_in_winansi(c) for c in base) else "?")
    return "".join(out)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _in_winansi(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return char.isprintable()
