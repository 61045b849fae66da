"""Demo figures for the insights pages: five weeks of searches (found, not found, nothing opened, followed by a
contact), article views and votes with comments, suggestions opened on the contact form, resolved cases with
answers, callbacks, chats and surveys, and returns of the demo orders — so `make run` shows real charts.

Deterministic (a random generator seeded per day) and relative to today. Each day is written once: a reload
on the same day adds nothing, a reload on a later day adds the days since. Returns hang on the demo orders,
which every load replaces, so they are written on every load (never on Anna's orders: her returns are the
customer demo)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from app.cases.availability import answer_due, to_utc_naive
from app.cases.models import Case, CaseMessage, ContactDeflection
from app.cases.numbering import next_case_number, next_number
from app.demo import catalog
from app.extensions import db
from app.insights.dates import BERLIN
from app.insights.models import ArticleViewDay, ArticleVote, SearchLog
from app.privacy.redaction import anonymize_search_query
from app.returns.models import ProductVariant, ReturnItem, ReturnRequest, ReturnSequence
from app.shop.models import Customer, Order

DAYS = 35
SOURCE = "demo"  # search_log.source of the demo searches: how a reload finds the days already written
# (query, how it goes): "found" → results, mostly clicked; "gap" → no result; "unopened" → results, nobody clicks.
QUERIES = (
    ("Rücksendung", "found"), ("Sendungsverfolgung", "found"), ("Rechnung", "found"), ("Umtausch", "found"),
    ("Lieferzeit", "found"), ("PayPal", "found"), ("Erstattung", "found"), ("Paket beschädigt", "found"),
    ("Gutschein einlösen", "gap"), ("Ratenzahlung", "gap"), ("Expressversand", "gap"), ("Größentabelle", "gap"),
    ("Lieferung Schweiz", "unopened"), ("Bestellung ändern", "unopened"), ("Konto löschen", "unopened"),
)
VOTE_COMMENTS = (
    (True, "Genau das habe ich gesucht, danke!"), (True, "Kurz und klar."),
    (False, "Mir fehlt, wie lange die Erstattung dauert."), (False, "Der Link zum Etikett hat nicht funktioniert."),
    (False, "Bitte mit Bildern erklären."),
)
SURVEY_COMMENTS = ((5, "Sehr schnelle und freundliche Hilfe."), (4, "Gut, aber die Antwort kam erst am nächsten Tag."),
                   (2, "Ich musste zweimal nachfragen."), (1, "Niemand hat zurückgerufen."))
RETURN_COMMENTS = {"zu-klein": "Fällt eine Nummer kleiner aus.", "zu-gross": "Viel zu weit geschnitten.",
                   "anders-als-beschrieben": "Die Farbe ist auf dem Foto heller.", "defekt": "Naht am Ärmel offen."}
TOPICS = ("lieferung-verspaetet", "ruecksendung", "erstattung", "bestellung-aendern", "zahlung", "sonstiges")


def _at(day: dt.date, rng: random.Random, first_hour: int = 8, last_hour: int = 19) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(rng.randint(first_hour, last_hour), rng.randint(0, 59)), tzinfo=BERLIN)
    return to_utc_naive(local)


def _days_written(first: dt.date) -> set[dt.date]:
    moments = db.session.scalars(select(SearchLog.created_at).where(
        SearchLog.source == SOURCE, SearchLog.created_at >= to_utc_naive(
            dt.datetime.combine(first, dt.time(), tzinfo=BERLIN))))
    return {moment.replace(tzinfo=dt.timezone.utc).astimezone(BERLIN).date() for moment in moments}


def _slugs(library) -> list[str]:
    return sorted(article.slug for article in library.published() if article.lang == "de")


def _views_and_votes(day: dt.date, rng: random.Random, slugs: list[str]) -> None:
    for index, slug in enumerate(slugs):
        # The first articles are read most: a long tail as in any help center.
        views = rng.randint(0, max(2, 40 // (index + 1)))
        if views:
            row = db.session.get(ArticleViewDay, (slug, day))
            if row is None:
                db.session.add(ArticleViewDay(slug=slug, day=day, views=views))
            else:
                row.views += views
    for _ in range(rng.randint(2, 7)):
        slug = rng.choice(slugs[:12])
        helpful = rng.random() < 0.7
        comment = None
        if rng.random() < 0.25:
            comment = rng.choice([text for good, text in VOTE_COMMENTS if good == helpful])
        moment = _at(day, rng)
        db.session.add(ArticleVote(slug=slug, lang="de", helpful=helpful, comment=comment, created_at=moment,
                                   updated_at=moment))


def _case(day: dt.date, rng: random.Random, routing, state: str, visit: str | None, index: int,
          article: str | None = None, created: dt.datetime | None = None) -> Case:
    channel = rng.choices(("email", "chat", "phone"), (6, 3, 2))[0]
    topic = rng.choice(TOPICS)
    route = routing.route(channel, topic, False, None)
    created = created or _at(day, rng, 8, 18)
    due = to_utc_naive(answer_due(routing, created.replace(tzinfo=dt.timezone.utc), route.queue.sla_minutes, state))
    waited = dt.timedelta(minutes=rng.randint(2, 8)) if channel == "chat" else dt.timedelta(
        minutes=rng.choice((20, 45, 90, 150, 240, 600, 1200)))
    answered = created + waited
    case = Case(number=next_case_number(day.year), topic=topic, message="Demo-Anfrage für die Kennzahlen.",
                channel=channel, status="resolved", queue=route.queue.slug, priority=route.priority, sla_due_at=due,
                contact_name="Demo-Kundin", contact_email=f"demo.kundin.{day.isoformat()}.{index}@example.com",
                lang="de", created_at=created, first_response_at=answered, article_slug=article, visit=visit,
                resolved_at=answered + dt.timedelta(minutes=rng.randint(5, 600)), outcome="solved",
                idempotency_key=f"demo-insights-{day.isoformat()}-{index}")
    if rng.random() < 0.45:
        score, comment = rng.choices((5, 4, 3, 2, 1), (45, 30, 10, 10, 5))[0], None
        if rng.random() < 0.3:
            comment = min(SURVEY_COMMENTS, key=lambda pair: abs(pair[0] - score))[1]
        nps = max(0, min(10, score * 2 + rng.randint(-1, 1)))
        case.survey_score, case.survey_nps, case.survey_comment = score, nps, comment
        case.survey_answered_at = case.resolved_at + dt.timedelta(hours=rng.randint(1, 30))
    db.session.add(case)
    db.session.flush()
    if channel == "chat":
        db.session.add(CaseMessage(case_id=case.id, author="agent", channel="chat", body="Hallo, wie kann ich helfen?",
                                   created_at=answered))
    if channel == "phone":
        outcome = rng.choices(("reached_solved", "reached_followup", "not_reached"), (6, 2, 2))[0]
        db.session.add(CaseMessage(case_id=case.id, author="agent", channel="phone", body="", event="callback_done",
                                   outcome=outcome, created_at=answered))
    return case


def _searches_and_cases(day: dt.date, rng: random.Random, slugs: list[str], routing, state: str) -> None:
    cases = 0
    for index in range(rng.randint(12, 30)):
        query, kind = rng.choice(QUERIES)
        visit = f"demo-{day.isoformat()}-{index}"
        moment = _at(day, rng)
        clicked = position = None
        results = 0 if kind == "gap" else rng.randint(1, 8)
        if kind == "found" and rng.random() < 0.75:
            clicked, position = rng.choice(slugs[:12]), rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        db.session.add(SearchLog(query=anonymize_search_query(query), lang="de", result_count=results,
                                 clicked_slug=clicked, clicked_position=position, source=SOURCE, visit=visit,
                                 created_at=moment))
        contact = {"gap": 0.35, "unopened": 0.2, "found": 0.03}[kind]
        if rng.random() < contact:
            cases += 1
            _case(day, rng, routing, state, visit, cases, created=moment + dt.timedelta(minutes=rng.randint(2, 40)))
    for _ in range(rng.randint(1, 4)):
        cases += 1
        _case(day, rng, routing, state, None, cases, article=rng.choice(slugs[:12]) if rng.random() < 0.4 else None)
    for index in range(rng.randint(1, 5)):
        db.session.add(ContactDeflection(visit=f"demo-s-{day.isoformat()}-{index}", slug=rng.choice(slugs[:12]),
                                         opened_at=_at(day, rng), converted=rng.random() < 0.3))


def _returns(today: dt.date, seed: int) -> int:
    """Returns of about half of the other demo customers' delivered orders of the last five weeks, all finished
    (refunded or exchanged), so none waits in the agents' returns list."""
    rng = random.Random(f"demo-returns-{seed}-{today.isoformat()}")
    since = to_utc_naive(dt.datetime.combine(today - dt.timedelta(days=DAYS), dt.time(), tzinfo=BERLIN))
    orders = db.session.scalars(select(Order).join(Customer).where(
        Customer.external_id != catalog.ANNA["id"], Order.status == "delivered", Order.placed_at >= since)
        .order_by(Order.number))
    variants = {v.sku: v for v in db.session.scalars(select(ProductVariant))}
    written = 0
    for order in orders:
        if rng.random() > 0.6:
            continue
        ret = ReturnRequest(number=next_number(ReturnSequence, "R", today.year), order_id=order.id,
                            customer_id=order.customer_id, status="refunded",
                            resolution="refund", lang="de", created_at=order.placed_at + dt.timedelta(days=6),
                            updated_at=order.placed_at + dt.timedelta(days=9))
        for item in order.items:
            if not item.returnable or rng.random() < 0.3:
                continue
            reason = rng.choices(("zu-klein", "zu-gross", "gefaellt-nicht", "anders-als-beschrieben", "defekt"),
                                 (30, 25, 20, 15, 10))[0] if item.size else rng.choice(("gefaellt-nicht", "defekt"))
            variant = variants.get(item.sku)
            exchange = _other_size(variant, variants, reason) if variant is not None else None
            ret.items.append(ReturnItem(order_item_id=item.id, sku=item.sku,
                                        product_code=variant.product_code if variant else None, name=item.name,
                                        category=item.category, quantity=1, unit_price_cents=item.unit_price_cents,
                                        reason=reason,
                                        comment=RETURN_COMMENTS.get(reason) if rng.random() < 0.3 else None,
                                        exchange_sku=exchange.sku if exchange is not None else None))
        if ret.items:
            if any(i.exchange_sku for i in ret.items):
                ret.resolution, ret.status = "exchange", "exchanged"
            db.session.add(ret)
            written += 1
    db.session.flush()
    return written


def _other_size(variant: ProductVariant, variants: dict, reason: str) -> ProductVariant | None:
    """The next size up for "too small", down for "too big", in the same colour (an exchange)."""
    if reason not in ("zu-klein", "zu-gross") or not variant.size:
        return None
    same = [v for v in variants.values() if v.product_code == variant.product_code and v.colour == variant.colour
            and v.size]
    order = [v.sku for v in same]
    if variant.sku not in order:
        return None
    index = order.index(variant.sku) + (1 if reason == "zu-klein" else -1)
    return same[index] if 0 <= index < len(same) else None


def load_demo_insights(today: dt.date, library, routing, state: str, seed: int = 7) -> dict[str, int]:
    """Write the demo days not written yet and the demo returns; the caller commits."""
    first = today - dt.timedelta(days=DAYS - 1)
    written = _days_written(first)
    slugs = _slugs(library)
    days = 0
    for offset in range(DAYS):
        day = first + dt.timedelta(days=offset)
        if day in written or not slugs:
            continue
        rng = random.Random(f"demo-insights-{seed}-{day.isoformat()}")
        _views_and_votes(day, rng, slugs)
        _searches_and_cases(day, rng, slugs, routing, state)
        days += 1
    return {"days": days, "returns": _returns(today, seed)}
