"""How the service team does: cases by topic, channel, queue and day; first-response and resolution times
(median and 90th percentile, in service hours); answer-time target met; callbacks reached; chat waiting
times; satisfaction (CSAT) with comments and the Net Promoter Score. Over the cases created in the range
(the survey: answers given in the range), computed in Python — a shop's volume fits in memory."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.agent.vocabulary import CHANNELS
from app.cases.availability import service_time_between
from app.cases.models import Case, CaseMessage
from app.cases.topics import TOPICS
from app.extensions import db
from app.insights.dates import DateRange, berlin_day_of
from app.insights.figures import Trend, masked, median, percentile, rounded, share, share_trend
from app.insights.reports.base import ReportInputs, Table

COMMENTS_SHOWN = 50


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Durations:
    """Hours (service hours for answers and resolutions, clock minutes for chat waits): median and p90."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class SurveyComment:
    score: int
    comment: str
    day: dt.date


@dataclass(frozen=True)
class ServiceReport:
    span: DateRange
    cases: Trend
    per_day: list[tuple[dt.date, int]]
    by_topic: list[Count]
    by_channel: list[Count]
    by_queue: list[Count]
    first_response_hours: Durations
    resolution_hours: Durations
    first_response_median: Trend
    target_met: Trend  # percent of the cases whose answer was due: answered in time
    target_due: int
    callbacks: int
    callbacks_reached: int
    callbacks_not_reached: int
    callbacks_reached_share: Trend
    chat_wait_minutes: Durations
    csat: Trend  # percent of answers with 4 or 5
    csat_answers: int
    csat_average: float | None
    csat_scores: list[tuple[int, int]]  # score, answers
    nps: Trend
    nps_answers: int
    comments: list[SurveyComment]


def _cases(span: DateRange) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.created_at >= span.start, Case.created_at < span.end)))


def _first_agent_chat_line(case_ids: list[int]) -> dict[int, dt.datetime]:
    if not case_ids:
        return {}
    rows = db.session.execute(select(CaseMessage.case_id, CaseMessage.created_at).where(
        CaseMessage.case_id.in_(case_ids), CaseMessage.author == "agent", CaseMessage.channel == "chat")
        .order_by(CaseMessage.created_at))
    first: dict[int, dt.datetime] = {}
    for case_id, created in rows:
        first.setdefault(case_id, created)
    return first


def _callback_outcomes(case_ids: list[int]) -> dict[int, set[str]]:
    if not case_ids:
        return {}
    outcomes: dict[int, set[str]] = defaultdict(set)
    for case_id, outcome in db.session.execute(select(CaseMessage.case_id, CaseMessage.outcome).where(
            CaseMessage.case_id.in_(case_ids), CaseMessage.event == "callback_done")):
        outcomes[case_id].add(outcome or "")
    return outcomes


def _durations(values: list[float], digits: int = 1) -> Durations:
    return Durations(len(values), rounded(median(values), digits), rounded(percentile(values, 0.9), digits))


@dataclass(frozen=True)
class _Answers:
    """The cases whose answer was due by now, and how many of them were answered in time."""

    due: int
    met: int


def _target(cases: list[Case], now: dt.datetime) -> _Answers:
    due = met = 0
    for case in cases:
        if case.first_response_at is not None:
            due += 1
            met += case.first_response_at <= case.sla_due_at
        elif case.sla_due_at < now:
            due += 1  # still unanswered after its target: missed
    return _Answers(due, met)


def _survey(span: DateRange):
    return db.session.execute(select(Case.survey_score, Case.survey_nps, Case.survey_comment, Case.survey_answered_at)
                              .where(Case.survey_answered_at >= span.start, Case.survey_answered_at < span.end)
                              .order_by(Case.survey_answered_at.desc(), Case.id.desc())).all()


def _csat(answers) -> tuple[float | None, int]:
    scores = [score for score, *_rest in answers if score is not None]
    return share(sum(score >= 4 for score in scores), len(scores)), len(scores)


def _nps(answers) -> tuple[float | None, int]:
    """Promoters (9–10) minus detractors (0–6), in points from −100 to 100."""
    values = [nps for _score, nps, *_rest in answers if nps is not None]
    if not values:
        return None, 0
    promoters = sum(value >= 9 for value in values)
    detractors = sum(value <= 6 for value in values)
    return round((promoters - detractors) * 100 / len(values), 1), len(values)


