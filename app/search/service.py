"""The search a running app uses: one index store and engine per app, kept in step with content."""
from __future__ import annotations

import logging
import threading

from flask import current_app

from app.articles.library import ArticleLibrary
from app.articles.loader import ContentTree
from app.search.engine import SearchEngine, SearchResult
from app.search.index import IndexBusy, IndexStore
from app.search.promotions import PromotionBook, shown_pins, with_promotions
from app.search.vocabulary import protected_words

log = logging.getLogger(__name__)
_EXTENSION_KEY = "helpcenter.search"


class HelpSearch:
    """Ties the article library to the index: a changed article is re-indexed on its own."""

    def __init__(self, library: ArticleLibrary, index_dir: str, promotions: PromotionBook | None = None):
        self.library = library
        self.store = IndexStore(index_dir)
        self.engine = SearchEngine(self.store)
        self._merging = threading.Lock()
        self.promotions = promotions
        self._names: tuple[ContentTree | None, frozenset[str]] = (None, frozenset())
        library.on_reload(self._keep_index_in_step)

    def _keep_index_in_step(self, tree: ContentTree) -> None:
        # A request must not wait long for another worker's rebuild; it retries on the next reload.
        try:
            report = self.store.sync(tree.published, timeout=10 if self.store.current_generation() else 60)
        except IndexBusy:
            log.warning("search index busy, will re-check on the next content change")
            self.library.invalidate()
            return
        if report.changed:
            log.info("search index updated: %s", report)
        if report.changed and not report.rebuilt:
            self._merge_in_background()

    def _merge_in_background(self) -> None:
        """Merge the edit's small segments after the request that noticed the edit has been served."""
        if not self._merging.acquire(blocking=False):
            return  # one merge at a time per worker; the running one takes this edit's segment too

        def merge():
            try:
                self.store.merge_small_segments()
            except Exception as exc:  # the index is still complete without the merge; the next edit retries
                log.warning("merging the search index's small segments failed: %s", exc)
            finally:
                self._merging.release()

        threading.Thread(target=merge, name="search-segment-merge", daemon=True).start()

    def protected_names(self, tree: ContentTree) -> frozenset[str]:
        """The words typo repair must leave alone, computed once per loaded tree."""
        cached_tree, names = self._names
        if cached_tree is not tree:
            tags = {tag for article in tree.published for tag in article.tags}
            names = protected_words(tree.names, tags)
            self._names = (tree, names)
        return names

    def search(self, query: str, lang: str, limit: int, offset: int = 0) -> SearchResult:
        """The ranking, with the articles editors pinned to this query first (marked promoted)."""
        tree = self.library.tree()

        def ranked(limit: int, offset: int) -> SearchResult:
            return self.engine.search(query, lang=lang, limit=limit, offset=offset, synonym_groups=tree.synonyms,
                                      semantic=current_app.config.get("HELPCENTER_SEARCH_SEMANTIC", True),
                                      spelling=current_app.config.get("HELPCENTER_SEARCH_SPELLING", True),
                                      names=self.protected_names(tree))

        pinned = shown_pins(self.promotions.pinned(query, lang), lang, tree) if self.promotions else []
        if not pinned:
            return ranked(limit, offset)
        return with_promotions(ranked, limit, offset, pinned)


def init_search(app, library: ArticleLibrary) -> HelpSearch:
    promotions = PromotionBook(ttl=float(app.config.get("HELPCENTER_CONTENT_RELOAD_SECONDS", 2)))
    search = HelpSearch(library, app.config["HELPCENTER_INDEX_DIR"], promotions)
    app.extensions[_EXTENSION_KEY] = search
    return search


def help_search() -> HelpSearch:
    return current_app.extensions[_EXTENSION_KEY]


_CONTROL_CHARACTERS = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def clean_query(text: str) -> str:
    """Drop control characters and runs of white space a pasted query may carry."""
    return " ".join(text.translate(_CONTROL_CHARACTERS).split())
