"""How the articles do: views, helpful / not helpful with the comments, how often a reader still contacted us
(from the article's contact button, by topic), and suggestions opened on the contact form that ended without a
case (deflection) — per article and overall, with the trend against the previous range."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.cases.models import Case, ContactDeflection
from app.cases.topics import TOPICS
from app.extensions import db
from app.insights.dates import DateRange, berlin_day_of
from app.insights.figures import Trend, masked, share, share_trend
from app.insights.models import ArticleViewDay, ArticleVote
from app.insights.reports.base import ReportInputs, Table

COMMENTS_SHOWN = 50


@dataclass(frozen=True)
class ArticleRow:
    slug: str
    title: str
    views: Trend
    helpful: int
    not_helpful: int
    comments: int
    contacts: int  # cases sent from the article's "contact us" button
    suggested: int  # opened as a suggestion on the contact form
    deflected: int  # … and no case followed in that visit
    json_properties: ClassVar[tuple[str, ...]] = ("helpful_share",)

    @property
    def helpful_share(self) -> float | None:
        return share(self.helpful, self.helpful + self.not_helpful)


@dataclass(frozen=True)
class Comment:
    slug: str
    title: str
    helpful: bool
    comment: str
    day: dt.date


@dataclass(frozen=True)
class TopicCount:
    topic: str
    label: str
    contacts: int


@dataclass(frozen=True)
class ArticlesReport:
    span: DateRange
    views: Trend
    helpful: Trend
    not_helpful: Trend
    helpful_share: Trend
    contacts: Trend
    suggested: Trend
    deflected: Trend
    deflection_rate: Trend
    views_per_day: list[tuple[dt.date, int]]
    articles: list[ArticleRow]
    contacts_by_topic: list[TopicCount]
    comments: list[Comment]


def _views(span: DateRange) -> Counter:
    # Views are counted per UTC day; a Berlin range is as close as a day count gets.
    rows = db.session.execute(select(ArticleViewDay.slug, func.sum(ArticleViewDay.views))
                              .where(ArticleViewDay.day >= span.first, ArticleViewDay.day <= span.last)
                              .group_by(ArticleViewDay.slug))
    return Counter({slug: int(total or 0) for slug, total in rows})


def _views_per_day(span: DateRange) -> dict[dt.date, int]:
    rows = db.session.execute(select(ArticleViewDay.day, func.sum(ArticleViewDay.views))
                              .where(ArticleViewDay.day >= span.first, ArticleViewDay.day <= span.last)
                              .group_by(ArticleViewDay.day))
    return {day: int(total or 0) for day, total in rows}


def _votes(span: DateRange):
    return db.session.execute(select(ArticleVote.slug, ArticleVote.helpful, ArticleVote.comment,
                                     ArticleVote.updated_at)
                              .where(ArticleVote.updated_at >= span.start, ArticleVote.updated_at < span.end)
                              .order_by(ArticleVote.updated_at.desc(), ArticleVote.id.desc())).all()


def _contacts(span: DateRange) -> list[tuple[str, str]]:
    return db.session.execute(select(Case.article_slug, Case.topic).where(
        Case.article_slug.is_not(None), Case.created_at >= span.start, Case.created_at < span.end)).all()


def _suggestions(span: DateRange):
    return db.session.execute(select(ContactDeflection.slug, ContactDeflection.converted).where(
        ContactDeflection.opened_at >= span.start, ContactDeflection.opened_at < span.end)).all()


@dataclass(frozen=True)
class _Figures:
    views: Counter
    yes: Counter
    no: Counter
    comments: Counter
    contacts: Counter
    suggested: Counter
    deflected: Counter


def _figures(span: DateRange) -> tuple[_Figures, list, list]:
    yes, no, comments, contacts, suggested, deflected = (Counter() for _ in range(6))
    votes = _votes(span)
    for slug, helpful, comment, _at in votes:
        (yes if helpful else no)[slug] += 1
        comments[slug] += bool(comment)
    cases = _contacts(span)
    for slug, _topic in cases:
        contacts[slug] += 1
    for slug, converted in _suggestions(span):
        suggested[slug] += 1
        deflected[slug] += not converted
    return _Figures(_views(span), yes, no, comments, contacts, suggested, deflected), votes, cases


def _total(counter: Counter) -> int:
    return sum(counter.values())


def articles_report(inputs: ReportInputs) -> ArticlesReport:
    """Every article with readers, votes, contacts or suggestions in the range, most read first."""
    span = inputs.span
    now, votes, cases = _figures(span)
    before, _votes_before, _cases_before = _figures(span.previous())

    def title(slug: str) -> str:
        article = inputs.library.article(slug) if inputs.library is not None else None
        return article.title if article is not None else slug

    slugs = set().union(now.views, now.yes, now.no, now.contacts, now.suggested)
    rows = [ArticleRow(slug=slug, title=title(slug), views=Trend(now.views[slug], before.views[slug]),
                       helpful=now.yes[slug], not_helpful=now.no[slug], comments=now.comments[slug],
                       contacts=now.contacts[slug], suggested=now.suggested[slug], deflected=now.deflected[slug])
            for slug in slugs]
    rows.sort(key=lambda row: (-row.views.current, -(row.helpful + row.not_helpful), row.title))
    topics = Counter(topic for _slug, topic in cases)
    per_day = _views_per_day(span)
    return ArticlesReport(
        span=span,
        views=Trend(_total(now.views), _total(before.views)),
        helpful=Trend(_total(now.yes), _total(before.yes)),
        not_helpful=Trend(_total(now.no), _total(before.no)),
        helpful_share=share_trend(share(_total(now.yes), _total(now.yes) + _total(now.no)),
                            share(_total(before.yes), _total(before.yes) + _total(before.no))),
        contacts=Trend(_total(now.contacts), _total(before.contacts)),
        suggested=Trend(_total(now.suggested), _total(before.suggested)),
        deflected=Trend(_total(now.deflected), _total(before.deflected)),
        deflection_rate=share_trend(share(_total(now.deflected), _total(now.suggested)),
                              share(_total(before.deflected), _total(before.suggested))),
        views_per_day=[(day, per_day.get(day, 0)) for day in span.each_day()],
        articles=rows,
        contacts_by_topic=[TopicCount(topic, str(TOPICS[topic].label) if topic in TOPICS else topic, count)
                           for topic, count in topics.most_common()],
        comments=[Comment(slug=slug, title=title(slug), helpful=helpful, comment=masked(comment),
                          day=berlin_day_of(at)) for slug, helpful, comment, at in votes if comment][:COMMENTS_SHOWN],
    )


def articles_tables(report: ArticlesReport) -> list[Table]:
    return [
        Table("artikel", [_l("Artikel"), _l("Slug"), _l("Aufrufe"), _l("Vorzeitraum"), _l("Hilfreich: ja"),
                          _l("Hilfreich: nein"), _l("Kommentare"), _l("Danach Kontakt"),
                          _l("Als Vorschlag geöffnet"), _l("Ohne Anfrage geblieben")],
              [(r.title, r.slug, r.views.current, r.views.previous, r.helpful, r.not_helpful, r.comments,
                r.contacts, r.suggested, r.deflected) for r in report.articles]),
        Table("kontakt-nach-thema", [_l("Thema"), _l("Anfragen nach dem Lesen")],
              [(t.label, t.contacts) for t in report.contacts_by_topic]),
        Table("kommentare", [_l("Tag"), _l("Artikel"), _l("Hilfreich"), _l("Kommentar")],
              [(c.day.isoformat(), c.title, _l("ja") if c.helpful else _l("nein"), c.comment)
               for c in report.comments]),
        Table("tage", [_l("Tag"), _l("Aufrufe")], [(day.isoformat(), count) for day, count in report.views_per_day]),
    ]
