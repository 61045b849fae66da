"""What editors do with an article, for the editor pages and the JSON API alike: read it as form fields, check
and save a version, publish (or ask a second editor to), unpublish, archive, restore an old version.

The database is the one source every node reads (app/articles/store.py). Before the first import the content
directory is served read-only; the first write imports it in the same transaction
(`ensure_articles_in_database`), so an editor's first save never loses the shipped articles. Callers commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from flask_babel import gettext as _
from sqlalchemy import select, text

from app.articles import store
from app.articles.links import broken_links
from app.articles.loader import SLUG_PATTERN, ArticleError
from app.articles.models import ArticleRecord, ContentCategory, ContentState
from app.articles.rendering import render_markdown, slugify_heading
from app.audit.trail import record
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.editorial.schemas import ArticleInput
from app.extensions import db

# Serialises the first import when two editors save at once on a new installation (PostgreSQL).
_FIRST_IMPORT_LOCK = 13_013


@dataclass(frozen=True)
class Settings:
    """What the editorial functions need of the configuration."""

    content_dir: str
    default_lang: str
    review: bool

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(config["HELPCENTER_CONTENT_DIR"], config["HELPCENTER_DEFAULT_LANG"],
                   bool(config.get("HELPCENTER_EDITORIAL_REVIEW")))


@dataclass(frozen=True)
class EditorArticle:
    """One article as the editor shows it: the newest version's fields and where it stands."""

    slug: str
    category: str
    lang: str
    title: str
    summary: str
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    order: int | None
    related: tuple[str, ...]
    body: str
    state: str
    translation: str | None
    revision: int
    published_revision: int | None
    review_revision: int | None
    review_requested_by_id: int | None
    updated_at: dt.datetime | None
    updated_by: str | None
    source: str


@dataclass(frozen=True)
class SaveResult:
    row: ArticleRecord
    published: bool
    review_requested: bool


# --- reading -----------------------------------------------------------------------------------------------------

def fields_of(source: str) -> dict:
    """The form fields of one version's markdown file."""
    post = frontmatter.loads(source)
    meta = post.metadata

    def words(name):
        value = meta.get(name) or []
        return tuple(str(v) for v in ([value] if isinstance(value, str) else value))

    order = meta.get("order")
    return {"title": str(meta.get("title") or ""), "summary": str(meta.get("summary") or ""), "tags": words("tags"),
            "questions": words("questions"),
            "lang": str(meta.get("lang") or ""), "order": order if isinstance(order, int) else None,
            "related": words("related"), "body": post.content,
            "translation": str(meta["translation"]) if meta.get("translation") else None}


def load_article(slug: str, default_lang: str, library=None) -> EditorArticle:
    """The article with its newest version (archived ones too: their history can be restored); NotFound."""
    if store.articles_in_database():
        row = store.article_row(slug) if SLUG_PATTERN.match(slug or "") else None
        if row is None:
            raise NotFound()
        source = store.revision_source(row)
        return _editor_article(row.slug, row.category, source, default_lang, state=row.state, revision=row.revision,
                               published_revision=row.published_revision, review_revision=row.review_revision,
                               review_requested_by_id=row.review_requested_by_id, updated_at=row.updated_at,
                               updated_by=row.updated_by.name if row.updated_by else None)
    # Not imported yet: the file as it is; the first save imports the tree, and this file becomes version 1.
    found = library.tree().articles.get(slug) if library is not None else None
    if found is None:
        raise NotFound()
    source = Path(found.path).read_text(encoding="utf-8")
    return _editor_article(slug, found.category, source, default_lang, state="published" if found.published
                           else "draft", revision=1, published_revision=1 if found.published else None,
                           review_revision=None, review_requested_by_id=None, updated_at=None, updated_by=None)


def _editor_article(slug, category, source, default_lang, **state) -> EditorArticle:
    fields = fields_of(source)
    fields["lang"] = fields["lang"] or default_lang
    return EditorArticle(slug=slug, category=category, source=source, **fields, **state)


