"""What visitors search for and where the help center leaves them alone: top queries, queries without a
result, queries whose searchers opened nothing, queries followed by a contact in the same visit (together:
the content gaps), click-through and the position of the clicked result. Masked query text only."""
from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.insights.dates import DateRange, berlin_day_of
from app.insights.figures import Trend, rounded, share, share_trend
from app.insights.models import SearchLog
from app.insights.reports.base import ReportInputs, Table

# A contact sent this long after a search of the same visit counts as "searched, then contacted us".
CONTACT_WINDOW = dt.timedelta(hours=2)
TOP_SHOWN = 50
GAPS_SHOWN = 100


@dataclass(frozen=True)
class QueryRow:
    query: str
    lang: str
    searches: int
    without_result: int
    without_click: int
    followed_by_contact: int
    # Searches that did not help: no result, nothing opened, or a contact followed (each search once).
    unhelped: int
    clicks: int
    trend: Trend
    json_properties: ClassVar[tuple[str, ...]] = ("click_through",)

    @property
    def click_through(self) -> float | None:
        return share(self.clicks, self.searches - self.without_result)


@dataclass(frozen=True)
class SearchesReport:
    span: DateRange
    searches: Trend
    without_result: Trend
    click_through: Trend  # percent of searches with results that led to an opened article
    average_position: Trend  # of the clicked result, 1 = first
    followed_by_contact: Trend
    per_day: list[tuple[dt.date, int]]
    top: list[QueryRow]
    no_result: list[QueryRow]
    no_click: list[QueryRow]
    contacted: list[QueryRow]


@dataclass(frozen=True)
class ContentGap:
    query: str
    lang: str
    searches: int
    unhelped: int
    without_result: int
    without_click: int
    followed_by_contact: int
    trend: Trend


@dataclass(frozen=True)
class ContentGapsReport:
    span: DateRange
    gaps: list[ContentGap]


@dataclass
class _Group:
    query: str
    searches: int = 0
    without_result: int = 0
    without_click: int = 0
    contacted: int = 0
    unhelped: int = 0
    clicks: int = 0


def _searches(span: DateRange):
    return db.session.execute(
        select(SearchLog.query, SearchLog.lang, SearchLog.result_count, SearchLog.clicked_slug,
               SearchLog.clicked_position, SearchLog.visit, SearchLog.created_at)
        .where(SearchLog.created_at >= span.start, SearchLog.created_at < span.end)).all()


def _contact_times(span: DateRange) -> dict[str, list[dt.datetime]]:
    """When each visit sent a case (only visits; no case details leave this function)."""
    rows = db.session.execute(select(Case.visit, Case.created_at).where(
        Case.visit.is_not(None), Case.created_at >= span.start, Case.created_at < span.end + CONTACT_WINDOW))
    times: dict[str, list[dt.datetime]] = defaultdict(list)
    for visit, created in rows:
        times[visit].append(created)
    for moments in times.values():
        moments.sort()
    return times


def _contacted_after(times: dict[str, list[dt.datetime]], visit: str | None, moment: dt.datetime) -> bool:
    moments = times.get(visit or "")
    if not moments:
        return False
    index = bisect.bisect_left(moments, moment)
    return index < len(moments) and moments[index] <= moment + CONTACT_WINDOW


def _key(query: str, lang: str) -> tuple[str, str]:
    # "Rechnung" and "rechnung " are one question.
    return " ".join(query.lower().split()), lang


@dataclass(frozen=True)
class _Totals:
    searches: int
    without_result: int
    with_result: int
    clicks: int
    position: float | None
    contacted: int


def _group(span: DateRange) -> tuple[dict[tuple[str, str], _Group], _Totals, Counter]:
    groups: dict[tuple[str, str], _Group] = {}
    per_day: Counter = Counter()
    times = _contact_times(span)
    positions = []
    totals = Counter()
    for query, lang, results, clicked, position, visit, created in _searches(span):
        group = groups.setdefault(_key(query, lang), _Group(query=query))
        group.query = min(group.query, query)
        no_result, no_click = results == 0, results > 0 and clicked is None
        contacted = _contacted_after(times, visit, created)
        group.searches += 1
        group.without_result += no_result
        group.without_click += no_click
        group.contacted += contacted
        group.unhelped += no_result or no_click or contacted
        group.clicks += clicked is not None
        per_day[berlin_day_of(created)] += 1
        if clicked is not None and position:
            positions.append(position)
        totals.update(searches=1, without_result=no_result, with_result=results > 0, clicks=clicked is not None,
                      contacted=contacted)
    average = sum(positions) / len(positions) if positions else None
    return groups, _Totals(totals["searches"], totals["without_result"], totals["with_result"], totals["clicks"],
                           average, totals["contacted"]), per_day


