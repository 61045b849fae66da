"""Language choice (German first, English selectable) and the values every template needs."""
from __future__ import annotations

from flask import current_app, request, session
from flask_babel import format_currency, format_date, format_datetime, get_locale

SUPPORTED_LANGUAGES = ("de", "en")


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return current_app.config["HELPCENTER_DEFAULT_LANG"]


def remember_language_choice() -> None:
    """?lang=en on any page switches the language for the rest of the visit."""
    chosen = request.args.get("lang")
    if chosen in SUPPORTED_LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def current_language() -> str:
    return str(get_locale() or current_app.config["HELPCENTER_DEFAULT_LANG"])[:2]


def template_globals() -> dict:
    config = current_app.config
    return {
        "shop": {
            "name": config["HELPCENTER_SHOP_NAME"],
            "url": config["HELPCENTER_SHOP_URL"],
            "logo_url": config["HELPCENTER_LOGO_URL"],
            "phone": config["HELPCENTER_SHOP_PHONE"],
            "email": config["HELPCENTER_SHOP_EMAIL"],
            "service_hours": config["HELPCENTER_SERVICE_HOURS"],
            "imprint_url": config["HELPCENTER_IMPRINT_URL"],
            "privacy_url": config["HELPCENTER_PRIVACY_URL"],
        },
        "lang": current_language(),
        "other_lang": "en" if current_language() == "de" else "de",
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_currency": format_currency,
        "order_status": _order_status,
        "shipment_status": _shipment_status,
    }


def _order_status(code: str) -> str:
    from app.shop.vocabulary import ORDER_STATUSES

    return str(ORDER_STATUSES.get(code, code))


def _shipment_status(code: str) -> str:
    from app.shop.vocabulary import SHIPMENT_STATUSES

    return str(SHIPMENT_STATUSES.get(code, code))
