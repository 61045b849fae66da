"""What comes back, for purchasing: return rate and reasons per product (all sizes and colours together), the
customers' comments, and which sizes were exchanged for which. Over the orders placed in the range and what
came back from them so far (a cohort: a rate of "returned of sold"), cancelled returns left out."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.insights.dates import DateRange
from app.insights.figures import Trend, masked, share, share_trend
from app.insights.reports.base import ReportInputs, Table
from app.returns.models import ProductVariant, ReturnItem, ReturnRequest
from app.returns.vocabulary import REASONS
from app.shop.models import Order, OrderItem

COMMENTS_SHOWN = 100
SORTS = ("rate", "returned", "sold", "name")


@dataclass(frozen=True)
class ProductRow:
    product: str
    name: str
    sold: int
    returned: int
    reasons: dict[str, int]  # reason code → pieces
    top_reason: str | None
    json_properties: ClassVar[tuple[str, ...]] = ("rate",)

    @property
    def rate(self) -> float | None:
        return share(self.returned, self.sold)


@dataclass(frozen=True)
class ReturnComment:
    product: str
    name: str
    reason: str
    comment: str


@dataclass(frozen=True)
class SizeExchange:
    product: str
    name: str
    from_size: str
    to_size: str
    pieces: int


@dataclass(frozen=True)
class ReturnsReport:
    span: DateRange
    sold: Trend
    returned: Trend
    rate: Trend
    reasons: list[tuple[str, str, int]]  # code, label, pieces
    products: list[ProductRow]
    comments: list[ReturnComment]
    exchanges: list[SizeExchange]


def _product_of_sold():
    return func.coalesce(ProductVariant.product_code, OrderItem.sku)


def _sold(span: DateRange) -> dict[str, tuple[str, int]]:
    product = _product_of_sold()
    rows = db.session.execute(
        select(product, func.min(OrderItem.name), func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .outerjoin(ProductVariant, ProductVariant.sku == OrderItem.sku)
        .where(Order.placed_at >= span.start, Order.placed_at < span.end)
        .group_by(product))
    return {code: (name, int(quantity or 0)) for code, name, quantity in rows}


def _returned(span: DateRange):
    new_variant = aliased(ProductVariant)
    product = func.coalesce(ReturnItem.product_code, ReturnItem.sku)
    return db.session.execute(
        select(product, ReturnItem.name, ReturnItem.reason, ReturnItem.quantity, ReturnItem.comment,
               OrderItem.size, new_variant.size)
        .join(ReturnRequest, ReturnRequest.id == ReturnItem.return_id)
        .join(Order, Order.id == ReturnRequest.order_id)
        .join(OrderItem, OrderItem.id == ReturnItem.order_item_id)
        .outerjoin(new_variant, new_variant.sku == ReturnItem.exchange_sku)
        .where(Order.placed_at >= span.start, Order.placed_at < span.end, ReturnRequest.status != "cancelled")
        .order_by(ReturnItem.id.desc())).all()


def _totals(span: DateRange) -> tuple[int, int]:
    sold = sum(quantity for _name, quantity in _sold(span).values())
    returned = sum(int(row[3]) for row in _returned(span))
    return sold, returned


def returns_report(inputs: ReportInputs, sort: str = "rate") -> ReturnsReport:
    """Products with their sold and returned pieces, reasons and exchanges; sorted by `sort` (SORTS)."""
    span = inputs.span
    sold = _sold(span)
    names = {code: name for code, (name, _quantity) in sold.items()}
    returned: Counter = Counter()
    reasons: dict[str, Counter] = defaultdict(Counter)
    exchanges: Counter = Counter()
    comments = []
    for code, name, reason, quantity, comment, old_size, new_size in _returned(span):
        names.setdefault(code, name)
        returned[code] += quantity
        reasons[code][reason] += quantity
        if comment:
            comments.append(ReturnComment(code, name, str(REASONS.get(reason, reason)), masked(comment)))
        if new_size and old_size and new_size != old_size:
            exchanges[(code, old_size, new_size)] += quantity
    products = [ProductRow(product=code, name=names[code], sold=sold.get(code, ("", 0))[1], returned=returned[code],
                           reasons=dict(reasons[code].most_common()),
                           top_reason=reasons[code].most_common(1)[0][0] if reasons[code] else None)
                for code in names]
    products.sort(key=_sort_key(sort))
    all_sold, all_returned = sum(p.sold for p in products), sum(p.returned for p in products)
    before_sold, before_returned = _totals(span.previous())
    by_reason = Counter()
    for counter in reasons.values():
        by_reason.update(counter)
    return ReturnsReport(
        span=span, sold=Trend(all_sold, before_sold), returned=Trend(all_returned, before_returned),
        rate=share_trend(share(all_returned, all_sold), share(before_returned, before_sold)),
        reasons=[(code, str(REASONS.get(code, code)), pieces) for code, pieces in by_reason.most_common()],
        products=products, comments=comments[:COMMENTS_SHOWN],
        exchanges=[SizeExchange(code, names[code], old, new, pieces)
                   for (code, old, new), pieces in sorted(exchanges.items(), key=lambda kv: (-kv[1], kv[0]))])


def _sort_key(sort: str):
    if sort == "returned":
        return lambda p: (-p.returned, p.name)
    if sort == "sold":
        return lambda p: (-p.sold, p.name)
    if sort == "name":
        return lambda p: (p.name.lower(), p.product)
    return lambda p: (-(p.rate if p.rate is not None else -1), -p.returned, p.name)


def returns_tables(report: ReturnsReport) -> list[Table]:
    return [
        Table("produkte", [_l("Produkt"), _l("Artikelnummer"), _l("Verkauft"), _l("Zurück"), _l("Rücksendequote (%)"),
                           _l("Häufigster Grund"), *[label for label in REASONS.values()]],
              [(p.name, p.product, p.sold, p.returned, p.rate,
                REASONS.get(p.top_reason, p.top_reason) if p.top_reason else "",
                *[p.reasons.get(code, 0) for code in REASONS]) for p in report.products]),
        Table("umtausch", [_l("Produkt"), _l("Artikelnummer"), _l("Größe vorher"), _l("Größe nachher"), _l("Stück")],
              [(e.name, e.product, e.from_size, e.to_size, e.pieces) for e in report.exchanges]),
        Table("kommentare", [_l("Produkt"), _l("Artikelnummer"), _l("Grund"), _l("Kommentar")],
              [(c.name, c.product, c.reason, c.comment) for c in report.comments]),
    ]
