"""Everything a worker loads on first use, loaded before it takes its first request.

Measured in one worker after the search index and templates were already warm: the first /kontakt took
262 ms and the first /agent 236 ms against 25 ms afterwards. 180 ms of it was importing the `holidays`
package (all its countries) for the service hours; the rest was Babel's locale data, the catalogues,
SQLAlchemy's mappers and the database connection. Under load on two cores a cold first request took
0.3-0.6 s, and with a handful of sign-ins or console loads per minute spread over eight workers most of
them met a cold worker.
"""
from __future__ import annotations

import datetime as dt
import time

from flask import Flask


def warm_up(app: Flask) -> dict[str, str]:
    """Load what the first requests would; returns each step's time or failure (for the worker's log line).

    A step that fails (the database away during a deploy, say) leaves the others to run: a worker
    that is partly cold still serves."""
    steps: dict[str, str] = {}

    def step(name, action):
        started = time.perf_counter()
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the request that needs it will load it, or report it
            steps[name] = f"failed ({type(exc).__name__})"
            return
        steps[name] = f"{time.perf_counter() - started:.2f} s"

    with app.app_context():
        step("search", _search)
        step("templates", lambda: _templates(app))
        step("holidays", lambda: _holidays(app))
        step("mappers", _mappers)
        step("database", _database)
    step("languages", lambda: _languages(app))
    return steps


def _search() -> None:
    from app.search.service import help_search

    for query, lang in (("Paket", "de"), ("parcel", "en")):
        help_search().search(query, lang, 3)


def _templates(app: Flask) -> None:
    templates = app.jinja_env
    for name in templates.list_templates():
        templates.get_template(name)


def _holidays(app: Flask) -> None:
    from app.tracking.calendar import public_holidays

    state, year = app.config["HELPCENTER_FEDERAL_STATE"], dt.date.today().year
    for each in (year - 1, year, year + 1):
        public_holidays(state, each)


def _mappers() -> None:
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def _database() -> None:
    """The worker's pooled connection opened (and its session ended) before a customer waits for it."""
    from sqlalchemy import text

    from app.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.remove()


def _languages(app: Flask) -> None:
    """Each language's catalogue and Babel's locale data (day and month names, number formats)."""
    from flask import session
    from flask_babel import format_currency, format_datetime, gettext, refresh

    from app.i18n import SUPPORTED_LANGUAGES, date_pattern

    moment = dt.datetime.now(dt.timezone.utc)
    for lang in SUPPORTED_LANGUAGES:
        with app.test_request_context("/"):
            session["lang"] = lang
            refresh()
            format_datetime(moment, date_pattern("day_at_time"))
            format_currency(12.5, "EUR")
            gettext("Hilfe")
