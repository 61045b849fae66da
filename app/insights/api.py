"""GET /api/insights/<report>: each report's figures as JSON, for the roles that see it on the pages."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request

from app.api.openapi import api_operation
from app.insights.access import inputs_for, report_for, require_insights_role
from app.insights.dates import berlin_today, parse_range
from app.insights.reports import as_json
from app.insights.schemas import InsightsAnswer, InsightsQuery

bp = Blueprint("insights_api", __name__, url_prefix="/api/insights")
bp.before_request(require_insights_role)


@bp.get("/<report>")
@api_operation("One insights report as JSON", query=InsightsQuery, responses={200: InsightsAnswer},
               errors=(401, 403, 404, 422), auth="session", tags=("insights",),
               description="Reports: `searches`, `content-gaps`, `articles` (editors, team leads, admins), "
                           "`service`, `returns` (team leads, admins). 422 for a day that is not YYYY-MM-DD, "
                           "`to` before `from`, or more than 366 days.")
def report(report, query: InsightsQuery):
    """The figures of one report over ?from=&to= with the previous range of the same length for the trends."""
    found = report_for(report)
    span = parse_range(request.args, berlin_today(dt.datetime.now(dt.timezone.utc)))
    previous = span.previous()
    answer = InsightsAnswer.model_validate({
        "report": found.name, "from": span.first.isoformat(), "to": span.last.isoformat(),
        "previous_from": previous.first.isoformat(), "previous_to": previous.last.isoformat(),
        "figures": as_json(found.build(inputs_for(span)))})
    response = jsonify(answer.model_dump(mode="json", by_alias=True))
    response.headers["Cache-Control"] = "no-store"
    return response
