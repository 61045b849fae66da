"""The demo shop's products in the shop import's `products` format: every size × colour with its stock.

Stock comes from its own generator seeded like the orders, so it is the same on every day (a reload resets
it) and drawing it does not change the orders. A share of variants is sold out; the variants the returns
demo offers Anna as an exchange have fixed stock (catalog.ANNA_EXCHANGE_STOCK).
"""
from __future__ import annotations

import itertools
import random

from app.demo import catalog

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss", " ": "-"})


def ascii_fold(text: str) -> str:
    """Umlauts and ß spelled out, spaces as hyphens: for SKUs and e-mail addresses."""
    return text.translate(_UMLAUTS)


def sku_of(product: catalog.Product, size: str | None, colour: str | None) -> str:
    """The SKU of a product in a size and colour, as on the order items: NL-JKT-0042-M-NAVY."""
    return "-".join(["NL", product.code] + [ascii_fold(part).upper() for part in (size, colour) if part])


def _stock(rng: random.Random, product: catalog.Product, size: str | None, colour: str | None) -> int:
    drawn = 0 if rng.random() < catalog.SOLD_OUT_SHARE else rng.randint(*catalog.STOCK_RANGE)
    if product.category in catalog.UNLIMITED_STOCK_CATEGORIES:
        drawn = catalog.UNLIMITED_STOCK
    return catalog.ANNA_EXCHANGE_STOCK.get((product.code, size, colour), drawn)


def demo_products(seed: int) -> list[dict]:
    """Every catalog product with all its size × colour variants and their stock."""
    rng = random.Random(f"stock-{seed}")
    products = []
    for product in catalog.PRODUCTS:
        variants = []
        sizes = catalog.SIZES[product.sizes] if product.sizes else (None,)
        for colour, size in itertools.product(product.colours or (None,), sizes):
            variant = {"sku": sku_of(product, size, colour)}
            if size:
                variant["size"] = size
            if colour:
                variant["colour"] = colour
            variant["stock"] = _stock(rng, product, size, colour)
            variants.append(variant)
        products.append({"code": product.code, "name": product.name, "variants": variants})
    return products
