"""A stored return as the label and QR code the customer prints or shows at the parcel shop."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from app.returns.label import LabelAddress, LabelData, LabelItem, render_label_pdf, render_qr_png, render_qr_svg
from app.returns.models import ReturnRequest
from app.returns.vocabulary import REASONS
from app.shop.fields import local_date


class NoLabel(LookupError):
    """A return without parcel (goodwill refund or complaint) has no label."""


class LabelPending(NoLabel):
    """The carrier has not issued the label (yet): it is being fetched, or the carrier refused it."""


def _carrier_document(ret: ReturnRequest, kind: str) -> bytes | None:
    """The carrier's stored PDF or QR code; None for a return with our own label."""
    label = ret.carrier_label
    if label is None:
        return None
    data = getattr(label, kind) if label.state == "ready" else None
    if data is None:
        # Ready without a QR code: the carrier was not asked for one (no printer-free drop-off).
        raise LabelPending(ret.number) if label.state != "ready" else NoLabel(ret.number)
    return data


def _variant(item) -> str:
    parts = []
    if item.order_item.size:
        parts.append(_("Größe %(size)s", size=item.order_item.size))
    if item.order_item.colour:
        parts.append(item.order_item.colour)
    return ", ".join(parts)


def label_data(ret: ReturnRequest) -> LabelData:
    if ret.carrier is None:
        raise NoLabel(ret.number)
    policy = current_app.extensions["helpcenter.returns_policy"]
    order, carrier = ret.order, policy.carriers[ret.carrier]
    return LabelData(
        return_number=ret.number, order_number=order.number, carrier_code=carrier.code, carrier_name=carrier.name,
        sender=LabelAddress(order.ship_name, order.ship_street, order.ship_postcode, order.ship_city,
                            order.ship_country),
        recipient=policy.return_address,
        items=tuple(LabelItem(i.name, i.sku, i.quantity, _variant(i), str(REASONS[i.reason])) for i in ret.items),
        created_on=local_date(ret.created_at), shop_name=current_app.config["HELPCENTER_SHOP_NAME"],
        qr_payload=ret.number, drop_off_hint=carrier.drop_off,
    )


def label_pdf(ret: ReturnRequest) -> bytes:
    """The carrier's label when a carrier issued it, else the help center's own Rücksendeschein."""
    if ret.carrier is None:
        raise NoLabel(ret.number)
    return _carrier_document(ret, "label_pdf") or render_label_pdf(label_data(ret))


def qr_png(ret: ReturnRequest) -> bytes:
    if ret.carrier is None:
        raise NoLabel(ret.number)
    return _carrier_document(ret, "qr_png") or render_qr_png(ret.number)


def qr_svg(ret: ReturnRequest) -> str | None:
    """Our own QR code inline; None for a carrier's label (its PNG is shown as an image from qr.png)."""
    if ret.carrier_label is not None:
        return None
    return render_qr_svg(ret.number, _("QR-Code der Rücksendung %(number)s", number=ret.number))
