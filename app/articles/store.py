"""The article store in the database: import of a markdown tree, export back to one (byte for byte), the tree
the site serves, and the writes editors make (save a version, publish, unpublish, archive, restore).

Until the first import the help center serves HELPCENTER_CONTENT_DIR directly (read-only); `content import`
(which `make run` does on a new installation) makes the database the one source every node reads. Every write
raises content_state.version in its own transaction; app/articles/library.py polls it. The caller commits.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.articles.loader import (NAMES_FILE, SLUG_PATTERN, SYNONYMS_FILE, TREE_FILES, Article, ArticleError, Category,
                                 ContentTree, Problem, link_translations, parse_article_source, parse_category_source,
                                 parse_names, parse_synonyms)
from app.articles.models import ArticleRecord, ArticleRevision, ContentCategory, ContentFile, ContentState
from app.core.errors import Conflict
from app.database import read_beside_the_request
from app.extensions import db
from app.insights.models import utcnow

_STATE_ID = 1
# Front matter keys in the order editors find them in a file written by the help center.
FRONT_MATTER_ORDER = ("title", "summary", "tags", "questions", "lang", "translation", "category", "order", "status", "updated", "related")


class RevisionConflict(Conflict):
    """Someone saved the article since this editor opened it; `current` is the revision now stored."""

    def __init__(self, current: int):
        super().__init__(str(_l("Jemand hat den Artikel inzwischen gespeichert (jetzt Version %(n)s).", n=current)),
                         code="revision_conflict")
        self.current = current

    def body(self) -> dict:
        body = super().body()
        body["error"]["current_revision"] = self.current
        return body


# --- the change counter ------------------------------------------------------------------------------------------

def content_version() -> int | None:
    """The change counter, or None while the articles are not in the database (the files are served); read
    beside the request's transaction, so the poll can neither spoil nor wait for it."""
    rows = read_beside_the_request(select(ContentState.version).where(ContentState.id == _STATE_ID))
    return rows[0][0] if rows else None


def bump_version() -> None:
    """Count one change, in the caller's transaction (the row lock orders concurrent writers)."""
    changed = db.session.execute(update(ContentState).where(ContentState.id == _STATE_ID)
                                 .values(version=ContentState.version + 1, changed_at=utcnow())).rowcount
    if not changed:
        _insert_state()


def _insert_state() -> None:
    table = ContentState.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).values(id=_STATE_ID, version=1, changed_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["id"]))
    db.session.execute(update(ContentState).where(ContentState.id == _STATE_ID)
                       .values(version=ContentState.version + 1, changed_at=utcnow()))


# --- reading -----------------------------------------------------------------------------------------------------

def _revision_source(article_id: int, number: int) -> str | None:
    return db.session.scalar(select(ArticleRevision.source).where(ArticleRevision.article_id == article_id,
                                                                  ArticleRevision.number == number))


def load_database_tree(default_lang: str) -> ContentTree:
    """The tree the site serves: each article's published version (drafts as their newest version, unpublished),
    categories and synonyms; what cannot be served lands in problems, as with files."""
    tree = ContentTree(root="database")
    for row in db.session.scalars(select(ContentCategory).order_by(ContentCategory.slug)):
        try:
            tree.categories[row.slug] = parse_category_source(row.source, row.slug)
        except ArticleError as exc:
            tree.problems.append(Problem(f"{row.slug}/_index.md", str(exc)))
            tree.categories[row.slug] = Category(row.slug, row.slug.replace("-", " ").title(), "", 1000, "", "")
    synonyms = db.session.scalar(select(ContentFile.source).where(ContentFile.name == SYNONYMS_FILE))
    tree.synonyms = parse_synonyms(synonyms) if synonyms else ()
    names = db.session.scalar(select(ContentFile.source).where(ContentFile.name == NAMES_FILE))
    tree.names = parse_names(names) if names else ()
    revision = func.coalesce(ArticleRecord.published_revision, ArticleRecord.revision)
    rows = db.session.execute(
        select(ArticleRecord.slug, ArticleRecord.category, ArticleRecord.state, ArticleRevision.source)
        .join(ArticleRevision, (ArticleRevision.article_id == ArticleRecord.id) & (ArticleRevision.number == revision))
        .where(ArticleRecord.state != "archived").order_by(ArticleRecord.category, ArticleRecord.slug))
    for slug, category, state, source in rows:
        path = f"{category}/{slug}.md"
        try:
            article = parse_article_source(source, slug, category, default_lang, path)
        except ArticleError as exc:
            tree.problems.append(Problem(path, str(exc)))
            continue
        status = "published" if state == "published" else "draft"
        if article.status != status:
            article = _with_status(article, status)
        tree.articles[slug] = article
    for article in tree.articles.values():
        unknown = [slug for slug in article.related if slug not in tree.articles]
        if unknown:
            tree.problems.append(Problem(article.path, f"unknown related slug(s): {', '.join(unknown)}"))
    tree.problems.extend(link_translations(tree.articles).problems)
    return tree


