"""Mails to the customer and the shop's webhook for each step of a return, queued in the outbox."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_currency
from flask_babel import gettext as _

from app.outbox.service import queue_email, queue_webhook
from app.returns.access import return_link_token
from app.returns.models import ReturnRequest
from app.returns.variants import exchange_texts, variant_text
from app.returns.vocabulary import STATUS_LABELS
from app.shop.vocabulary import PAYMENT_METHODS


def return_links(ret: ReturnRequest) -> dict[str, str]:
    """Absolute links for mails: they work without a session, signed for this return only."""
    base = current_app.config["HELPCENTER_BASE_URL"].rstrip("/")
    token = return_link_token(ret)
    return {"status": f"{base}/retouren/{ret.number}?t={token}",
            "label": f"{base}/retouren/{ret.number}/etikett.pdf?t={token}"}


def money(cents: int) -> str:
    return format_currency(cents / 100, "EUR")


def _items_text(ret: ReturnRequest) -> str:
    exchanges = exchange_texts(ret)
    lines = []
    for item in ret.items:
        line = f"- {item.quantity} × {_ordered_text(item)}"
        if item.id in exchanges:
            line += " – " + _("Umtausch gegen: %(article)s", article=exchanges[item.id])
        lines.append(line)
    return "\n".join(lines)


def _ordered_text(item) -> str:
    ordered = item.order_item
    return variant_text(item.name, ordered.size, ordered.colour) if ordered is not None else item.name


def _next_steps(ret: ReturnRequest, links: dict[str, str]) -> str:
    policy = current_app.extensions["helpcenter.returns_policy"]
    if ret.status == "complaint":
        return _("Weil der Artikel defekt ist, prüft unser Kundenservice Ihre Reklamation persönlich "
                 "(Anfrage %(case)s) und meldet sich innerhalb eines Werktags mit einer Lösung. Bitte senden Sie "
                 "noch nichts zurück.", case=ret.complaint_case.number if ret.complaint_case else "")
    if ret.returnless:
        return _("Sie müssen den Artikel nicht zurücksenden. Wir erstatten %(amount)s auf Ihr ursprüngliches "
                 "Zahlungsmittel (%(payment)s); die Gutschrift ist in 3–5 Werktagen sichtbar.",
                 amount=money(ret.refund_cents), payment=PAYMENT_METHODS.get(ret.order.payment_method,
                                                                            ret.order.payment_method))
    carrier = policy.carriers.get(ret.carrier)
    if ret.carrier_label is not None:
        steps = _("1. Ihr Rücksendeetikett stellt %(carrier)s aus. Sie finden es mit dem QR-Code auf der Statusseite "
                  "und hier: %(label)s\n   Sollte es noch nicht bereitstehen, schicken wir Ihnen eine E-Mail, sobald "
                  "es da ist.\n2. Legen Sie die Artikel gut verpackt in den Karton und kleben Sie das Etikett darauf "
                  "– oder zeigen Sie den QR-Code im Paketshop vor.\n3. Geben Sie das Paket %(drop_off)s ab.",
                  carrier=carrier.name if carrier else "", label=links["label"],
                  drop_off=carrier.drop_off if carrier else "")
        return steps + "\n\n" + _after_steps(ret)
    steps = _("1. Drucken Sie das Rücksendeetikett aus: %(label)s\n   Ohne Drucker: Zeigen Sie den QR-Code auf der "
              "Statusseite im Paketshop vor.\n2. Legen Sie die Artikel gut verpackt in den Karton und kleben Sie "
              "das Etikett darauf.\n3. Geben Sie das Paket %(drop_off)s ab.",
              label=links["label"], drop_off=carrier.drop_off if carrier else "")
    return steps + "\n\n" + _after_steps(ret)


def _after_steps(ret: ReturnRequest) -> str:
    if ret.resolution == "exchange":
        return _("Sobald Ihre Rücksendung bei uns eingegangen ist, schicken wir Ihnen den Umtauschartikel – die Ware "
                 "ist für Sie reserviert.")
    return _("Sobald wir Ihre Rücksendung geprüft haben, erstatten wir %(amount)s auf Ihr ursprüngliches "
             "Zahlungsmittel.", amount=money(ret.refund_cents))


def queue_confirmation(ret: ReturnRequest) -> None:
    """The confirmation mail with number, label link and what happens next, and the shop's webhook."""
    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    links = return_links(ret)
    with force_locale(ret.lang):
        subject = _("Ihre Rücksendung %(number)s bei %(shop)s", number=ret.number, shop=shop)
        body = _("Hallo %(name)s,\n\nIhre Rücksendung %(number)s zur Bestellung %(order)s ist angemeldet.\n\n"
                 "Artikel:\n%(items)s\n\nSo geht es weiter:\n%(next)s\n\nDen Stand Ihrer Rücksendung sehen Sie "
                 "jederzeit hier: %(status)s\n\nIhr Kundenservice von %(shop)s",
                 name=ret.customer.name, number=ret.number, order=ret.order.number, items=_items_text(ret),
                 next=_next_steps(ret, links), status=links["status"], shop=shop)
    queue_email(ret.customer.email, subject, body, dedupe_key=f"return-confirmation:{ret.number}")
    queue_shop_webhook(ret)


