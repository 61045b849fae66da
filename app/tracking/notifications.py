"""E-mail the customers who opted in whenever one of their shipments changes status."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.shop.models import Shipment
from app.shop.vocabulary import SHIPMENT_STATUSES


def notify_status_change(shipment: Shipment, old_status: str | None) -> bool:
    """Queue the e-mail in the current transaction; True if one was queued."""
    if old_status == shipment.status:
        return False
    order = shipment.order
    user = db.session.scalar(select(User).where(User.customer_id == order.customer_id))
    if user is None or not user.notify_status_changes:
        return False
    from app.outbox.service import queue_email

    link = f"{current_app.config['HELPCENTER_BASE_URL'].rstrip('/')}/sendungsverfolgung/{order.number}"
    with force_locale(current_app.config["HELPCENTER_DEFAULT_LANG"]):
        status = str(SHIPMENT_STATUSES[shipment.status])
        subject = _("Ihre Bestellung %(number)s: %(status)s", number=order.number, status=status)
        body = _("Hallo %(name)s,\n\nneuer Stand Ihrer Sendung %(tracking)s (%(carrier)s) zur Bestellung %(number)s: "
                 "%(status)s.\n\nAlle Details und was Sie jetzt tun können:\n%(link)s\n\n"
                 "Diese E-Mails können Sie unter „Mein Konto“ abbestellen.\n\nIhr Kundenservice von %(shop)s",
                 name=user.name, tracking=shipment.tracking_number, carrier=shipment.carrier, number=order.number,
                 status=status, link=link, shop=current_app.config["HELPCENTER_SHOP_NAME"])
    queue_email(user.email, subject, body, dedupe_key=f"status:{shipment.id}:{shipment.status}:{len(shipment.events)}")
    return True