def known_slugs(library=None) -> tuple[set[str], dict[str, str]]:
    """The articles (not archived) and the categories {slug: title} an article may point to."""
    if store.articles_in_database():
        articles = set(db.session.scalars(select(ArticleRecord.slug).where(ArticleRecord.state != "archived")))
        categories = {}
        for row in db.session.scalars(select(ContentCategory)):
            title = frontmatter.loads(row.source).metadata.get("title") or row.slug
            categories[row.slug] = str(title)
        return articles, categories
    tree = library.tree()
    return set(tree.articles), {slug: c.title for slug, c in tree.categories.items()}


# --- checks ------------------------------------------------------------------------------------------------------

def new_slug(data: ArticleInput) -> str:
    """The slug the editor gave, or one made from the title ('Größe ändern' -> 'groesse-aendern')."""
    return data.slug or slugify_heading(data.title)[:120].strip("-")


def check(data: ArticleInput, slug: str, *, is_new: bool, library=None) -> None:
    """The rules a schema cannot know: category and related articles exist, the slug is free (new) or unchanged,
    no link in the body leads nowhere (`flask content check`'s rules). InvalidInput with a message per field."""
    articles, categories = known_slugs(library)
    errors: dict[str, str] = {}
    if data.category not in categories:
        errors["category"] = _("Diese Kategorie gibt es nicht.")
    if is_new:
        taken = store.articles_in_database() and store.article_row(slug) is not None
        if taken or slug in articles:
            errors["slug"] = _("Diese Adresse hat schon ein Artikel. Bitte wählen Sie eine andere.")
        elif not SLUG_PATTERN.match(slug):
            errors["slug"] = _("Bitte geben Sie eine Adresse aus Kleinbuchstaben a–z, Ziffern und Bindestrichen an.")
    elif data.slug and data.slug != slug:
        errors["slug"] = _("Die Adresse eines Artikels lässt sich nicht ändern.")
    unknown = [name for name in data.related if name not in articles or name == slug]
    if unknown:
        errors["related"] = _("Diese verwandten Artikel gibt es nicht: %(slugs)s", slugs=", ".join(unknown))
    broken = broken_links(render_markdown(data.body).html, articles | {slug}, categories)
    if broken:
        errors["body"] = _("Diese Links führen ins Leere: %(links)s", links=", ".join(broken))
    translation_error = _translation_error(data, slug, library)
    if translation_error:
        errors["translation"] = translation_error
    if errors:
        raise InvalidInput(errors)


def _translation_error(data: ArticleInput, slug: str, library) -> str | None:
    """The rules `content check` reports (loader.link_translations), asked before the save instead of after."""
    if not data.translation:
        return None
    if (data.lang or library.default_lang) != "en":
        return _("Nur ein englischer Artikel kann eine deutsche Originalfassung haben.")
    if data.translation == slug:
        return _("Ein Artikel kann nicht seine eigene Originalfassung sein.")
    articles = library.tree().articles
    original = articles.get(data.translation)
    if original is None:
        return _("Diesen Artikel gibt es nicht.")
    if original.lang != "de":
        return _("Bitte wählen Sie einen deutschen Artikel.")
    if original.category != data.category:
        return _("Die Originalfassung steht in einer anderen Kategorie; die Übersetzung gehört in dieselbe.")
    other = next((a for a in articles.values() if a.translation == data.translation and a.slug != slug), None)
    if other is not None:
        return _("Diesen Artikel übersetzt schon „%(title)s“.", title=other.title)
    return None


def german_originals(library) -> list[tuple[str, str, str]]:
    """(slug, title, category) of every German article an English one may render, by title."""
    found = [(a.slug, a.title, a.category) for a in library.tree().articles.values() if a.lang == "de"]
    return sorted(found, key=lambda item: item[1].casefold())


def compose(data: ArticleInput, previous_source: str | None, default_lang: str, today: dt.date) -> str:
    """The version's markdown file: the form's fields in the front matter (keys the form does not know kept)."""
    meta = dict(frontmatter.loads(previous_source).metadata) if previous_source else {}
    meta.update({"title": data.title, "summary": data.summary, "tags": list(data.tags),
                 "lang": data.lang or meta.get("lang") or default_lang, "order": data.order,
                 "status": data.status, "updated": today, "related": list(data.related),
                 "translation": data.translation})
    if data.questions is not None:
        meta["questions"] = list(data.questions)
    if not meta.get("questions"):
        meta.pop("questions", None)
    return store.compose_source(meta, data.body)


# --- writes ------------------------------------------------------------------------------------------------------