def _with_status(article: Article, status: str) -> Article:
    return dataclasses.replace(article, status=status)


# --- import and export -------------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    categories: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.categories} categories, {self.added} articles added, {self.changed} changed, "
                f"{self.unchanged} unchanged, {len(self.problems)} problem(s)")


def _read_text(path: Path) -> str:
    # newline="" keeps the file's own line endings, so that export writes back the same bytes.
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def import_tree(root: str | Path, default_lang: str, author_id: int | None = None) -> ImportReport:
    """Take a markdown tree into the database: new articles, and a new version of each article whose file differs
    from its newest version (published or draft as the file's `status` says). Articles missing from the tree are
    left alone. Broken files are reported and skipped; the caller decides whether to commit."""
    root = Path(root)
    report = ImportReport()
    if not root.is_dir():
        report.problems.append(Problem(str(root), "content directory does not exist"))
        return report
    for name in TREE_FILES:
        if (root / name).is_file():
            _put_source(ContentFile, _read_text(root / name), name=name)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not SLUG_PATTERN.match(folder.name):
            report.problems.append(Problem(folder.name, "folder name must be lowercase a-z, 0-9 and '-'"))
            continue
        index = folder / "_index.md"
        if not index.is_file():
            report.problems.append(Problem(f"{folder.name}/_index.md", "category has no _index.md"))
            continue
        try:
            text = _read_text(index)
            parse_category_source(text, folder.name)
        except (ArticleError, UnicodeDecodeError) as exc:
            report.problems.append(Problem(f"{folder.name}/_index.md", str(exc)))
            continue
        _put_source(ContentCategory, text, slug=folder.name)
        report.categories += 1
        for path in sorted(folder.glob("*.md")):
            if path.name == "_index.md":
                continue
            rel = f"{folder.name}/{path.name}"
            if not SLUG_PATTERN.match(path.stem):
                report.problems.append(Problem(rel, "file name must be lowercase a-z, 0-9 and '-' (it becomes the URL)"))
                continue
            try:
                text = _read_text(path)
                article = parse_article_source(text, path.stem, folder.name, default_lang, rel)
            except (ArticleError, UnicodeDecodeError) as exc:
                report.problems.append(Problem(rel, str(exc)))
                continue
            outcome = _import_article(article, text, author_id)
            setattr(report, outcome, getattr(report, outcome) + 1)
    bump_version()
    return report


def _put_source(model, text: str, **key: str) -> None:
    """Store a category's _index.md (slug=…) or another tree file (name=…), when new or changed."""
    row = db.session.get(model, next(iter(key.values())))
    if row is None:
        db.session.add(model(**key, source=text))
    elif row.source != text:
        row.source, row.updated_at = text, utcnow()
        if isinstance(row, ContentFile):
            row.revision += 1  # an editor's page opened before the import must not save over it
    db.session.flush()


def _import_article(article: Article, text: str, author_id: int | None) -> str:
    row = db.session.scalar(select(ArticleRecord).where(ArticleRecord.slug == article.slug))
    if row is not None and row.category != article.category:
        # The same slug in another folder is the same article moved (a slug is unique across the site).
        row.category = article.category
    if row is not None and _revision_source(row.id, row.revision) == text and row.state != "archived":
        return "unchanged"
    outcome = "added" if row is None else "changed"
    if row is None:
        row = ArticleRecord(slug=article.slug, category=article.category, lang=article.lang, revision=0)
        db.session.add(row)
        db.session.flush()
    _add_revision(row, text, author_id, note="import")
    row.lang = article.lang
    if article.published:
        row.state, row.published_revision = "published", row.revision
    else:
        row.state, row.published_revision = "draft", None
    return outcome


def _add_revision(row: ArticleRecord, text: str, author_id: int | None, note: str | None) -> ArticleRevision:
    row.revision += 1
    row.updated_at, row.updated_by_id = utcnow(), author_id
    revision = ArticleRevision(article_id=row.id, number=row.revision, source=text, note=note, author_id=author_id)
    db.session.add(revision)
    db.session.flush()
    return revision


def export_tree(target: str | Path) -> int:
    """Write every category and non-archived article as markdown files under target (the documented front-matter
    format): a file imported and exported again has the same bytes. The `status` line follows the article's state,
    so publishing on the web shows in the exported file. Returns the number of articles written."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for row in db.session.scalars(select(ContentCategory)):
        (target / row.slug).mkdir(exist_ok=True)
        _write(target / row.slug / "_index.md", row.source)
    for row in db.session.scalars(select(ContentFile)):
        _write(target / row.name, row.source)
    written = 0
    for row in db.session.scalars(select(ArticleRecord).where(ArticleRecord.state != "archived")):
        source = _revision_source(row.id, row.revision)
        folder = target / row.category
        folder.mkdir(exist_ok=True)
        _write(folder / f"{row.slug}.md", with_status(source, "published" if row.state == "published" else "draft"))
        written += 1
    return written


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def with_status(source: str, status: str) -> str:
    """The file text with its front matter's status set; unchanged (same bytes) when it already says so."""
    post = frontmatter.loads(source)
    current = str(post.metadata.get("status") or "published")
    if current == status:
        return source
    meta = dict(post.metadata)
    meta["status"] = status
    return compose_source(meta, post.content)


