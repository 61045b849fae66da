"""The articles a running app serves: loaded once, reloaded when a file in the tree changes."""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from app.articles.links import links_in_language
from app.articles.loader import (Article, Category, ContentTree, Page, Translations, link_translations, load_content,
                                 load_page)

log = logging.getLogger(__name__)


def content_signature(root: str) -> tuple:
    """Cheap fingerprint of the tree: every file's path, size and modification time."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            try:
                stat = os.stat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            entries.append((dirpath, name, stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


class ArticleLibrary:
    """Serve the articles, re-checking at most every `reload_seconds` whether they changed.

    The source is the database once articles were imported into it (app/articles/store.py): every node compares
    the change counter and reloads, so a published change is served everywhere within seconds. Before the first
    import, the content directory is served as it is (files, compared by size and modification time).
    """

    def __init__(self, root: str, default_lang: str, reload_seconds: float = 2.0,
                 database: Callable[[], int | None] | None = None,
                 load_database: Callable[[str], ContentTree] | None = None):
        self.root = root
        self.default_lang = default_lang
        self.reload_seconds = reload_seconds
        # The database's change counter (None: articles not stored there) and its tree; absent in plain tests.
        self._database_version = database
        self._load_database = load_database
        self._lock = threading.Lock()
        self._tree: ContentTree | None = None
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._listeners: list[Callable[[ContentTree], None]] = []
        self._translations: tuple[ContentTree, Translations] | None = None

    def on_reload(self, listener: Callable[[ContentTree], None]) -> None:
        """Call listener with every newly loaded tree (the search index keeps itself in step)."""
        self._listeners.append(listener)

    def invalidate(self) -> None:
        """Forget the loaded signature so the next look re-reads the tree and notifies again."""
        self._signature = None
        self._checked_at = 0.0

    def tree(self) -> ContentTree:
        now = time.monotonic()
        if self._tree is not None and now - self._checked_at < self.reload_seconds:
            return self._tree
        with self._lock:
            if self._tree is None or now - self._checked_at >= self.reload_seconds:
                signature = self._current_signature()
                if signature != self._signature or self._tree is None:
                    if signature[0] == "database":
                        self._tree = self._load_database(self.default_lang)
                    else:
                        self._tree = load_content(self.root, self.default_lang)
                    self._signature = signature
                    for listener in self._listeners:
                        listener(self._tree)
                self._checked_at = time.monotonic()
            return self._tree

    def _current_signature(self) -> tuple:
        version = None
        if self._database_version is not None:
            try:
                version = self._database_version()
            except Exception:  # noqa: BLE001 — database away or no app context: serve what we have
                if self._signature is not None and self._signature[0] == "database":
                    return self._signature
                log.warning("article store unreadable; serving the content directory")
        if version is not None:
            return ("database", version)
        return ("files", content_signature(self.root))

    # Lookups the views need -------------------------------------------------

    def article(self, slug: str) -> Article | None:
        article = self.tree().articles.get(slug)
        return article if article is not None and article.published else None

    def categories(self) -> list[Category]:
        return sorted(self.tree().categories.values(), key=lambda c: (c.order, c.title))

    def category(self, slug: str) -> Category | None:
        return self.tree().categories.get(slug)

    def articles_in(self, category: str, lang: str) -> list[Article]:
        """A category's published articles for a visitor reading lang: each article once, in lang where it exists,
        else in its own language (the page marks those), so nothing vanishes for want of a translation."""
        published = [a for a in self.tree().published if a.category == category]
        chosen = [a for a in published if a.lang == lang]
        chosen += [a for a in published if a.lang != lang and self.translation_of(a, lang) is None]
        return sorted(chosen, key=lambda a: (a.order, a.title))

    def _pairs(self) -> Translations:
        # Computed from the published articles once per loaded tree: a draft translation is not served yet.
        tree = self.tree()
        cached = self._translations
        if cached is None or cached[0] is not tree:
            published = {a.slug: a for a in tree.published}
            cached = self._translations = (tree, link_translations(published))
        return cached[1]

    def translation_of(self, article: Article, lang: str) -> Article | None:
        """The published version of article in lang: itself, its English version or its German original."""
        if article.lang == lang:
            return article
        pairs = self._pairs()
        other = pairs.english_of.get(article.slug) if lang == "en" else pairs.german_of.get(article.slug)
        return self.article(other) if other else None

    def in_language(self, article: Article, lang: str) -> Article:
        """What a visitor reading lang should open for article: its translation where there is one."""
        return self.translation_of(article, lang) or article

    def body_html(self, article: Article) -> str:
        """The article's HTML with links to other articles leading to their version in the article's language."""
        def target_of(slug: str) -> Article | None:
            found = self.article(slug)
            if found is None or found.lang == article.lang:
                return None
            translated = self.translation_of(found, article.lang)
            return translated if translated is not None and translated.slug != found.slug else None

        return links_in_language(article.body_html, target_of)

    def related(self, article: Article) -> list[Article]:
        """The related articles in the article's language where translated; never the article or its twin."""
        own = {article.slug} | {a.slug for a in (self.translation_of(article, lang) for lang in ("de", "en")) if a}
        chosen: list[Article] = []
        for slug in article.related:
            found = self.article(slug)
            if found is None:
                continue
            found = self.in_language(found, article.lang)
            if found.slug not in own and found not in chosen:
                chosen.append(found)
        return chosen

    def published(self, lang: str | None = None) -> list[Article]:
        articles = self.tree().published
        return [a for a in articles if lang is None or a.lang == lang]

    def page(self, name: str) -> Page | None:
        """A stand-alone page such as the Impressum, from content/_seiten/<name>.md."""
        return load_page(self.root, name)
