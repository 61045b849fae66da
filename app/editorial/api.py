"""Articles as JSON for shops that automate: /api/articles (editors and admins; 401 anonymous, 403 others).

A write names the version it started from in `If-Match` (the `revision` of GET, also its ETag): 409
`revision_conflict` with `current_revision` when someone saved in between, 412 when the header is missing.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api.openapi import api_operation
from app.articles import store
from app.core.errors import DomainError
from app.editorial import articles as editorial
from app.editorial.access import require_editor
from app.editorial.history import versions
from app.editorial.listing import Filters, list_articles
from app.editorial.schemas import (ArticleInput, ArticleList, ArticleOut, ArticlesQuery, ArticleSummaryOut,
                                   RevisionList, RevisionOut)
from app.extensions import db

bp = Blueprint("articles_api", __name__, url_prefix="/api/articles")
bp.before_request(require_editor)

EDITOR_ERRORS = (401, 403)
IF_MATCH = {"name": "If-Match", "required": True, "schema": {"type": "string", "pattern": "^(W/)?\"?[0-9]{1,9}\"?$"},
            "description": "The `revision` this change starts from (GET's `revision` or ETag)"}


class PreconditionFailed(DomainError):
    code = "if_match_required"
    status = 412


def _settings() -> editorial.Settings:
    return editorial.Settings.from_config(current_app.config)


def _library():
    return current_app.extensions["helpcenter.library"]


def _iso(moment):
    return moment.isoformat() + "Z" if moment is not None else None


def _base_revision() -> int:
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw:
        raise PreconditionFailed(_("Bitte senden Sie If-Match mit der Version, von der Ihre Änderung ausgeht."))
    value = raw.removeprefix("W/").strip('"')
    if not value.isdigit() or not 0 < int(value) < 10 ** 9:
        raise PreconditionFailed(_("If-Match muss eine Versionsnummer sein, z. B. \"3\"."), code="if_match_invalid")
    return int(value)


def _article_json(slug: str, status: int = 200):
    article = editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    body = ArticleOut(
        slug=article.slug, category=article.category, lang=article.lang, translation=article.translation,
        title=article.title, summary=article.summary, tags=list(article.tags), questions=list(article.questions),
        order=article.order, related=list(article.related),
        body=article.body, status=article.state, revision=article.revision,
        published_revision=article.published_revision, review_revision=article.review_revision,
        updated_at=_iso(article.updated_at) or "", updated_by=article.updated_by,
        url=url_for("help.article", category=article.category, slug=article.slug))
    response = jsonify(body.model_dump(mode="json"))
    response.status_code = status
    response.headers["ETag"] = f'"{article.revision}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@api_operation("The articles editors work on (drafts too)", query=ArticlesQuery, responses={200: ArticleList},
               errors=EDITOR_ERRORS, auth="session", tags=("articles",))
def index(query: ArticlesQuery):
    """Every article with its state, filtered by ?status=&lang=&category=."""
    rows = list_articles(db.session, _library(), Filters(status=query.status or "", lang=query.lang or "",
                                                         category=query.category or ""))
    return jsonify(ArticleList(articles=[ArticleSummaryOut(
        slug=row.slug, category=row.category, lang=row.lang, title=row.title, status=row.state,
        revision=row.revision, published_revision=row.published_revision, updated_at=_iso(row.updated_at) or "",
        updated_by=row.updated_by, url=url_for("help.article", category=row.category, slug=row.slug))
        for row in rows]).model_dump(mode="json"))


@bp.post("")
@api_operation("Write a new article (draft, or published)", body=ArticleInput, responses={201: ArticleOut},
               errors=(*EDITOR_ERRORS, 409, 413), auth="session", tags=("articles",),
               description="422 with a message per field (unknown category or related article, taken slug, links "
                           "that lead nowhere). With HELPCENTER_EDITORIAL_REVIEW=on, `published` waits for a second "
                           "editor's approval (`review_revision`).")
def create(body: ArticleInput):
    """Create an article from its front-matter fields, `category`, `slug`, `body` and `status`."""
    result = editorial.save(body, slug=None, base_revision=None, user=current_user, settings=_settings(),
                            library=_library())
    db.session.commit()
    response = _article_json(result.row.slug, 201)
    response.headers["Location"] = url_for("articles_api.show", slug=result.row.slug)
    return response


@bp.get("/<slug>")
@api_operation("One article with its newest version and `revision`", responses={200: ArticleOut},
               errors=(*EDITOR_ERRORS, 404), auth="session", tags=("articles",))
def show(slug):
    """The article's fields, state and revision (also as ETag)."""
    return _article_json(slug)


@bp.put("/<slug>")
@api_operation("Save a new version of the article", body=ArticleInput, responses={200: ArticleOut},
               errors=(*EDITOR_ERRORS, 404, 409, 412, 413), auth="session", tags=("articles",), headers=(IF_MATCH,),
               description="412 without If-Match; 409 `revision_conflict` with `current_revision` when someone saved "
                           "since that revision (nothing is written). `status: draft` keeps the published version "
                           "online; `published` publishes this one.")
def replace(slug, body: ArticleInput):
    """Store a new version from the revision named in If-Match."""
    base = _base_revision()
    editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())  # 404 first
    editorial.save(body, slug=slug, base_revision=base, user=current_user, settings=_settings(), library=_library())
    db.session.commit()
    return _article_json(slug)


@bp.delete("/<slug>")
@api_operation("Unpublish and archive the article (every version is kept)", responses={204: None},
               errors=(*EDITOR_ERRORS, 404), auth="session", tags=("articles",))
def delete(slug):
    """Gone for customers and the lists; restore a version to bring it back."""
    editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    editorial.archive(editorial.writable_row(slug, _settings()), current_user)
    db.session.commit()
    return "", 204


@bp.get("/<slug>/revisions")
@api_operation("Every saved version, newest first", responses={200: RevisionList}, errors=(*EDITOR_ERRORS, 404),
               auth="session", tags=("articles",))
def revisions(slug):
    """Each version with its author, time and note."""
    editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    if not store.articles_in_database():
        return jsonify(RevisionList(slug=slug, revisions=[]).model_dump(mode="json"))
    row = store.article_row(slug)
    return jsonify(RevisionList(slug=slug, revisions=[
        RevisionOut(number=v.number, author=v.author, created_at=_iso(v.created_at), note=v.note,
                    published=v.published) for v in versions(row)]).model_dump(mode="json"))


@bp.post("/<slug>/revisions/<int:revision>/restore")
@api_operation("Make an old version the newest (a new version; history stays)", responses={200: ArticleOut},
               errors=(*EDITOR_ERRORS, 404), auth="session", tags=("articles",),
               description="The old text becomes the newest version; a published article keeps showing its "
                           "published version until this one is published (PUT `status: published`). An archived "
                           "article comes back as a draft.")
def restore(slug, revision):
    """Restore version `revision` as a new version."""
    editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    row = editorial.writable_row(slug, _settings())
    editorial.restore(row, revision, current_user, _settings())
    db.session.commit()
    return _article_json(slug)