def compose_source(meta: dict, body: str) -> str:
    """A markdown file in the documented format: YAML front matter (known keys in their usual order), a blank
    line, the body, a final newline."""
    ordered = {key: meta[key] for key in FRONT_MATTER_ORDER if meta.get(key) not in (None, "", [], ())}
    ordered.update({key: value for key, value in meta.items() if key not in ordered and value not in (None, "", [])})
    for key, value in list(ordered.items()):
        if isinstance(value, dt.datetime):
            ordered[key] = value.date()
        if isinstance(value, tuple):
            ordered[key] = list(value)
    head = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{head}---\n\n{body.strip()}\n"


def articles_in_database() -> bool:
    try:
        return content_version() is not None
    except SQLAlchemyError:
        return False


# --- editors' writes ---------------------------------------------------------------------------------------------

def article_row(slug: str) -> ArticleRecord | None:
    return db.session.scalar(select(ArticleRecord).where(ArticleRecord.slug == slug))


def revision_source(row: ArticleRecord, number: int | None = None) -> str | None:
    """The text of one version of the article (default: its newest)."""
    return _revision_source(row.id, number or row.revision)


def save_article(slug: str, source: str, *, category: str, base_revision: int | None, default_lang: str,
                 author_id: int | None, note: str | None = None) -> ArticleRecord:
    """Store a new version of the article (a new article when base_revision is None). The version it started from
    must still be the newest: otherwise RevisionConflict, and nothing is written. ArticleError when the text cannot
    be served. A published article keeps showing its published version until it is published again."""
    article = parse_article_source(source, slug, category, default_lang, f"{category}/{slug}.md")
    if base_revision is None:
        existing = article_row(slug)
        if existing is not None:
            raise RevisionConflict(existing.revision)
        row = ArticleRecord(slug=slug, category=category, lang=article.lang, state="draft", revision=0)
        db.session.add(row)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:  # the same slug created at the same moment by someone else
            raise RevisionConflict(0) from None
    else:
        row = article_row(slug)
        if row is None:
            raise RevisionConflict(0)
        # The conditional UPDATE is the check: of two saves from the same version, the second changes no row.
        moved = db.session.execute(
            update(ArticleRecord).where(ArticleRecord.id == row.id, ArticleRecord.revision == base_revision)
            .values(revision=base_revision).execution_options(synchronize_session=False)).rowcount
        db.session.refresh(row)
        if not moved:
            raise RevisionConflict(row.revision)
    row.category, row.lang = category, article.lang
    if row.state == "archived":
        row.state = "draft"
    _add_revision(row, source, author_id, note)
    bump_version()
    return row


def publish_article(row: ArticleRecord, author_id: int | None, number: int | None = None) -> None:
    """Customers see this version (default: the newest) from now on, on every node within seconds."""
    number = number or row.revision
    source = _revision_source(row.id, number)
    if source is None:
        raise ArticleError(f"version {number} does not exist")
    row.state, row.published_revision = "published", number
    row.updated_at, row.updated_by_id = utcnow(), author_id
    bump_version()


def unpublish_article(row: ArticleRecord, author_id: int | None) -> None:
    """Back to draft: customers no longer see it; nothing of its history is lost."""
    row.state, row.published_revision = "draft", None
    row.updated_at, row.updated_by_id = utcnow(), author_id
    bump_version()


def archive_article(row: ArticleRecord, author_id: int | None) -> None:
    """Deleted for customers and editors' lists, kept with every version (restorable)."""
    row.state, row.published_revision = "archived", None
    row.updated_at, row.updated_by_id = utcnow(), author_id
    bump_version()


def restore_revision(row: ArticleRecord, number: int, author_id: int | None, default_lang: str) -> ArticleRecord:
    """An old version becomes the newest one (a new version with its text; history is never rewritten)."""
    source = _revision_source(row.id, number)
    if source is None:
        raise ArticleError(f"version {number} does not exist")
    return save_article(row.slug, source, category=row.category, base_revision=row.revision,
                        default_lang=default_lang, author_id=author_id, note=f"restored:{number}")


def history(row: ArticleRecord) -> list[ArticleRevision]:
    return list(db.session.scalars(select(ArticleRevision).where(ArticleRevision.article_id == row.id)
                                   .order_by(ArticleRevision.number.desc())))