def ensure_articles_in_database(settings: Settings) -> None:
    """Before the first write: take the content directory into the database in this transaction."""
    if store.articles_in_database():
        return
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FIRST_IMPORT_LOCK})
        if db.session.scalar(select(ContentState.version)) is not None:
            return
    store.import_tree(settings.content_dir, settings.default_lang)


def _row(slug: str) -> ArticleRecord:
    row = store.article_row(slug) if SLUG_PATTERN.match(slug or "") else None
    if row is None:
        raise NotFound()
    return row


def _invalid_source(exc: ArticleError) -> InvalidInput:
    return InvalidInput({"body": _("Der Artikel lässt sich so nicht anzeigen: %(reason)s", reason=str(exc))})


def save(data: ArticleInput, *, slug: str | None, base_revision: int | None, user, settings: Settings,
         library=None, today: dt.date | None = None) -> SaveResult:
    """Check and store a new version (a new article when slug is None); with status published, publish it or,
    with review on, ask a second editor. RevisionConflict when someone saved since base_revision."""
    is_new = slug is None
    slug = new_slug(data) if is_new else slug
    check(data, slug, is_new=is_new, library=library)
    ensure_articles_in_database(settings)
    row = None if is_new else _row(slug)
    previous = store.revision_source(row) if row is not None else None
    source = compose(data, previous, settings.default_lang, today or dt.date.today())
    try:
        row = store.save_article(slug, source, category=data.category,
                                 base_revision=None if is_new else base_revision,
                                 default_lang=settings.default_lang, author_id=user.id)
    except ArticleError as exc:
        raise _invalid_source(exc) from None
    record("article.save", "article", slug, f"Version {row.revision}")
    published = review = False
    if data.status == "published":
        review = settings.review
        publish(row, user, settings)
        published = not review
    return SaveResult(row, published, review)


def publish(row: ArticleRecord, user, settings: Settings, number: int | None = None) -> bool:
    """Customers see the version (default: the newest) — or, with review on, it waits for another editor.
    Returns whether it is published now."""
    number = number or row.revision
    if settings.review:
        row.review_revision, row.review_requested_by_id = number, user.id
        record("article.review", "article", row.slug, f"Version {number}")
        return False
    store.publish_article(row, user.id, number)
    _clear_review(row)
    record("article.publish", "article", row.slug, f"Version {number}")
    return True


def approve(row: ArticleRecord, user) -> None:
    """A second editor publishes the version waiting for review; not the one who asked, nor its author."""
    number = row.review_revision
    if number is None:
        raise Conflict(_("Für diesen Artikel wartet keine Version auf Freigabe."), code="no_review")
    author = next((r.author_id for r in store.history(row) if r.number == number), None)
    if user.id in (row.review_requested_by_id, author):
        raise Forbidden(_("Eine eigene Änderung kann nur eine andere Person aus der Redaktion freigeben."),
                        code="own_change")
    store.publish_article(row, user.id, number)
    _clear_review(row)
    record("article.approve", "article", row.slug, f"Version {number}")


def _clear_review(row: ArticleRecord) -> None:
    row.review_revision = row.review_requested_by_id = None


def unpublish(row: ArticleRecord, user) -> None:
    """Customers no longer see it; it stays a draft with its history."""
    store.unpublish_article(row, user.id)
    _clear_review(row)
    record("article.unpublish", "article", row.slug)


def archive(row: ArticleRecord, user) -> None:
    """Unpublish and archive (gone for customers and the lists); every version is kept and can be restored."""
    store.archive_article(row, user.id)
    _clear_review(row)
    record("article.archive", "article", row.slug)


def restore(row: ArticleRecord, number: int, user, settings: Settings) -> ArticleRecord:
    """An old version becomes the newest (as a draft to publish; an archived article comes back as a draft)."""
    if number < 1 or number > row.revision:
        raise NotFound(_("Diese Version gibt es nicht."))
    try:
        store.restore_revision(row, number, user.id, settings.default_lang)
    except ArticleError as exc:
        raise _invalid_source(exc) from None
    record("article.restore", "article", row.slug, f"Version {number} → {row.revision}")
    return row


def writable_row(slug: str, settings: Settings) -> ArticleRecord:
    """The article's row for a write (importing the content directory first on a new installation)."""
    ensure_articles_in_database(settings)
    return _row(slug)
