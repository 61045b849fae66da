"""The registry of insights reports: name → who may see it, how it is computed, which tables it exports.

Roles: editors see what helps them write (searches, content gaps, articles); team leads see everything
(service and returns too, and the editors' reports, so the team lead page tells the whole story); admins see
everything. Agents see none: they work cases, the figures are for the people who steer."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.insights.reports.articles import articles_report, articles_tables
from app.insights.reports.base import Report, ReportInputs, Table, as_json  # noqa: F401 - the package's API
from app.insights.reports.returns import returns_report, returns_tables
from app.insights.reports.searches import (content_gaps_report, content_gaps_tables, searches_report,
                                           searches_tables)
from app.insights.reports.service import service_report, service_tables

EDITOR_REPORT_ROLES = ("editor", "lead", "admin")
LEAD_REPORT_ROLES = ("lead", "admin")

REPORTS: dict[str, Report] = {report.name: report for report in (
    Report("searches", _l("Suchen"), EDITOR_REPORT_ROLES, searches_report, searches_tables,
           "insights/_searches.html"),
    Report("content-gaps", _l("Inhaltslücken"), EDITOR_REPORT_ROLES, content_gaps_report, content_gaps_tables,
           "insights/_content_gaps.html"),
    Report("articles", _l("Artikel"), EDITOR_REPORT_ROLES, articles_report, articles_tables,
           "insights/_articles.html"),
    Report("service", _l("Service"), LEAD_REPORT_ROLES, service_report, service_tables, "insights/_service.html"),
    Report("returns", _l("Rücksendungen"), LEAD_REPORT_ROLES, returns_report, returns_tables,
           "insights/_returns.html"),
)}

# The two pages and the reports each shows, in this order.
PAGES = {
    "editorial": ("content-gaps", "searches", "articles"),
    "lead": ("service", "returns", "content-gaps", "searches", "articles"),
}
PAGE_ROLES = {"editorial": ("editor", "admin"), "lead": ("lead", "admin")}


def may_see(role: str | None, name: str) -> bool:
    report = REPORTS.get(name)
    return report is not None and role in report.roles
