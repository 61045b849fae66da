"""The insights pages: /redaktion/einblicke (editors, admins) and /agent/kennzahlen (team leads, admins),
each with a date range, figures with their trend, SVG charts beside their data and CSV per table."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from app.core.csv_export import csv_lines, csv_response
from app.core.errors import InvalidInput
from app.insights.access import inputs_for, require_page
from app.insights.charts import bar_length, day_chart
from app.insights.dates import berlin_today, default_range, parse_range
from app.insights.reports import PAGES, REPORTS
from app.insights.reports.returns import SORTS, returns_report

bp = Blueprint("insights", __name__)

PAGE_ENDPOINTS = {"editorial": "insights.editorial", "lead": "insights.lead"}


def _range():
    """The asked range, or the default one with the reason when the input was odd (pages never refuse)."""
    today = berlin_today(dt.datetime.now(dt.timezone.utc))
    try:
        return parse_range(request.args, today), None
    except InvalidInput as exc:
        return default_range(today), next(iter(exc.errors.values()))


def _build(name: str, inputs):
    if name == "returns":
        sort = request.args.get("sortierung", "rate")
        return returns_report(inputs, sort if sort in SORTS else "rate")
    return REPORTS[name].build(inputs)


def _page(page: str):
    span, notice = _range()
    inputs = inputs_for(span)
    reports = [(REPORTS[name], _build(name, inputs)) for name in PAGES[page]]
    response = current_app.make_response(render_template(
        "insights/page.html", page=page, span=span, notice=notice, reports=reports, day_chart=day_chart,
        bar_length=bar_length, endpoint=PAGE_ENDPOINTS[page], sort=request.args.get("sortierung", "rate")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/redaktion/einblicke")
def editorial():
    """What customers search for and miss, and how the articles do: the editors' insights."""
    return require_page("editorial") or _page("editorial")


@bp.get("/agent/kennzahlen")
def lead():
    """Service, returns and the editors' figures: the team lead's insights."""
    return require_page("lead") or _page("lead")


def _csv(page: str, report: str, table: str):
    refused = require_page(page)
    if refused is not None:
        return refused
    if report not in PAGES[page] or current_user.role not in REPORTS[report].roles:
        abort(404)
    span, _notice = _range()
    found = {t.name: t for t in REPORTS[report].tables(_build(report, inputs_for(span)))}.get(table)
    if found is None:
        abort(404)
    rows = [[str(cell) if cell is not None and not isinstance(cell, (int, float)) else cell for cell in row]
            for row in found.rows]
    return csv_response(csv_lines([str(name) for name in found.header], rows),
                        f"{report}-{table}-{span.first.isoformat()}-{span.last.isoformat()}.csv")


@bp.get("/redaktion/einblicke/<report>/<table>.csv")
def editorial_csv(report, table):
    """One table of an editors' report as CSV for Excel."""
    return _csv("editorial", report, table)


@bp.get("/agent/kennzahlen/<report>/<table>.csv")
def lead_csv(report, table):
    """One table of a team lead's report as CSV for Excel."""
    return _csv("lead", report, table)

