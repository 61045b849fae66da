"""The shop's products as sizes/colours with stock: what an exchange can offer instead of a refund.

The shop import parses the `products` section and hands each product to `save_product`; the returns
center asks `variants_of` and `product_code_for`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.returns.models import ProductVariant
from app.shop.fields import RecordError

@dataclass(frozen=True)
class VariantInput:
    sku: str
    size: str | None
    colour: str | None
    stock: int


def variants_of(product_code: str) -> list[ProductVariant]:
    """Return every variant of a product, sold-out ones included, in the order the shop first listed them."""
    return list(db.session.scalars(
        select(ProductVariant).where(ProductVariant.product_code == product_code).order_by(ProductVariant.id)))


def product_code_for(sku: str) -> str | None:
    """Return the product a SKU belongs to, or None for a SKU the shop has not sent with its stock."""
    return db.session.scalar(select(ProductVariant.product_code).where(ProductVariant.sku == sku))


def save_product(code: str, name: str, variants: Sequence[VariantInput]) -> tuple[str, Counter]:
    """Upsert a product's variants by SKU; flushes and returns the product's outcome and its variants' outcomes.

    Variants the shop no longer lists stay as they are: a stock push may name only what changed.
    """
    stored = {row.sku: row for row in db.session.scalars(
        select(ProductVariant).where(ProductVariant.sku.in_([variant.sku for variant in variants])))}
    known = bool(stored) or db.session.scalar(
        select(ProductVariant.id).where(ProductVariant.product_code == code).limit(1)) is not None
    outcomes: Counter = Counter()
    for variant in variants:
        values = {"product_code": code, "name": name, "size": variant.size, "colour": variant.colour,
                  "stock": variant.stock}
        row = stored.get(variant.sku)
        if row is None:
            db.session.add(ProductVariant(sku=variant.sku, **values))
            outcomes["created"] += 1
            continue
        if row.product_code != code:
            # As with tracking numbers: a SKU never silently moves to another product.
            raise RecordError(f"SKU {variant.sku} belongs to product {row.product_code}")
        changed = {key: value for key, value in values.items() if getattr(row, key) != value}
        for key, value in changed.items():
            setattr(row, key, value)
        outcomes["updated" if changed else "unchanged"] += 1
    db.session.flush()
    if not known:
        return "created", outcomes
    return ("updated" if outcomes["created"] or outcomes["updated"] else "unchanged"), outcomes
