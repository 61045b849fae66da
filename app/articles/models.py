"""Articles in the database, with every version (DESIGN.md "Articles once editors write on the web").

One source of truth that every node reads: an article's versions are rows of `article_revision`, each the whole
markdown file as an editor would keep it in git (front matter and body), so `content export` writes it back byte
for byte. `content_state.version` goes up in the transaction of every change; each worker compares it every few
seconds and reloads, and its search index follows (app/articles/library.py).
"""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow

ARTICLE_STATES = ("draft", "published", "archived")


class ContentState(db.Model):
    """One row: the change counter every node polls."""

    __tablename__ = "content_state"

    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=0)
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class ContentCategory(db.Model):
    """A category folder's _index.md."""

    __tablename__ = "content_category"

    slug = db.Column(db.String(120), primary_key=True)
    source = db.Column(db.Text, nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class ContentFile(db.Model):
    """Other files of the tree that editors maintain (the synonym list, the names list).

    `revision` counts the saves from the web (app/articles/tree_files.py): a save names the revision it started
    from, and the conditional UPDATE on it refuses the second of two editors who started from the same one."""

    __tablename__ = "content_file"

    name = db.Column(db.String(120), primary_key=True)
    source = db.Column(db.Text, nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    revision = db.Column(db.Integer, nullable=False, default=0, server_default="0")


class ArticleRecord(db.Model):
    """An article: its category, what customers see (the published version) and its newest version.

    `state` is draft (never or no longer published), published, or archived (deleted: kept with its history).
    `revision` counts the saved versions; a save names the revision it started from, and the conditional UPDATE on
    it refuses the second of two editors who started from the same one.
    """

    __tablename__ = "article"
    __table_args__ = (db.CheckConstraint("state IN ('draft', 'published', 'archived')", name="state"),)

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(120), nullable=False, unique=True)
    category = db.Column(db.String(120), nullable=False, index=True)
    lang = db.Column(db.String(2), nullable=False)
    state = db.Column(db.String(10), nullable=False, default="draft")
    revision = db.Column(db.Integer, nullable=False, default=0)
    published_revision = db.Column(db.Integer, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)

    # HELPCENTER_EDITORIAL_REVIEW: the version waiting for a second editor's approval, and who asked for it.
    review_revision = db.Column(db.Integer, nullable=True)
    review_requested_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"),
                                       nullable=True)

    updated_by = db.relationship("User", foreign_keys=[updated_by_id])
    review_requested_by = db.relationship("User", foreign_keys=[review_requested_by_id])


class ArticleRevision(db.Model):
    """One saved version: the whole markdown file (front matter + body), who saved it and when."""

    __tablename__ = "article_revision"
    __table_args__ = (db.UniqueConstraint("article_id", "number", name="uq_article_revision_number"),)

    id = db.Column(db.Integer, primary_key=True)
    article_id = db.Column(db.Integer, db.ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    source = db.Column(db.Text, nullable=False)
    note = db.Column(db.String(200), nullable=True)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    article = db.relationship("ArticleRecord")
    author = db.relationship("User")


class ArticleImage(db.Model):
    """A picture in an article: re-encoded without metadata, named by its content hash (so its URL never changes
    meaning and can be cached for good), stored here so that every node serves it."""

    __tablename__ = "article_image"

    name = db.Column(db.String(80), primary_key=True)
    content_type = db.Column(db.String(40), nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
