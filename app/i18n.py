"""Language choice (German first, English selectable) and the values every template needs."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from babel.dates import get_day_names
from flask_babel import format_currency, format_date, format_datetime, get_locale
from flask_babel import gettext as _

SUPPORTED_LANGUAGES = ("de", "en")


def select_locale() -> str:
    # Outside a request (CLI commands such as the shop import) there is no visitor's choice.
    chosen = session.get("lang") if has_request_context() else None
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return current_app.config["HELPCENTER_DEFAULT_LANG"]


def remember_language_choice() -> None:
    """?lang=en on any page switches the language for the rest of the visit."""
    chosen = request.args.get("lang")
    if chosen in SUPPORTED_LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


# Date patterns per language: German "Montag, 16. November um 11:00 Uhr", English "Monday, 16 November at 11:00".
DATE_PATTERNS = {
    "day": {"de": "EEEE, d. MMMM", "en": "EEEE, d MMMM"},
    "short_day": {"de": "EEE, d. MMM", "en": "EEE, d MMM"},
    "day_at_time": {"de": "EEEE, d. MMMM 'um' HH:mm 'Uhr'", "en": "EEEE, d MMMM 'at' HH:mm"},
    "day_time": {"de": "EEEE, d. MMMM, HH:mm 'Uhr'", "en": "EEEE, d MMMM, HH:mm"},
    "weekday_time": {"de": "EEEE, HH:mm 'Uhr'", "en": "EEEE, HH:mm"},
    "short_day_time": {"de": "EEE, d. MMM, HH:mm", "en": "EEE, d MMM, HH:mm"},
    "date_time": {"de": "d. MMMM yyyy, HH:mm 'Uhr'", "en": "d MMMM yyyy, HH:mm"},
}


def date_pattern(name: str) -> str:
    return DATE_PATTERNS[name].get(current_language(), DATE_PATTERNS[name]["de"])


def current_language() -> str:
    return str(get_locale() or current_app.config["HELPCENTER_DEFAULT_LANG"])[:2]


def service_hours_text() -> str:
    """The footer's service hours, from the routing file the answer times count with: "Mo–Fr 08:00–20:00 Uhr"."""
    from app.cases.availability import hours_by_days

    names = {day: name.rstrip(".") for day, name in get_day_names("abbreviated", locale=get_locale()).items()}
    parts = []
    for first, last, start, end in hours_by_days(current_app.extensions["helpcenter.routing"]):
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(_("%(days)s %(start)s–%(end)s Uhr", days=days, start=start.strftime("%H:%M"),
                       end=end.strftime("%H:%M")))
    # Answer times skip public holidays (HELPCENTER_FEDERAL_STATE), so the footer says so.
    return ", ".join(parts + [_("an Feiertagen geschlossen")]) if parts else ""


def template_globals() -> dict:
    config = current_app.config
    return {
        "shop": {
            "name": config["HELPCENTER_SHOP_NAME"],
            "url": config["HELPCENTER_SHOP_URL"],
            "logo_url": config["HELPCENTER_LOGO_URL"],
            "phone": config["HELPCENTER_SHOP_PHONE"],
            "email": config["HELPCENTER_SHOP_EMAIL"],
            "service_hours": service_hours_text(),
            "imprint_url": config["HELPCENTER_IMPRINT_URL"],
            "privacy_url": config["HELPCENTER_PRIVACY_URL"],
        },
        "lang": current_language(),
        "other_lang": "en" if current_language() == "de" else "de",
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_currency": format_currency,
        "date_pattern": date_pattern,
        "order_status": _order_status,
        "shipment_status": _shipment_status,
        "return_status": _return_status,
        "help_article_url": help_article_url,
    }


def help_article_url(slug: str) -> str:
    """The address of a help article in the reader's language: a page that names a German article leads an
    English visitor to its English version where there is one."""
    from flask import url_for

    library = current_app.extensions["helpcenter.library"]
    found = library.article(slug)
    if found is None:
        return url_for("help.home")
    found = library.in_language(found, current_language())
    return url_for("help.article", category=found.category, slug=found.slug)


def format_number(value, signed: bool = False) -> str:
    """A figure in the reader's language: 83,8 and 1.234 in German, 83.8 and 1,234 in English; fractions with
    one decimal; signed shows + and - (trends)."""
    from flask_babel import format_decimal

    import decimal

    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        return str(value)  # already words (a figure that is not a number)
    pattern = "#,##0.0" if isinstance(value, float) or signed else "#,##0"
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(value, format=pattern)


def _order_status(code: str) -> str:
    from app.shop.vocabulary import ORDER_STATUSES

    return str(ORDER_STATUSES.get(code, code))


def _shipment_status(code: str) -> str:
    from app.shop.vocabulary import SHIPMENT_STATUSES

    return str(SHIPMENT_STATUSES.get(code, code))


def _return_status(code: str) -> str:
    from app.returns.vocabulary import STATUS_LABELS

    return str(STATUS_LABELS.get(code, code))
