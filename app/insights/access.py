"""Who sees which insights: the pages' and reports' roles (app/insights/reports/__init__.py) checked once."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app
from flask_login import current_user

from app.core.errors import Forbidden, NotFound, Unauthorized
from app.extensions import login_manager
from app.insights.dates import DateRange
from app.insights.reports import PAGE_ROLES, REPORTS, Report, ReportInputs

INSIGHTS_ROLES = ("editor", "lead", "admin")


def require_page(page: str):
    """Anonymous visitors sign in; every role but the page's gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in PAGE_ROLES[page]:
        abort(403)
    return None


def require_insights_role():
    """The JSON API: 401 anonymous, 403 for roles that see no insights at all (customers, agents)."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    if current_user.role not in INSIGHTS_ROLES:
        raise Forbidden()


def report_for(name: str) -> Report:
    """The report if it exists (404) and the signed-in role may see it (403)."""
    report = REPORTS.get(name)
    if report is None:
        raise NotFound()
    if current_user.role not in report.roles:
        raise Forbidden()
    return report


def inputs_for(span: DateRange) -> ReportInputs:
    return ReportInputs(span=span, now=dt.datetime.now(dt.timezone.utc),
                        library=current_app.extensions.get("helpcenter.library"),
                        routing=current_app.extensions.get("helpcenter.routing"),
                        state=current_app.config.get("HELPCENTER_FEDERAL_STATE", "BE"))