def _rows(groups, previous: Counter, wanted, limit: int) -> list[QueryRow]:
    rows = []
    for key, group in groups.items():
        if not wanted(group):
            continue
        row = QueryRow(query=group.query, lang=key[1], searches=group.searches, without_result=group.without_result,
                       without_click=group.without_click, followed_by_contact=group.contacted,
                       unhelped=group.unhelped, clicks=group.clicks, trend=Trend(group.searches, previous.get(key, 0)))
        rows.append(row)
    rows.sort(key=lambda r: (-r.searches, r.query))
    return rows[:limit]


def searches_report(inputs: ReportInputs) -> SearchesReport:
    """The searches of the range with their trend against the previous range of the same length."""
    span = inputs.span
    groups, now, per_day = _group(span)
    old_groups, before, _days = _group(span.previous())
    previous = Counter({key: group.searches for key, group in old_groups.items()})
    return SearchesReport(
        span=span,
        searches=Trend(now.searches, before.searches),
        without_result=Trend(now.without_result, before.without_result),
        click_through=share_trend(share(now.clicks, now.with_result), share(before.clicks, before.with_result)),
        average_position=Trend(rounded(now.position), rounded(before.position)),
        followed_by_contact=Trend(now.contacted, before.contacted),
        per_day=[(day, per_day.get(day, 0)) for day in span.each_day()],
        top=_rows(groups, previous, lambda g: True, TOP_SHOWN),
        no_result=_rows(groups, previous, lambda g: g.without_result > 0, TOP_SHOWN),
        no_click=_rows(groups, previous, lambda g: g.without_click > 0 and g.clicks == 0, TOP_SHOWN),
        contacted=_rows(groups, previous, lambda g: g.contacted > 0, TOP_SHOWN),
    )


def content_gaps_report(inputs: ReportInputs) -> ContentGapsReport:
    """What to write next: every query that left searchers without help, most unhelped searches first."""
    span = inputs.span
    groups, _totals, _days = _group(span)
    previous = Counter({key: group.searches for key, group in _group(span.previous())[0].items()})
    gaps = [ContentGap(query=g.query, lang=key[1], searches=g.searches, unhelped=g.unhelped,
                       without_result=g.without_result, without_click=g.without_click,
                       followed_by_contact=g.contacted, trend=Trend(g.searches, previous.get(key, 0)))
            for key, g in groups.items() if g.unhelped]
    gaps.sort(key=lambda gap: (-gap.unhelped, -gap.searches, gap.query))
    return ContentGapsReport(span=span, gaps=gaps[:GAPS_SHOWN])


def _query_table(name: str, rows: list[QueryRow]) -> Table:
    return Table(name, [_l("Suchbegriff"), _l("Sprache"), _l("Suchen"), _l("Vorzeitraum"), _l("Ohne Treffer"),
                        _l("Nichts geöffnet"), _l("Danach Kontakt"), _l("Klickrate (%)")],
                 [(r.query, r.lang, r.searches, r.trend.previous, r.without_result, r.without_click,
                   r.followed_by_contact, r.click_through) for r in rows])


def searches_tables(report: SearchesReport) -> list[Table]:
    return [
        Table("tage", [_l("Tag"), _l("Suchen")], [(day.isoformat(), count) for day, count in report.per_day]),
        _query_table("top", report.top),
        _query_table("ohne-treffer", report.no_result),
        _query_table("nichts-geoeffnet", report.no_click),
        _query_table("danach-kontakt", report.contacted),
    ]


def content_gaps_tables(report: ContentGapsReport) -> list[Table]:
    return [Table("luecken", [_l("Suchbegriff"), _l("Sprache"), _l("Suchen"), _l("Vorzeitraum"),
                              _l("Nicht geholfen"), _l("Ohne Treffer"), _l("Nichts geöffnet"), _l("Danach Kontakt")],
                  [(g.query, g.lang, g.searches, g.trend.previous, g.unhelped, g.without_result, g.without_click,
                    g.followed_by_contact) for g in report.gaps])]