def queue_label_ready(ret: ReturnRequest) -> None:
    """The carrier issued the label later than the customer's visit: the link to it, once."""
    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    policy = current_app.extensions["helpcenter.returns_policy"]
    carrier = policy.carriers.get(ret.carrier)
    links = return_links(ret)
    with force_locale(ret.lang):
        subject = _("Ihr Rücksendeetikett ist da – Rücksendung %(number)s", number=ret.number)
        body = _("Hallo %(name)s,\n\n%(carrier)s hat das Etikett für Ihre Rücksendung %(number)s ausgestellt "
                 "(Sendungsnummer %(shipment)s).\n\nEtikett zum Ausdrucken: %(label)s\nOhne Drucker: Zeigen Sie den "
                 "QR-Code auf der Statusseite im Paketshop vor: %(status)s\n\nGeben Sie das Paket %(drop_off)s ab."
                 "\n\nIhr Kundenservice von %(shop)s",
                 name=ret.customer.name, carrier=carrier.name if carrier else "", number=ret.number,
                 shipment=ret.tracking_number or "", label=links["label"], status=links["status"],
                 drop_off=carrier.drop_off if carrier else "", shop=shop)
    queue_email(ret.customer.email, subject, body, dedupe_key=f"return-label:{ret.number}")


def queue_status_mail(ret: ReturnRequest, reason: str | None = None) -> None:
    """Tell the customer each step an agent or the carrier takes: arrived, checked, refunded, exchanged, refused."""
    texts = {
        "received": lambda: _("Ihre Rücksendung %(number)s ist bei uns eingegangen. Wir prüfen die Artikel "
                              "innerhalb von 2 Werktagen.", number=ret.number),
        "refunded": lambda: _("Wir haben %(amount)s für Ihre Rücksendung %(number)s erstattet. Die Gutschrift auf "
                              "Ihrem ursprünglichen Zahlungsmittel ist in 3–5 Werktagen sichtbar.",
                              amount=money(ret.refund_cents), number=ret.number),
        "exchanged": lambda: _("Ihr Umtauschartikel zu Rücksendung %(number)s ist auf dem Weg zu Ihnen.",
                               number=ret.number),
        "inspected": lambda: _("Wir haben die Artikel Ihrer Rücksendung %(number)s geprüft. Als Nächstes "
                               "veranlassen wir die Erstattung bzw. den Umtausch.", number=ret.number),
        # The way to ask is the contact form: this mail carries no case to reply into.
        "refused": lambda: _("Wir können Ihre Rücksendung %(number)s leider nicht annehmen.\n\nBegründung: "
                             "%(reason)s\n\nWenn Sie Fragen dazu haben, schreiben Sie uns: %(contact)s",
                             number=ret.number, reason=reason or "",
                             contact=current_app.config["HELPCENTER_BASE_URL"].rstrip("/") + "/kontakt"),
    }
    if ret.status not in texts:
        return
    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    with force_locale(ret.lang):
        subject = _("Rücksendung %(number)s: %(status)s", number=ret.number, status=STATUS_LABELS[ret.status])
        body = _("Hallo %(name)s,\n\n%(text)s\n\nDen Stand Ihrer Rücksendung sehen Sie hier: %(link)s\n\n"
                 "Ihr Kundenservice von %(shop)s", name=ret.customer.name, text=texts[ret.status](),
                 link=return_links(ret)["status"], shop=shop)
    queue_email(ret.customer.email, subject, body, dedupe_key=f"return-status:{ret.number}:{ret.status}")


def return_payload(ret: ReturnRequest) -> dict:
    return {
        "return_number": ret.number, "order_number": ret.order.number, "status": ret.status,
        "resolution": ret.resolution, "returnless": ret.returnless, "carrier": ret.carrier,
        "refund": f"{ret.refund_cents / 100:.2f}", "currency": ret.order.currency,
        "complaint_case": ret.complaint_case.number if ret.complaint_case else None,
        "items": [{"sku": i.sku, "quantity": i.quantity, "reason": i.reason, "exchange_for": i.exchange_sku}
                  for i in ret.items],
    }


def queue_shop_webhook(ret: ReturnRequest) -> None:
    """The shop's systems refund, reserve and book stock from these events; optional."""
    url = current_app.config.get("HELPCENTER_RETURNS_WEBHOOK_URL")
    if url:
        queue_webhook(url, return_payload(ret), current_app.config.get("HELPCENTER_RETURNS_WEBHOOK_SECRET") or "",
                      dedupe_key=f"return-webhook:{ret.number}:{ret.status}")
