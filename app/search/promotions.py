"""Promoted results: articles editors pin to a query, shown first (marked "Empfohlen") on /suche, in /api/search and
in the typeahead — HelpSearch applies them, so every way of searching gets the same list.

Matching is by the normalised query: case, umlauts and ß folded, punctuation and extra white space dropped, and word
order ignored — "Paket verloren", "paket verloren?", "Paket  Verloren" and "verloren paket" are one query. Words are
not stemmed and no word may be missing or added: a pin answers exactly the question the editor pinned it to, and
"Paket verloren Hermes" is a different question (pin its variants on their own where needed).

Pins live in the database; each worker keeps them for a short while (HELPCENTER_CONTENT_RELOAD_SECONDS, as the
articles) and reads them again, so a pin made on one node shows on every node within seconds.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.articles.loader import ContentTree
from app.database import log_outage, read_beside_the_request, safe_rollback
from app.search.analysis import fold, words
from app.search.engine import SearchHit, SearchResult
from app.search.models import SearchPromotion

log = logging.getLogger(__name__)
# A pinned article that matches the query on its own but ranks below this is counted twice in `total`.
ORGANIC_WINDOW = 50


def normalise_query(text: str) -> str:
    """The key pins are matched by: folded words, sorted, each once."""
    return " ".join(sorted(set(fold(word) for word in words(text))))[:200]


class PromotionBook:
    """Every pin of the installation, {(lang, query_key): (slug, …)}, re-read every `ttl` seconds."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._pins: dict[tuple[str, str], tuple[str, ...]] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Read again on the next search (this worker just changed a pin)."""
        self._read_at = None

    def pinned(self, query: str, lang: str) -> tuple[str, ...]:
        key = normalise_query(query)
        if not key:
            return ()
        return self._current().get((lang, key), ())

    def _current(self) -> dict[tuple[str, str], tuple[str, ...]]:
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < self.ttl:
            return self._pins
        with self._lock:
            if self._read_at is None or now - self._read_at >= self.ttl:
                try:
                    self._pins = read_pins()
                except SQLAlchemyError as exc:
                    # Search works while the database is away (or not set up yet); the pins come back with it.
                    # One line without a stack trace, as every optional database read logs it.
                    log_outage(exc, "the promoted results")
                    safe_rollback()
                self._read_at = time.monotonic()
        return self._pins


def read_pins() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every pin in order, read beside the request's transaction (as the article store's change counter is)."""
    query = (select(SearchPromotion.lang, SearchPromotion.query_key, SearchPromotion.slug)
             .order_by(SearchPromotion.lang, SearchPromotion.query_key, SearchPromotion.position, SearchPromotion.id))
    rows = read_beside_the_request(query)
    pins: dict[tuple[str, str], list[str]] = {}
    for lang, key, slug in rows:
        pins.setdefault((lang, key), []).append(slug)
    return {key: tuple(slugs) for key, slugs in pins.items()}


def shown_pins(slugs: tuple[str, ...], lang: str, tree: ContentTree) -> list[SearchHit]:
    """Pinned articles as hits; unpublished, archived, deleted or other-language ones are skipped."""
    hits = []
    for slug in slugs:
        article = tree.articles.get(slug)
        if article is None or not article.published or article.lang != lang:
            continue
        hits.append(SearchHit(slug=article.slug, title=article.title, summary=article.summary,
                              category=article.category, snippet="", score=0.0, promoted=True))
    return hits


def with_promotions(search, limit: int, offset: int, pinned: list[SearchHit]) -> SearchResult:
    """The ranking with the pinned articles first and each article once; `search(limit, offset)` is the engine's
    ranking. Pages continue each other: page 2 starts where page 1 ended in the combined list."""
    organic = search(limit=max(offset + limit + len(pinned), ORGANIC_WINDOW), offset=0)
    by_slug = {hit.slug: hit for hit in organic.hits}
    first = [replace(by_slug[hit.slug], promoted=True) if hit.slug in by_slug else hit for hit in pinned]
    pinned_slugs = {hit.slug for hit in first}
    rest = [hit for hit in organic.hits if hit.slug not in pinned_slugs]
    total = organic.total + sum(1 for hit in first if hit.slug not in by_slug)
    combined = first + rest
    return replace(organic, total=total, hits=combined[offset:offset + limit])
