"""Articles in the customer's words: product name, size and colour — never a SKU."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.returns.models import ProductVariant, ReturnRequest


def variant_text(name: str, size: str | None, colour: str | None) -> str:
    """E.g. 'Steppjacke Hamburg, Größe L, Navy'."""
    return ", ".join(filter(None, [name, size and _("Größe %(size)s", size=size), colour]))


def exchange_texts(ret: ReturnRequest) -> dict[int, str]:
    """Per return item, the article wanted in exchange (name, size, colour)."""
    skus = {item.exchange_sku for item in ret.items if item.exchange_sku}
    found = db.session.scalars(select(ProductVariant).where(ProductVariant.sku.in_(skus))) if skus else []
    variants = {v.sku: v for v in found}
    texts = {}
    for item in ret.items:
        variant = variants.get(item.exchange_sku)
        if variant is not None:
            texts[item.id] = variant_text(variant.name, variant.size, variant.colour)
        elif item.exchange_sku:
            # The shop has removed the variant since; the customer still learns what the exchange was for.
            texts[item.id] = _("%(name)s in einer anderen Größe oder Farbe", name=item.name)
    return texts


_LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")


def size_rank(size: str | None) -> float | None:
    """Where a size stands among the shop's sizes (S < M < L, 38 < 40); None when it cannot be compared."""
    text = (size or "").strip().upper()
    if text in _LETTER_SIZES:
        return float(_LETTER_SIZES.index(text))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def size_doubt(reason: str | None, ordered_size: str | None, wanted_sku: str | None) -> str | None:
    """The question to ask when the reason and the size wanted in exchange contradict each other
    ('zu groß' and the same or a larger size, 'zu klein' and the same or a smaller one); None otherwise."""
    if reason not in ("zu-gross", "zu-klein") or not wanted_sku:
        return None
    wanted = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == wanted_sku))
    have, want = size_rank(ordered_size), size_rank(wanted.size if wanted is not None else None)
    if have is None or want is None:
        return None
    if reason == "zu-gross" and want >= have:
        return _("Sie schreiben „Zu groß“ und wählen Größe %(size)s – die ist %(what)s. Ist das so gewollt? "
                 "Dann senden Sie das Formular einfach noch einmal ab.", size=wanted.size,
                 what=_("genauso groß") if want == have else _("noch größer"))
    if reason == "zu-klein" and want <= have:
        return _("Sie schreiben „Zu klein“ und wählen Größe %(size)s – die ist %(what)s. Ist das so gewollt? "
                 "Dann senden Sie das Formular einfach noch einmal ab.", size=wanted.size,
                 what=_("genauso groß") if want == have else _("noch kleiner"))
    return None
