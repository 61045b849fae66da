"""Turn a customer's choice of items into one return — committed before any mail or label goes out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.cases.numbering import next_number
from app.cases.routing import RoutingConfig
from app.extensions import db
from app.idempotency import FieldErrors, commit_once, earlier_record, request_fingerprint
from app.privacy.redaction import mask_card_numbers
from app.returns import goodwill
from app.returns.complaints import open_complaint_case
from app.returns.eligibility import item_eligibility
from app.returns.labels import start_label
from app.returns.messages import queue_confirmation
from app.returns.models import ProductVariant, ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest, ReturnSequence
from app.returns.photos import CheckedPhoto
from app.returns.policy import ReturnsPolicy
from app.returns.vocabulary import PHOTO_REASONS, REASONS, RESOLUTIONS
from app.shop.fields import SHOP_TIMEZONE
from app.shop.models import Customer, Order

MAX_COMMENT = 1000
PREFIX = "R"

class ReturnInvalid(FieldErrors):
    """The request cannot become a return."""


@dataclass(frozen=True)
class ReturnLine:
    """One item to return, as the schemas (app/returns/schemas.py) parsed it from the form or the API."""

    sku: str
    quantity: int
    reason: str | None
    comment: str | None = None
    exchange_for: str | None = None


@dataclass(frozen=True)
class ReturnInput:
    order_number: str
    lines: tuple[ReturnLine, ...]
    resolution: str | None
    carrier: str | None
    lang: str = "de"
    idempotency_key: str | None = None
    trail: list = field(default_factory=list)

    def fingerprint(self) -> str:
        return request_fingerprint(self, ignore=("idempotency_key", "lang", "trail"))


@dataclass(frozen=True)
class Submission:
    return_request: ReturnRequest
    created: bool


@dataclass(frozen=True)
class _Checked:
    line: ReturnLine
    eligibility: object
    quantity: int
    comment: str | None
    exchange: ProductVariant | None


def exchange_options(sku: str) -> list[ProductVariant]:
    """Other sizes and colours of the same product, in stock first."""
    own = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == sku))
    if own is None:
        return []
    variants = db.session.scalars(select(ProductVariant).where(
        ProductVariant.product_code == own.product_code, ProductVariant.sku != sku).order_by(ProductVariant.id))
    return sorted(variants, key=lambda v: v.stock <= 0)


def product_code_of(sku: str) -> str | None:
    return db.session.scalar(select(ProductVariant.product_code).where(ProductVariant.sku == sku))


def _check_line(index: int, line: ReturnLine, by_sku: dict, resolution: str | None, errors: dict) -> _Checked | None:
    key = f"items.{index}"
    eligibility = by_sku.get(line.sku)
    if eligibility is None:
        errors[f"{key}.sku"] = _("Dieser Artikel gehört nicht zu der Bestellung.")
        return None
    if not eligibility.eligible:
        errors[f"{key}.sku"] = eligibility.reason_if_not
        return None
    quantity = line.quantity
    if quantity < 1:
        errors[f"{key}.quantity"] = _("Bitte geben Sie an, wie viele Sie zurücksenden.")
    elif quantity > eligibility.returnable_quantity:
        errors[f"{key}.quantity"] = _("Sie können höchstens %(n)d Stück zurücksenden.",
                                      n=eligibility.returnable_quantity)
    if line.reason not in REASONS:
        errors[f"{key}.reason"] = _("Bitte wählen Sie einen Grund.")
    comment = " ".join(line.comment.split()) if line.comment else None
    if comment and len(comment) > MAX_COMMENT:
        errors[f"{key}.comment"] = _("Bitte fassen Sie sich kürzer (höchstens %(n)d Zeichen).", n=MAX_COMMENT)
    elif line.reason == "sonstiges" and not comment:
        errors[f"{key}.comment"] = _("Bitte beschreiben Sie kurz den Grund.")
    exchange = None
    if resolution == "exchange":
        exchange = _check_exchange(key, line, quantity or 1, errors)
    return _Checked(line, eligibility, quantity or 0, comment or None, exchange)


def _check_exchange(key: str, line: ReturnLine, quantity: int, errors: dict) -> ProductVariant | None:
    options = {v.sku: v for v in exchange_options(line.sku)}
    if not options:
        errors[f"{key}.exchange_for"] = _("Für diesen Artikel ist kein Umtausch möglich. Bitte wählen Sie "
                                          "„Geld zurück“.")
        return None
    variant = options.get(line.exchange_for) if line.exchange_for else None
    if variant is None:
        errors[f"{key}.exchange_for"] = _("Bitte wählen Sie die Größe oder Farbe, die Sie stattdessen möchten.")
    elif variant.stock < quantity:
        errors[f"{key}.exchange_for"] = _("Diese Variante ist leider ausverkauft. Bitte wählen Sie eine andere oder "
                                          "„Geld zurück“.")
    return variant


def _validate(data: ReturnInput, order: Order, policy: ReturnsPolicy, today: dt.date) -> list[_Checked]:
    errors: dict[str, str] = {}
    if data.resolution not in RESOLUTIONS:
        errors["resolution"] = _("Bitte wählen Sie, ob Sie Ihr Geld zurück oder einen Umtausch möchten.")
    if data.carrier is not None and data.carrier not in policy.carriers:
        errors["carrier"] = _("Bitte wählen Sie einen der angebotenen Versanddienstleister.")
    if not data.lines:
        errors["items"] = _("Bitte wählen Sie mindestens einen Artikel, den Sie zurücksenden möchten.")
    by_sku = {e.item.sku: e for e in item_eligibility(order, policy, today)}
    skus = [line.sku for line in data.lines]
    if len(set(map(str, skus))) != len(skus):
        errors["items"] = _("Jeder Artikel darf nur einmal in der Rücksendung stehen.")
    checked = [c for i, line in enumerate(data.lines)
               if (c := _check_line(i, line, by_sku, data.resolution, errors)) is not None]
    if errors:
        raise ReturnInvalid(errors)
    return checked


def _lock_customer(order: Order) -> None:
    """Serialise every return of one customer until this one commits (PostgreSQL row locks).

    What can still be returned per item, the goodwill standing (how much came back before) and an
    earlier request with the same idempotency key are then read after the other returns committed.
    Locks are always taken in this order: customer, order, exchange variants by id, number counters.
    """
    db.session.execute(select(Customer.id).where(Customer.id == order.customer_id).with_for_update())
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())


def _reserve_stock(variant: ProductVariant, quantity: int) -> bool:
    # One conditional UPDATE: two customers cannot both take the last piece.
    result = db.session.execute(update(ProductVariant).where(ProductVariant.id == variant.id,
                                                             ProductVariant.stock >= quantity)
                                .values(stock=ProductVariant.stock - quantity))
    return result.rowcount == 1


def submit_return(data: ReturnInput, order: Order, user, policy: ReturnsPolicy, routing: RoutingConfig,
                  now: dt.datetime, photos: dict[str, list[CheckedPhoto]] | None = None) -> Submission:
    """Validate, decide label/returnless/complaint and store one return with its mails and photos (their bytes
    are rows of the same transaction); the caller commits."""
    _lock_customer(order)
    fingerprint = data.fingerprint()
    existing = earlier_record(ReturnRequest, data.idempotency_key, fingerprint)
    if existing is not None:
        return Submission(existing, False)
    today = now.astimezone(SHOP_TIMEZONE).date()
    checked = _validate(data, order, policy, today)
    value = sum(c.quantity * c.eligibility.item.unit_price_cents for c in checked)
    standing = goodwill.customer_standing(order.customer_id)
    outcome = goodwill.decide(value, {c.line.reason for c in checked}, data.resolution, standing, policy)
    if outcome == goodwill.LABEL and data.carrier is None:
        raise ReturnInvalid({"carrier": _("Bitte wählen Sie, mit wem Sie das Paket zurücksenden.")})
    exchanges = sorted((c for c in checked if c.exchange is not None), key=lambda c: c.exchange.id)
    for c in exchanges:
        if not _reserve_stock(c.exchange, c.quantity):
            index = data.lines.index(c.line)
            # Another return took the last piece since the form was checked: the same message as sold out.
            raise ReturnInvalid({f"items.{index}.exchange_for": _(
                "Diese Variante ist leider ausverkauft. Bitte wählen Sie eine andere oder „Geld zurück“.")})
    created = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    ret = ReturnRequest(
        number=next_number(ReturnSequence, PREFIX, now.astimezone(SHOP_TIMEZONE).year), order_id=order.id,
        customer_id=order.customer_id, user_id=user.id if getattr(user, "is_authenticated", False) else None,
        resolution=data.resolution, carrier=data.carrier if outcome == goodwill.LABEL else None,
        returnless=outcome == goodwill.RETURNLESS, refund_cents=value if data.resolution == "refund" else 0,
        idempotency_key=data.idempotency_key, request_fingerprint=fingerprint, lang=data.lang,
        status={goodwill.LABEL: "registered", goodwill.RETURNLESS: "refunded", goodwill.COMPLAINT: "complaint"}[outcome],
        created_at=created, updated_at=created,
    )
    for c in checked:
        item = c.eligibility.item
        ret.items.append(ReturnItem(
            order_item_id=item.id, sku=item.sku, product_code=product_code_of(item.sku), name=item.name,
            category=item.category, quantity=c.quantity, unit_price_cents=item.unit_price_cents, reason=c.line.reason,
            comment=mask_card_numbers(c.comment) if c.comment else None,
            exchange_sku=c.exchange.sku if c.exchange is not None else None))
    db.session.add(ret)
    db.session.flush()
    _first_events(ret, created)
    if photos:
        _attach_photos(ret, photos)
    if outcome == goodwill.COMPLAINT:
        open_complaint_case(ret, routing, now, trail=data.trail)
    start_label(ret, now)
    queue_confirmation(ret)
    return Submission(ret, True)


def _first_events(ret: ReturnRequest, at: dt.datetime) -> None:
    steps = ["registered"] + ([ret.status] if ret.status != "registered" else [])
    for status in steps:
        db.session.add(ReturnEvent(return_id=ret.id, status=status, source="customer", occurred_at=at,
                                   fingerprint=f"created:{status}"))
    db.session.flush()


def _attach_photos(ret: ReturnRequest, photos: dict[str, list[CheckedPhoto]]) -> None:
    for item in ret.items:
        if item.reason not in PHOTO_REASONS:
            continue
        for photo in photos.get(item.sku, []):
            item.photos.append(ReturnPhoto.stored(photo))
    db.session.flush()


def submit_and_commit(data: ReturnInput, order: Order, user, policy: ReturnsPolicy, routing: RoutingConfig,
                      now: dt.datetime, photos: dict[str, list[CheckedPhoto]] | None = None) -> Submission:
    """submit_return with its photos, then commit; a concurrent twin with the same key yields the first return."""
    return commit_once(lambda: submit_return(data, order, user, policy, routing, now, photos),
                       ReturnRequest, data.idempotency_key, data.fingerprint(),
                       on_twin=lambda ret: Submission(ret, False))
