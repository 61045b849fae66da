"""The articles a running app serves: loaded once, reloaded when a file in the tree changes."""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

from app.articles.loader import Article, Category, ContentTree, Page, load_content, load_page


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
    """Serve the content tree, re-reading it at most every `reload_seconds` when files changed."""

    def __init__(self, root: str, default_lang: str, reload_seconds: float = 2.0):
        self.root = root
        self.default_lang = default_lang
        self.reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._tree: ContentTree | None = None
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._listeners: list[Callable[[ContentTree], None]] = []

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
                signature = content_signature(self.root)
                if signature != self._signature or self._tree is None:
                    self._tree = load_content(self.root, self.default_lang)
                    self._signature = signature
                    for listener in self._listeners:
                        listener(self._tree)
                self._checked_at = time.monotonic()
            return self._tree

    # Lookups the views need -------------------------------------------------

    def article(self, slug: str) -> Article | None:
        article = self.tree().articles.get(slug)
        return article if article is not None and article.published else None

    def categories(self) -> list[Category]:
        return sorted(self.tree().categories.values(), key=lambda c: (c.order, c.title))

    def category(self, slug: str) -> Category | None:
        return self.tree().categories.get(slug)

    def articles_in(self, category: str, lang: str) -> list[Article]:
        """Published articles of a category in lang, falling back to the default language."""
        published = [a for a in self.tree().published if a.category == category]
        chosen = [a for a in published if a.lang == lang] or [a for a in published if a.lang == self.default_lang]
        return sorted(chosen, key=lambda a: (a.order, a.title))

    def related(self, article: Article) -> list[Article]:
        found = (self.article(slug) for slug in article.related)
        return [a for a in found if a is not None]

    def published(self, lang: str | None = None) -> list[Article]:
        articles = self.tree().published
        return [a for a in articles if lang is None or a.lang == lang]

    def page(self, name: str) -> Page | None:
        """A stand-alone page such as the Impressum, from content/_seiten/<name>.md."""
        return load_page(self.root, name)