def _counts(counter: Counter, labels) -> list[Count]:
    return [Count(key, labels(key), count) for key, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def _first_responses(inputs: ReportInputs, cases: list[Case]) -> list[float]:
    return [service_time_between(inputs.routing, c.created_at, c.first_response_at, inputs.state).total_seconds() / 3600
            for c in cases if c.first_response_at is not None]


def service_report(inputs: ReportInputs) -> ServiceReport:
    """The service figures of the range against the previous range of the same length."""
    span, routing = inputs.span, inputs.routing
    now = inputs.now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    cases, earlier = _cases(span), _cases(span.previous())
    first = _first_responses(inputs, cases)
    resolved = [service_time_between(routing, c.created_at, c.resolved_at, inputs.state).total_seconds() / 3600
                for c in cases if c.resolved_at is not None]
    target, target_before = _target(cases, now), _target(earlier, now)
    phone = [c.id for c in cases if c.channel == "phone"]
    phone_before = [c.id for c in earlier if c.channel == "phone"]
    outcomes, outcomes_before = _callback_outcomes(phone), _callback_outcomes(phone_before)

    def reached(found: dict[int, set[str]]) -> int:
        return sum(any(o.startswith("reached") for o in found.get(case_id, ())) for case_id in found)

    not_reached = sum(bool(o) and not any(x.startswith("reached") for x in o) for o in outcomes.values())
    chats = [c for c in cases if c.channel == "chat"]
    first_lines = _first_agent_chat_line([c.id for c in chats])
    waits = [(first_lines[c.id] - c.created_at).total_seconds() / 60 for c in chats if c.id in first_lines]
    answers, answers_before = _survey(span), _survey(span.previous())
    csat, csat_count = _csat(answers)
    nps, nps_count = _nps(answers)
    scores = [score for score, *_rest in answers if score is not None]
    per_day = Counter(berlin_day_of(c.created_at) for c in cases)
    queues = routing.queues if routing is not None else {}
    return ServiceReport(
        span=span,
        cases=Trend(len(cases), len(earlier)),
        per_day=[(day, per_day.get(day, 0)) for day in span.each_day()],
        by_topic=_counts(Counter(c.topic for c in cases),
                         lambda key: str(TOPICS[key].label) if key in TOPICS else key),
        by_channel=_counts(Counter(c.channel for c in cases), lambda key: str(CHANNELS.get(key, key))),
        by_queue=_counts(Counter(c.queue for c in cases),
                         lambda key: queues[key].name if key in queues else key),
        first_response_hours=_durations(first),
        resolution_hours=_durations(resolved),
        first_response_median=Trend(rounded(median(first)), rounded(median(_first_responses(inputs, earlier)))),
        target_met=share_trend(share(target.met, target.due), share(target_before.met, target_before.due)),
        target_due=target.due,
        callbacks=len(phone),
        callbacks_reached=reached(outcomes),
        callbacks_not_reached=not_reached,
        callbacks_reached_share=share_trend(share(reached(outcomes), len(phone)),
                                      share(reached(outcomes_before), len(phone_before))),
        chat_wait_minutes=_durations(waits),
        csat=share_trend(csat, _csat(answers_before)[0]),
        csat_answers=csat_count,
        csat_average=rounded(sum(scores) / len(scores), 2) if scores else None,
        csat_scores=[(score, scores.count(score)) for score in (5, 4, 3, 2, 1)],
        nps=share_trend(nps, _nps(answers_before)[0]),
        nps_answers=nps_count,
        comments=[SurveyComment(score, masked(comment), berlin_day_of(at))
                  for score, _nps_value, comment, at in answers if comment][:COMMENTS_SHOWN],
    )


def service_tables(report: ServiceReport) -> list[Table]:
    def counts(name: str, title, rows: list[Count]) -> Table:
        return Table(name, [title, _l("Anfragen")], [(row.label, row.count) for row in rows])

    def durations(title, d: Durations) -> tuple:
        return (title, d.count, d.median, d.p90)

    return [
        Table("tage", [_l("Tag"), _l("Anfragen")], [(day.isoformat(), count) for day, count in report.per_day]),
        counts("themen", _l("Thema"), report.by_topic),
        counts("kanaele", _l("Kanal"), report.by_channel),
        counts("warteschlangen", _l("Warteschlange"), report.by_queue),
        Table("zeiten", [_l("Kennzahl"), _l("Anzahl"), _l("Median"), _l("90. Perzentil")], [
            durations(_l("Erste Antwort (Servicestunden)"), report.first_response_hours),
            durations(_l("Erledigung (Servicestunden)"), report.resolution_hours),
            durations(_l("Wartezeit im Chat (Minuten)"), report.chat_wait_minutes)]),
        Table("umfrage", [_l("Tag"), _l("Note"), _l("Kommentar")],
              [(c.day.isoformat(), c.score, c.comment) for c in report.comments]),
    ]
